"""The offline route: team game-log + player-lines + schedule CSVs through ``ingest`` and
``refresh --from-csv``, with the same all-or-nothing rules as ``sync``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.syncharness import digest, log_lines, rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)

TEAM = """season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,ast,stl,blk,tov,pf,min
2025,2025-11-02,G1,BOS,NYK,H,30,11,25,4,9,4,6,3,15,9,3,1,7,6,240
2025,2025-11-02,G1,NYK,BOS,A,25,10,22,2,8,3,5,2,12,8,2,1,6,7,240
"""
PLAYERS = """season,game_date,game_id,team,opponent,home_away,player_id,player_name,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,ast,stl,blk,tov,pf,min
2025,2025-11-02,G1,BOS,NYK,H,1628369,Jayson Tatum,18,7,15,2,5,2,3,2,8,5,2,1,4,3,36
2025,2025-11-02,G1,BOS,NYK,H,1630202,Payton Pritchard,12,4,10,2,4,2,3,1,5,4,1,0,2,3,30
2025,2025-11-02,G1,NYK,BOS,A,1629029,Luka Dončić,25,10,22,2,8,3,5,2,10,8,2,1,5,7,38
"""
SCHEDULE = """season,game_id,game_date,home,away,tipoff_utc
2025,G2,2025-11-04,NYK,BOS,2025-11-05T00:30:00Z
2025,G3,2025-11-05,LAL,GSW,2025-11-06T03:30:00Z
"""


def _write(tmp: Path, **files: str) -> list[str]:
    paths = []
    for name, body in files.items():
        path = tmp / f"{name}.csv"
        path.write_text(body, encoding="utf-8")
        paths.append(str(path))
    return paths


def test_ingest_team_player_and_schedule_files_together(migrated_db_url: str,
                                                        tmp_path: Path) -> None:
    fake = None  # ingest never calls the stats API
    paths = _write(tmp_path, team=TEAM, players=PLAYERS, schedule=SCHEDULE)
    done = run_cli(migrated_db_url, fake, "ingest", *paths)
    assert done.returncode == 0, done.stdout + done.stderr
    games = {r.external_id: r for r in rows(migrated_db_url, "SELECT * FROM games")}
    assert set(games) == {"G1", "G2", "G3"}
    assert (games["G1"].status, games["G1"].home_score, games["G1"].away_score) == ("final", 30, 25)
    assert games["G3"].status == "scheduled" and games["G3"].date == dt.date(2025, 11, 5)
    assert games["G3"].tipoff_at == dt.datetime(2025, 11, 6, 3, 30, tzinfo=dt.UTC)
    assert scalar(migrated_db_url, "SELECT count(*) FROM player_game_stats") == 3
    names = {r[0] for r in rows(migrated_db_url, "SELECT first_name || ' ' || last_name "
                                                 "FROM players")}
    assert names == {"Jayson Tatum", "Payton Pritchard", "Luka Dončić"}
    # analytics followed: both models for every game, scheduled ones included
    assert scalar(migrated_db_url, "SELECT count(*) FROM predictions") == 6
    assert scalar(migrated_db_url, "SELECT count(*) FROM game_features") == 6
    before = digest(migrated_db_url)
    again = run_cli(migrated_db_url, fake, "ingest", *paths)
    assert again.returncode == 0
    assert digest(migrated_db_url) == before


def test_player_sum_disagreement_writes_nothing(migrated_db_url: str, tmp_path: Path) -> None:
    fake = None
    bad = PLAYERS.replace("Payton Pritchard,12,4,10,2,4,2,3", "Payton Pritchard,14,5,10,2,4,2,3")
    before = digest(migrated_db_url)
    done = run_cli(migrated_db_url, fake, "ingest", *_write(tmp_path, team=TEAM, players=bad))
    assert done.returncode == 65, done.stdout + done.stderr
    errors = [x for x in log_lines(done) if x.get("level") == "error"]
    assert len(errors) == 1 and "players' PTS sum (32) must equal the team line (30)" in \
        errors[0]["error"]
    assert digest(migrated_db_url) == before


@pytest.mark.parametrize(("body", "message"), [
    ("season,game_id,game_date,home\n2025,G2,2025-11-04,NYK\n", "missing column(s): away"),
    ("season,game_id,game_date,home,away\n2025,G2,2025-13-04,NYK,BOS\n", "game_date must be"),
    ("season,game_id,game_date,home,away\n2025,G2,2025-11-04,NYK,NYK\n", "home and away"),
    ("season,game_id,game_date,home,away,tipoff_utc\n2025,G2,2025-11-04,NYK,BOS,soon\n",
     "tipoff_utc must be"),
])
def test_bad_schedule_line_is_one_clear_error(migrated_db_url: str, tmp_path: Path, body: str,
                                              message: str) -> None:
    before = digest(migrated_db_url)
    done = run_cli(migrated_db_url, None, "ingest", *_write(tmp_path, schedule=body))
    assert done.returncode == 65
    errors = [x for x in log_lines(done) if x.get("level") == "error"]
    assert len(errors) == 1 and message in errors[0]["error"], errors
    assert digest(migrated_db_url) == before


def test_refresh_from_csv_directory_then_scheduled_game_goes_final(migrated_db_url: str,
                                                                    tmp_path: Path) -> None:
    fake = None
    _write(tmp_path, a_team=TEAM, b_players=PLAYERS, c_schedule=SCHEDULE)
    done = run_cli(migrated_db_url, fake, "refresh", "--from-csv", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    g2 = scalar(migrated_db_url, "SELECT id FROM games WHERE external_id = 'G2'")
    # the next night: G2 was played
    (tmp_path / "d_team.csv").write_text(TEAM.splitlines()[0] + "\n" + "\n".join([
        "2025,2025-11-04,G2,NYK,BOS,H,20,8,20,1,5,3,4,2,10,5,1,1,5,5,240",
        "2025,2025-11-04,G2,BOS,NYK,A,22,9,21,2,6,2,3,2,11,6,1,0,4,6,240"]) + "\n")
    done = run_cli(migrated_db_url, fake, "refresh", "--from-csv", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    after = rows(migrated_db_url, "SELECT id, status, home_score FROM games WHERE "
                                  "external_id = 'G2'")
    assert [(r.id, r.status, r.home_score) for r in after] == [(g2, "final", 20)]
    runs = rows(migrated_db_url, "SELECT source, outcome FROM refresh_runs ORDER BY id")
    assert [(r.source, r.outcome) for r in runs] == [("csv", "success")] * 2


def test_ingest_computes_analytics_unless_told_not_to(migrated_db_url: str,
                                                      tmp_path: Path) -> None:
    [path] = _write(tmp_path, team=TEAM)
    done = run_cli(migrated_db_url, None, "ingest", "--no-analytics", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert scalar(migrated_db_url, "SELECT count(*) FROM predictions") == 0
    assert scalar(migrated_db_url, "SELECT count(*) FROM game_features") == 0
    (tmp_path / "team.csv").write_text(TEAM.replace(",240\n", ",241\n", 1), encoding="utf-8")
    done = run_cli(migrated_db_url, None, "ingest", path)  # one team file: the original import
    assert done.returncode == 0, done.stdout + done.stderr
    assert scalar(migrated_db_url, "SELECT count(*) FROM game_features") == 2
    assert scalar(migrated_db_url, "SELECT count(*) FROM predictions") == 2
