"""A set of CSV files spanning several seasons imports in one transaction, through ``ingest``
and ``refresh --from-csv``: every season's games, the schedule, and nothing at all when one
row is bad."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.syncharness import digest, rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)

HEADER = ("season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,"
          "oreb,reb,ast,stl,blk,tov,pf,min")
SEASONS = (2021, 2022, 2023, 2024)
PAIRS = (("BOS", "NYK"), ("LAL", "GSW"), ("NYK", "LAL"), ("GSW", "BOS"))


def _team_file(seasons: tuple[int, ...] = SEASONS) -> str:
    lines = [HEADER]
    for season in seasons:
        for i, (home, away) in enumerate(PAIRS):
            day = dt.date(season, 11, 1) + dt.timedelta(days=i)
            gid = f"002{season % 100:02d}{i + 1:05d}"
            lines.append(f"{season},{day},{gid},{home},{away},H,30,11,25,4,9,4,6,3,15,9,3,1,7,6,240")
            lines.append(f"{season},{day},{gid},{away},{home},A,25,10,22,2,8,3,5,2,12,8,2,1,6,7,240")
    return "\n".join(lines) + "\n"


SCHEDULE = """season,game_id,game_date,home,away,tipoff_utc
2025,0022500001,2025-10-21,BOS,NYK,2025-10-21T23:30:00Z
2025,0022500002,2025-10-22,LAL,GSW,2025-10-23T02:00:00Z
"""


def _files(tmp: Path) -> list[str]:
    (tmp / "a_games.csv").write_text(_team_file(), encoding="utf-8")
    (tmp / "b_schedule.csv").write_text(SCHEDULE, encoding="utf-8")
    return [str(tmp / "a_games.csv"), str(tmp / "b_schedule.csv")]


def _check_imported(db: str) -> None:
    by_season = {r.season: (r.finals, r.scheduled) for r in rows(db, """
        SELECT season, count(*) FILTER (WHERE status = 'final') AS finals,
               count(*) FILTER (WHERE status = 'scheduled') AS scheduled
        FROM games GROUP BY season""")}
    assert by_season == {**{s: (4, 0) for s in SEASONS}, 2025: (0, 2)}
    assert scalar(db, "SELECT count(*) FROM team_game_stats") == 2 * 4 * len(SEASONS)
    assert scalar(db, "SELECT count(*) FROM predictions") > 0


def test_ingest_several_seasons_and_a_schedule_in_one_run(migrated_db_url: str,
                                                          tmp_path: Path) -> None:
    paths = _files(tmp_path)
    done = run_cli(migrated_db_url, None, "ingest", *paths)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_imported(migrated_db_url)
    before = digest(migrated_db_url)
    again = run_cli(migrated_db_url, None, "ingest", *paths)
    assert again.returncode == 0, again.stdout + again.stderr
    assert digest(migrated_db_url) == before


def test_refresh_from_a_directory_spanning_several_seasons(migrated_db_url: str,
                                                           tmp_path: Path) -> None:
    _files(tmp_path)
    done = run_cli(migrated_db_url, None, "refresh", "--from-csv", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    _check_imported(migrated_db_url)
    runs = rows(migrated_db_url, "SELECT source, outcome FROM refresh_runs")
    assert [(r.source, r.outcome) for r in runs] == [("csv", "success")]


def test_a_bad_row_in_the_last_season_writes_no_season(migrated_db_url: str,
                                                       tmp_path: Path) -> None:
    paths = _files(tmp_path)
    # the last season's schedule names a team the database does not know: caught while
    # writing, after the earlier seasons were already staged in the same transaction
    (tmp_path / "b_schedule.csv").write_text(SCHEDULE.replace("LAL,GSW", "LAL,XYZ"),
                                             encoding="utf-8")
    before = _tables(migrated_db_url)
    done = run_cli(migrated_db_url, None, "ingest", *paths)
    assert done.returncode != 0
    assert "XYZ" in done.stdout + done.stderr
    assert _tables(migrated_db_url) == before


def _tables(db: str) -> dict[str, object]:
    """Every data table (data_versions included); not the sequence, which never rolls back."""
    out = digest(db)
    out.pop("data_version")
    return out
