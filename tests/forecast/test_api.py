"""GET /api/v1/forecast: the latest run's odds, field names as documented, and an ETag that
changes with every stored run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.app import create_app
from sports_analytics.forecast.run import run_forecast
from tests.forecast.conftest import DEMO_SEASON, reopen_from
from tests.helpers.pgharness import make_settings

TEAM_FIELDS = {"team", "wins", "losses", "mean_wins", "wins_p10", "wins_p90", "p_top6",
               "p_playin", "p_playoffs", "p_first_seed", "p_conf_finals", "p_title"}


@pytest.fixture
def api(seeded_db_url: str) -> Iterator[tuple[TestClient, sa.Engine]]:
    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    with TestClient(create_app(make_settings(seeded_db_url))) as client:
        yield client, engine
    engine.dispose()


def test_no_run_yet_is_404_with_a_clear_message(api: tuple[TestClient, sa.Engine]) -> None:
    client, _ = api
    for url in ("/api/v1/forecast", f"/api/v1/forecast?season={DEMO_SEASON}"):
        r = client.get(url)
        assert r.status_code == 404
        assert "sports-analytics forecast" in r.text


def test_latest_run_shape_and_etag(api: tuple[TestClient, sa.Engine]) -> None:
    client, engine = api
    reopen_from(engine, dt.date(2026, 3, 1))
    run_forecast(engine, DEMO_SEASON, sims=500, seed=1)
    latest = run_forecast(engine, DEMO_SEASON, sims=800, seed=2)
    r = client.get(f"/api/v1/forecast?season={DEMO_SEASON}")
    assert r.status_code == 200
    body = r.json()
    assert {"season", "generated_at", "sims", "data_version", "teams"} <= set(body)
    assert body["season"] == DEMO_SEASON and body["sims"] == 800
    assert body["data_version"] == latest["data_version"]
    assert len(body["teams"]) == 30
    for team in body["teams"]:
        assert set(team) >= TEAM_FIELDS
        assert team["team"].isupper() and 2 <= len(team["team"]) <= 3
        assert all(0 <= team[p] <= 1 for p in TEAM_FIELDS if p.startswith("p_"))
    assert sum(t["p_title"] for t in body["teams"]) == pytest.approx(1, abs=0.01)
    assert client.get("/api/v1/forecast").json() == body  # default: the latest season

    etag = r.headers["ETag"]
    again = client.get(f"/api/v1/forecast?season={DEMO_SEASON}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    run_forecast(engine, DEMO_SEASON, sims=300, seed=3)  # a new run: a new data version
    with engine.begin() as conn:  # let the worker's cached version expire
        conn.execute(sa.text("SELECT pg_sleep(1.1)"))
    fresh = client.get(f"/api/v1/forecast?season={DEMO_SEASON}",
                       headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["sims"] == 300
    assert fresh.headers["ETag"] != etag


@pytest.mark.parametrize("season", ["1800", "abc", "3000"])
def test_bad_season_is_422(api: tuple[TestClient, sa.Engine], season: str) -> None:
    client, _ = api
    assert client.get(f"/api/v1/forecast?season={season}").status_code == 422


def _standings(client: TestClient) -> dict[str, dict]:
    r = client.get(f"/api/v1/standings?season={DEMO_SEASON}&limit=30")
    assert r.status_code == 200
    return {row["team"]: row for row in r.json()["items"]}


def _odds(client: TestClient) -> dict[str, dict]:
    return {t["team"]: t for t in client.get(f"/api/v1/forecast?season={DEMO_SEASON}").json()
            ["teams"]}


def test_finished_season_matches_the_standings_seeds(api: tuple[TestClient, sa.Engine]) -> None:
    client, engine = api
    run_forecast(engine, DEMO_SEASON, sims=1_000, seed=6)
    standings, odds = _standings(client), _odds(client)
    assert len(standings) == len(odds) == 30
    for team, row in standings.items():
        o, seed = odds[team], row["seed"]
        assert (o["wins"], o["losses"]) == (row["wins"], row["losses"])
        assert o["p_first_seed"] == (seed == 1) and o["p_top6"] == (seed <= 6)
        assert o["p_playin"] == (7 <= seed <= 10)
        if seed <= 6 or seed > 10:  # seeds 7-10 still have the play-in to play
            assert o["p_playoffs"] == (seed <= 6)


def test_marked_teams_have_certain_odds(api: tuple[TestClient, sa.Engine]) -> None:
    client, engine = api
    reopen_from(engine, dt.date(2026, 3, 28))
    run_forecast(engine, DEMO_SEASON, sims=4_000, seed=8)
    standings, odds = _standings(client), _odds(client)
    clinched = [t for t, r in standings.items() if r["clinched"] == "playoffs"]
    eliminated = [t for t, r in standings.items() if r["eliminated"]]
    assert clinched and eliminated and len(clinched) + len(eliminated) < 30
    for team in clinched:
        assert odds[team]["p_playoffs"] == 1 and odds[team]["p_top6"] == 1, team
    for team in eliminated:
        assert odds[team]["p_playoffs"] == 0 and odds[team]["p_playin"] == 0, team
