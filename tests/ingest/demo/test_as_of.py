"""``seed-demo --as-of DATE``: the season around DATE, final before it, scheduled from it on."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.cli import main
from sports_analytics.exceptions import CommandFailed
from sports_analytics.ingest.demo.as_of import EASTERN, parse_as_of, season_for
from sports_analytics.ingest.demo.seed import seed_demo
from tests.helpers.pgharness import make_settings


@pytest.mark.parametrize(("day", "season"), [
    ("2025-10-21", 2025), ("2026-01-15", 2025), ("2026-04-12", 2025),  # in season
    ("2026-04-13", 2026), ("2026-07-04", 2026), ("2026-10-20", 2026),  # between: the next one
    ("2026-12-04", 2026), ("2031-02-01", 2030),
])
def test_season_for_a_day(day: str, season: int) -> None:
    assert season_for(dt.date.fromisoformat(day)) == season


def test_as_of_parses_dates_and_today_and_rejects_the_rest() -> None:
    assert parse_as_of("2026-01-15") == dt.date(2026, 1, 15)
    assert parse_as_of("today") == dt.datetime.now(EASTERN).date()
    with pytest.raises(CommandFailed, match="YYYY-MM-DD or 'today'"):
        parse_as_of("15/01/2026")
    with pytest.raises(CommandFailed, match="outside the supported"):
        season_for(dt.date(1900, 1, 1))


def _summary(engine: sa.Engine, day: dt.date) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("""
            SELECT min(season) AS season_min, max(season) AS season_max, count(*) AS games,
                   count(*) FILTER (WHERE status = 'final') AS final,
                   bool_and(status = 'final') FILTER (WHERE date < :d) AS before_final,
                   bool_and(status = 'scheduled' AND home_score IS NULL)
                       FILTER (WHERE date >= :d) AS after_scheduled,
                   bool_and(tipoff_at IS NOT NULL) AS all_tipoffs,
                   count(*) FILTER (WHERE date = :d) AS on_day,
                   (SELECT count(DISTINCT s.game_id) FROM team_game_stats s) AS with_box,
                   (SELECT count(*) FROM team_game_stats s JOIN games g ON g.id = s.game_id
                    WHERE g.status = 'scheduled') AS box_of_scheduled,
                   min(external_id) AS first_id
            FROM games"""), {"d": day}).mappings().one())


def test_seed_as_of_a_day_in_season_then_predict(migrated_db_url: str) -> None:
    settings = make_settings(migrated_db_url)
    day = dt.date(2026, 1, 15)
    assert seed_demo(settings, as_of=day)
    engine = sa.create_engine(settings.sqlalchemy_url)
    try:
        s = _summary(engine, day)
        assert (s["season_min"], s["season_max"], s["games"]) == (2025, 2025, 1230)
        assert s["before_final"] and s["after_scheduled"] and s["all_tipoffs"]
        assert 400 < s["final"] < 900 and s["with_box"] == s["final"]
        assert s["box_of_scheduled"] == 0 and s["on_day"] > 0
        compute_features(engine)
        run_predictions(engine)
        with engine.connect() as conn:
            scheduled_predicted = conn.execute(sa.text(
                "SELECT count(DISTINCT p.game_id) FROM predictions p JOIN games g "
                "ON g.id = p.game_id WHERE g.status = 'scheduled'")).scalar()
            tip_hours = {h for (h,) in conn.execute(sa.text(
                "SELECT DISTINCT extract(hour FROM tipoff_at AT TIME ZONE 'America/New_York') "
                "FROM games"))}
        assert scheduled_predicted == 1230 - s["final"]
        assert tip_hours <= {19, 20, 21, 22} and len(tip_hours) >= 3
    finally:
        engine.dispose()


def test_seed_as_of_another_season_between_seasons(migrated_db_url: str) -> None:
    settings = make_settings(migrated_db_url)
    day = dt.date(2030, 6, 1)  # after the 2029-30 season: the next one, not yet begun
    assert seed_demo(settings, as_of=day)
    engine = sa.create_engine(settings.sqlalchemy_url)
    try:
        s = _summary(engine, day)
        assert (s["season_min"], s["season_max"], s["final"]) == (2030, 2030, 0)
        assert s["first_id"].startswith("DEMO-2030-") and s["all_tipoffs"]
        with engine.connect() as conn:
            first, last = conn.execute(sa.text("SELECT min(date), max(date) FROM games")).one()
        assert (first, last) == (dt.date(2030, 10, 21), dt.date(2031, 4, 12))
    finally:
        engine.dispose()


def test_cli_bad_as_of_is_one_line_and_loses_nothing(monkeypatch, capsys,
                                                     seeded_db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded_db_url)
    code = main(["seed-demo", "--force", "--as-of", "tomorrow"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert "--as-of must be a date written YYYY-MM-DD or 'today'" in err
    code = main(["seed-demo", "--force", "--as-of", "2026-01-15", "--seasons", "3"])
    assert code == 1 and "cannot be combined" in capsys.readouterr().err
    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    try:
        with engine.connect() as conn:  # the demo season is still there, untouched
            assert conn.execute(sa.text(
                "SELECT count(*) FROM games WHERE status = 'final'")).scalar() == 1230
    finally:
        engine.dispose()
