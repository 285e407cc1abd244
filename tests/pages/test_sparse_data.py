"""The pages on a database holding only the schedule, and on an empty one: they show what
exists and say what does not, never an error."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.helpers.pgharness import make_settings

SCHEDULE_ONLY = """
DELETE FROM player_game_stats; DELETE FROM team_game_stats; DELETE FROM predictions;
DELETE FROM game_features; DELETE FROM insights;
UPDATE games SET status = 'scheduled', home_score = NULL, away_score = NULL;
"""


def _client(url: str) -> TestClient:
    from sports_analytics.app import create_app

    return TestClient(create_app(make_settings(url)))


def test_pages_on_a_database_holding_only_the_schedule(seeded_db_url: str) -> None:
    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEDULE_ONLY)
        game_id, home = conn.execute(sa.text(
            "SELECT g.id, t.abbreviation FROM games g JOIN teams t ON t.id = g.home_team_id "
            "ORDER BY g.date DESC, g.id LIMIT 1")).one()
    engine.dispose()
    with _client(seeded_db_url) as client:
        pages = {url: client.get(url) for url in (
            "/", "/standings", f"/teams/{home}", f"/games/{game_id}", "/models", "/status")}
        for url, r in pages.items():
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
        assert "Tip-off" in pages["/"].text and "No predictions for this game yet" in pages["/"].text
        standings = pages["/standings"].text
        assert standings.count('<tr class="zone-') == 30  # every team, 0-0, seeded
        assert '<td class="n">0</td>' in standings
        assert "No finished games this season yet" in pages[f"/teams/{home}"].text
        assert "has not been played yet" in pages[f"/games/{game_id}"].text
        assert "No predictions have been scored yet" in pages["/models"].text


def test_pages_on_an_empty_database(migrated_db_url: str) -> None:
    with _client(migrated_db_url) as client:
        day = client.get("/")
        assert day.status_code == 200 and "holds no games yet" in day.text
        standings = client.get("/standings")
        assert standings.status_code == 404 and "load a season first" in standings.text
        assert client.get("/teams/BOS").status_code == 404
        assert client.get("/models").status_code == 200
        status = client.get("/status")
        assert status.status_code == 200 and "No refresh has run yet" in status.text
