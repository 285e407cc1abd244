"""The paged lists over a multi-season history: every filter and page matches a plain reference
query, totals are exact while at most 2000 rows match and flagged estimates beyond."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.helpers.pgharness import admin_execute, make_settings, with_dbname

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def history_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    from sports_analytics.ingest.demo.seed import seed_demo

    name = "sa_test_listing_history"
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    url = with_dbname(pg_admin_url, name)
    seed_demo(make_settings(url), force=True, seasons=3)
    yield url
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def api(history_url: str) -> Iterator[TestClient]:
    from sports_analytics.app import create_app

    with TestClient(create_app(make_settings(history_url))) as client:
        yield client


def _reference_games(url: str, where: str, params: dict) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            f"SELECT g.id FROM games g LEFT JOIN teams t ON t.abbreviation = %(team)s "
            f"WHERE {where} ORDER BY g.date, g.id", {"team": None, **params})]


CASES = {
    "season": ({"season": 2024}, "g.season = 2024"),
    "team": ({"team": "bos"}, "t.id IN (g.home_team_id, g.away_team_id)"),
    "team and season": ({"team": "LAL", "season": 2025},
                        "t.id IN (g.home_team_id, g.away_team_id) AND g.season = 2025"),
    "dates": ({"date_from": "2024-12-20", "date_to": "2025-01-10"},
              "g.date BETWEEN '2024-12-20' AND '2025-01-10'"),
    "team and dates": ({"team": "MIA", "date_from": "2025-03-01"},
                       "t.id IN (g.home_team_id, g.away_team_id) AND g.date >= '2025-03-01'"),
    "unscoped": ({}, "TRUE"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_games_pages_match_the_reference(api: TestClient, history_url: str, case: str) -> None:
    query, where = CASES[case]
    team = query.get("team")
    expected = _reference_games(history_url, where, {"team": team.upper() if team else None})
    for offset, limit in ((0, 50), (37, 13), (max(0, len(expected) - 5), 20)):
        body = api.get("/api/v1/games", params={**query, "limit": limit, "offset": offset}).json()
        assert [g["game_id"] for g in body["items"]] == expected[offset:offset + limit], offset
    cap = 500 if team else 2000
    if len(expected) <= cap:
        assert body["total"] == len(expected) and body["total_is_estimate"] is False
    else:  # the planner's estimate, never below what was counted
        assert body["total_is_estimate"] is True
        assert body["total"] > cap and abs(body["total"] - len(expected)) < 0.3 * len(expected)


def test_players_pages_match_the_reference(api: TestClient, history_url: str) -> None:
    with psycopg.connect(history_url) as conn:
        expected = [r[0] for r in conn.execute(
            "SELECT p.id FROM players p LEFT JOIN teams t ON t.id = p.team_id "
            "ORDER BY t.abbreviation NULLS LAST, p.last_name, p.first_name, p.id")]
        inactive = [r[0] for r in conn.execute(
            "SELECT p.id FROM players p LEFT JOIN teams t ON t.id = p.team_id WHERE NOT p.active "
            "ORDER BY t.abbreviation NULLS LAST, p.last_name, p.first_name, p.id")]
    for offset in (0, 400, len(expected) - 10):
        body = api.get("/api/v1/players", params={"limit": 60, "offset": offset}).json()
        assert [p["player_id"] for p in body["items"]] == expected[offset:offset + 60], offset
    assert body["total"] == len(expected) and body["total_is_estimate"] is False
    body = api.get("/api/v1/players", params={"active": "false", "limit": 100}).json()
    assert [p["player_id"] for p in body["items"]] == inactive[:100]


def test_predictions_totals(api: TestClient, history_url: str) -> None:
    from sports_analytics.analytics.predictions import run_predictions
    from sports_analytics.db.engine import make_job_engine

    engine = make_job_engine(make_settings(history_url), application_name="test-listing")
    try:
        run_predictions(engine)
    finally:
        engine.dispose()
    season = api.get("/api/v1/predictions", params={"season": 2024}).json()
    assert season["total"] == 2460 and season["total_is_estimate"] is False
    everything = api.get("/api/v1/predictions").json()
    assert everything["total_is_estimate"] is True and everything["total"] > 4000
    night = api.get("/api/v1/predictions",
                    params={"date": dt.date(2025, 1, 3).isoformat(), "model": "elo_v1"}).json()
    assert night["total_is_estimate"] is False and night["total"] == len(night["items"])
