"""A full demo season (1,230 games, every one final) to forecast, cut back to any date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers.pgharness import make_settings

DEMO_SEASON = 2025


@pytest.fixture
def engine(seeded_db_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    yield eng
    eng.dispose()


def reopen_from(engine: sa.Engine, day: dt.date) -> int:
    """Turn every game on or after ``day`` back into a scheduled one; returns how many."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM player_game_stats WHERE game_id IN "
                             "(SELECT id FROM games WHERE date >= :d)"), {"d": day})
        conn.execute(sa.text("DELETE FROM team_game_stats WHERE game_id IN "
                             "(SELECT id FROM games WHERE date >= :d)"), {"d": day})
        return int(conn.execute(sa.text(
            "UPDATE games SET status = 'scheduled', home_score = NULL, away_score = NULL "
            "WHERE date >= :d"), {"d": day}).rowcount or 0)


def stored_odds(engine: sa.Engine, run_id: int) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT t.abbreviation, t.conference, f.* FROM forecast_teams f "
            "JOIN teams t ON t.id = f.team_id WHERE f.run_id = :r"), {"r": run_id}).mappings()
        return {r["abbreviation"]: dict(r) for r in rows}
