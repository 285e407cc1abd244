"""Neutral-site games as stats.nba.com lists them: ``@`` on both game-log rows, the schedule's
designated home team and ``isNeutral``; and the ``neutral`` column of the CSV formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sports_analytics.analytics.elo import ELO_V1, home_win_probability
from tests.helpers.fake_stats import FakeStats
from tests.helpers.syncharness import digest, rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    server = FakeStats().start()
    yield server
    server.stop()


def _neutral_game(fake: FakeStats) -> str:
    # like 0022500147 DAL-DET in Mexico City: both rows say "@", the schedule names DET home
    day = fake.first_day + dt.timedelta(days=1)
    return fake.add_neutral(day, "NYK", "LAL").game_id


def test_neutral_site_game_syncs_with_the_designated_home_team(migrated_db_url: str,
                                                               fake: FakeStats) -> None:
    gid = _neutral_game(fake)
    log = fake.game_log("T")["resultSets"][0]
    matchups = [r[log["headers"].index("MATCHUP")] for r in log["rowSet"]
                if r[log["headers"].index("GAME_ID")] == gid]
    assert sorted(matchups) == ["LAL @ NYK", "NYK @ LAL"]

    done = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    [game] = rows(migrated_db_url, """
        SELECT g.id, g.neutral_site, g.status, h.abbreviation AS home, a.abbreviation AS away
        FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
        WHERE g.external_id = :e""", e=gid)
    assert (game.neutral_site, game.status, game.home, game.away) == (True, "final", "NYK", "LAL")
    assert scalar(migrated_db_url, "SELECT count(*) FROM games WHERE neutral_site") == 1
    lines = {r.abbreviation: r.is_home for r in rows(migrated_db_url, """
        SELECT t.abbreviation, s.is_home FROM team_game_stats s JOIN teams t ON t.id = s.team_id
        WHERE s.game_id = :g""", g=game.id)}
    assert lines == {"NYK": True, "LAL": False}
    # elo_v1 gives no home advantage at a neutral site; a normal game keeps its 100 points
    for external_id, neutral in ((gid, True), (fake.games[0].game_id, False)):
        [p] = rows(migrated_db_url, """
            SELECT p.home_rating, p.away_rating, p.home_win_prob FROM predictions p
            JOIN games g ON g.id = p.game_id WHERE g.external_id = :e AND p.model = 'elo_v1'
            """, e=external_id)
        expected = home_win_probability(p.home_rating, p.away_rating, ELO_V1, neutral)
        assert p.home_win_prob == pytest.approx(expected, abs=1e-4), external_id
    [base] = rows(migrated_db_url, """
        SELECT p.home_win_prob FROM predictions p JOIN games g ON g.id = p.game_id
        WHERE g.external_id = :e AND p.model = 'home_always'""", e=gid)
    assert base.home_win_prob == 0.5
    # the second sync of the same documents changes nothing
    before = digest(migrated_db_url)
    again = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    assert again.returncode == 0, again.stdout + again.stderr
    assert digest(migrated_db_url) == before


def test_neutral_site_game_outside_the_schedule_is_one_clear_error(migrated_db_url: str,
                                                                  fake: FakeStats) -> None:
    gid = _neutral_game(fake)
    fake.drop(gid)
    done = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    assert done.returncode == 65, done.stdout + done.stderr
    assert "both lines say '@'" in done.stdout + done.stderr
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 0


def test_neutral_site_game_is_served_and_left_out_of_home_and_away_records(
        migrated_db_url: str, fake: FakeStats) -> None:
    gid = _neutral_game(fake)
    done = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    from fastapi.testclient import TestClient

    from sports_analytics.app import create_app
    from tests.helpers.pgharness import make_settings

    game_id = scalar(migrated_db_url, "SELECT id FROM games WHERE external_id = :e", e=gid)
    with TestClient(create_app(make_settings(migrated_db_url))) as client:
        body = client.get(f"/api/v1/games/{game_id}").json()
        assert body["neutral_site"] is True and body["home_team"] == "NYK"
        listed = client.get("/api/v1/games", params={"season": fake.season}).json()["items"]
        assert {g["external_id"]: g["neutral_site"] for g in listed}[gid] is True
        table = client.get("/api/v1/standings", params={"season": fake.season}).json()
    rows_by_team = {r["team"]: r for r in table["items"]}
    nyk = rows_by_team["NYK"]
    assert nyk["neutral"] in ("1-0", "0-1")
    home_games = scalar(migrated_db_url, """
        SELECT count(*) FROM games g JOIN teams t ON t.id = g.home_team_id
        WHERE t.abbreviation = 'NYK' AND g.status = 'final' AND NOT g.neutral_site""")
    assert _played(nyk["home"]) == home_games


def _played(record: str) -> int:
    wins, losses = record.split("-")
    return int(wins) + int(losses)


TEAM = """season,game_date,game_id,team,opponent,home_away,neutral,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,ast,stl,blk,tov,pf,min
2025,2025-11-01,0022500147,DET,DAL,H,true,30,11,25,4,9,4,6,3,15,9,3,1,7,6,240
2025,2025-11-01,0022500147,DAL,DET,A,true,25,10,22,2,8,3,5,2,12,8,2,1,6,7,240
2025,2025-11-02,G2,BOS,NYK,H,false,30,11,25,4,9,4,6,3,15,9,3,1,7,6,240
2025,2025-11-02,G2,NYK,BOS,A,,25,10,22,2,8,3,5,2,12,8,2,1,6,7,240
"""
SCHEDULE = """season,game_id,game_date,home,away,neutral
2025,0022501229,2025-12-13,NYK,ORL,true
2025,G4,2025-12-14,BOS,NYK,false
"""


def test_csv_neutral_column_in_team_and_schedule_files(migrated_db_url: str,
                                                       tmp_path: Path) -> None:
    team, schedule = tmp_path / "team.csv", tmp_path / "schedule.csv"
    team.write_text(TEAM, encoding="utf-8")
    schedule.write_text(SCHEDULE, encoding="utf-8")
    for paths in ([str(team)], [str(team), str(schedule)]):  # the single-file import too
        done = run_cli(migrated_db_url, None, "ingest", *paths)
        assert done.returncode == 0, done.stdout + done.stderr
    flags = {r.external_id: r.neutral_site for r in rows(
        migrated_db_url, "SELECT external_id, neutral_site FROM games")}
    assert flags == {"0022500147": True, "G2": False, "0022501229": True, "G4": False}
    bad = tmp_path / "bad.csv"
    bad.write_text(TEAM.replace(",H,true,", ",H,yes,", 1), encoding="utf-8")
    done = run_cli(migrated_db_url, None, "ingest", str(bad))
    assert done.returncode != 0
    assert "neutral must be true or false" in done.stdout + done.stderr
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(TEAM.replace(",A,true,", ",A,false,", 1), encoding="utf-8")
    done = run_cli(migrated_db_url, None, "ingest", str(mixed))
    assert done.returncode != 0
    assert "neutral disagrees" in done.stdout + done.stderr
