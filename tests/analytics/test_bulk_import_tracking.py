"""After a bulk import into a database with analytics, change tracking and planner statistics
are current: a plain ``features`` / ``predict`` examines no game (the watermark covers every
import), and a ``--no-analytics`` import is still found by the next plain run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.syncharness import run_cli, scalar

pytestmark = pytest.mark.timeout(600)

HEADER = ("season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,"
          "oreb,reb,ast,stl,blk,tov,pf,min")
TEAMS = ("BOS", "NYK", "LAL", "GSW", "MIA", "DEN")


def _history(path: Path, seasons: range, prefix: str = "H") -> None:
    lines = [HEADER]
    for season in seasons:
        for day in range(30):
            date = dt.date(season, 11, 1) + dt.timedelta(days=day)
            for k in range(3):
                home, away = TEAMS[(day + k) % 6], TEAMS[(day + k + 3) % 6]
                gid = f"{prefix}{season}-{day}-{k}"
                hp, ap = (30, 25) if (day + k) % 3 else (25, 30)
                lines.append(f"{season},{date},{gid},{home},{away},H,{hp},{(hp - 8) // 2},25,4,9,"
                             f"{hp - 4 - 2 * ((hp - 8) // 2)},9,3,15,9,3,1,7,6,240")
                lines.append(f"{season},{date},{gid},{away},{home},A,{ap},{(ap - 8) // 2},25,4,9,"
                             f"{ap - 4 - 2 * ((ap - 8) // 2)},9,3,15,9,3,1,7,6,240")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pending(db: str, kind: str) -> int:
    mark = scalar(db, "SELECT state ->> 'through' FROM analytics_snapshots WHERE name = :n",
                  n=f"watermark:{kind}")
    assert mark is not None, f"no {kind} watermark"
    return int(scalar(db, "SELECT count(*) FROM games WHERE updated_at >= CAST(:m AS "
                          "timestamptz)", m=mark))


def _ok(db: str, *args: str) -> str:
    done = run_cli(db, None, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_plain_features_after_a_bulk_import_examine_no_game(seeded_db_url: str,
                                                             tmp_path: Path) -> None:
    db = seeded_db_url
    _ok(db, "features")
    _ok(db, "predict")
    path = tmp_path / "history.csv"
    _history(path, range(2019, 2024))
    _ok(db, "ingest", str(path))
    assert scalar(db, "SELECT count(*) FROM games WHERE season < 2025") == 5 * 90
    # the import advanced change tracking past every game it wrote
    assert _pending(db, "features") == 0
    assert _pending(db, "predictions") == 0
    # and left the planner statistics of what it touched current
    for table in ("games", "team_game_stats", "game_features", "predictions"):
        planned = scalar(db, "SELECT reltuples FROM pg_class WHERE relname = :t", t=table)
        actual = scalar(db, f"SELECT count(*) FROM {table}")
        assert abs(planned - actual) <= 0.05 * actual, (table, planned, actual)
    assert "features: 0 team-game rows" in _ok(db, "features")
    assert "predict: 0 games" in _ok(db, "predict")


def test_an_import_without_analytics_is_found_by_the_next_plain_run(seeded_db_url: str,
                                                                   tmp_path: Path) -> None:
    db = seeded_db_url
    _ok(db, "features")
    path = tmp_path / "history.csv"
    _history(path, range(2022, 2024))
    _ok(db, "ingest", "--no-analytics", str(path))
    assert scalar(db, "SELECT count(*) FROM game_features f JOIN games g ON g.id = f.game_id "
                      "WHERE g.season < 2025") == 0
    assert _pending(db, "features") > 0
    _ok(db, "features")
    assert scalar(db, "SELECT count(*) FROM game_features f JOIN games g ON g.id = f.game_id "
                      "WHERE g.season < 2025") == 2 * 2 * 90
    assert _pending(db, "features") == 0
