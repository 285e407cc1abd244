"""Upcoming games, the status filter, refresh runs and freshness metrics, on data loaded by
``refresh`` from the fake stats API."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sports_analytics.api.schedule import Refreshes, Upcoming, eastern_today
from sports_analytics.api.schemas import GamePage
from tests.helpers.fake_stats import FakeStats
from tests.helpers.pgharness import make_settings
from tests.helpers.syncharness import run_cli

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def loaded(migrated_db_url: str) -> Iterator[tuple[TestClient, str, FakeStats]]:
    from sports_analytics.app import create_app

    fake = FakeStats().start()
    done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    with TestClient(create_app(make_settings(migrated_db_url))) as client:
        yield client, migrated_db_url, fake
    fake.stop()


def test_status_filter(loaded: tuple[TestClient, str, FakeStats]) -> None:
    client = loaded[0]
    for status in ("scheduled", "final"):
        r = client.get("/api/v1/games", params={"status": status})
        assert r.status_code == 200, r.text
        page = GamePage.model_validate(r.json())
        assert page.total == 3 and {g.status for g in page.items} == {status}
    assert client.get("/api/v1/games").json()["total"] == 6
    assert client.get("/api/v1/games", params={"status": "live"}).status_code == 422
    final = client.get("/api/v1/games", params={"status": "final", "limit": 1}).json()["items"][0]
    box = client.get(f"/api/v1/games/{final['game_id']}").json()
    names = [p["name"] for side in ("home", "away") for p in box[side]["players"]]
    assert len(names) == 6 and "Jayson Tatum" in names
    assert sum(p["points"] for p in box["home"]["players"]) == box["home"]["totals"]["points"]


def test_upcoming_games_with_every_models_probability(
        loaded: tuple[TestClient, str, FakeStats]) -> None:
    client = loaded[0]
    r = client.get("/api/v1/games/upcoming", params={"days": 7})
    assert r.status_code == 200, r.text
    body = Upcoming.model_validate(r.json())
    today = eastern_today()
    assert (body.date_from, body.date_to) == (today, today + dt.timedelta(days=6))
    assert [g.date for g in body.items] == [today + dt.timedelta(days=n) for n in range(3)]
    for game in body.items:
        assert game.status == "scheduled" and game.tipoff_at is not None
        assert [p.model for p in game.predictions] == ["elo_v1", "home_always"]
        assert all(abs(p.home_win_prob + p.away_win_prob - 1) < 1e-6 for p in game.predictions)
    one_day = client.get("/api/v1/games/upcoming", params={"days": 1}).json()
    assert [g["date"] for g in one_day["items"]] == [today.isoformat()]
    for bad in ("0", "61", "x"):
        assert client.get("/api/v1/games/upcoming", params={"days": bad}).status_code == 422
    # the id route beside /games/upcoming still answers for a game that exists
    game_id = body.items[0].game_id
    by_id = client.get(f"/api/v1/games/{game_id}")
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["game_id"] == game_id
    spec = client.get("/openapi.json").json()
    assert "/api/v1/games/upcoming" in spec["paths"]
    assert "/api/v1/refreshes" in spec["paths"]


def test_refreshes_listed_newest_first(loaded: tuple[TestClient, str, FakeStats]) -> None:
    client, db, fake = loaded
    fake.faults.extend([("leaguegamelog[T]", "status", 500)] * 10)
    assert run_cli(db, fake, "refresh", "--season", str(fake.season)).returncode != 0
    body = Refreshes.model_validate(client.get("/api/v1/refreshes").json())
    assert [r.outcome for r in body.items] == ["failed", "success"]
    assert body.items[0].error and body.items[0].error.startswith("leaguegamelog[T]: HTTP 500")
    assert body.items[1].counts["games_inserted"] == 6
    assert body.items[1].data_version is not None
    limited = client.get("/api/v1/refreshes", params={"limit": 1}).json()
    assert len(limited["items"]) == 1
    assert client.get("/api/v1/refreshes", params={"limit": 0}).status_code == 422


def _scrape_until(client: TestClient, pattern: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = client.get("/metrics").text
        if re.search(pattern, text, re.M) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_freshness_metrics(loaded: tuple[TestClient, str, FakeStats]) -> None:
    from sports_analytics.api.freshness import COLLECTOR

    client, db, fake = loaded
    COLLECTOR.max_age = 0.0
    try:
        text = _scrape_until(client, r"^app_data_last_refresh_timestamp_seconds ")
        stamp = float(re.search(r"^app_data_last_refresh_timestamp_seconds (\S+)$", text,
                                re.M).group(1))
        assert abs(stamp - time.time()) < 300
        assert re.search(r"^app_data_refresh_failures_total 0\.0$", text, re.M), text
        assert re.search(r"^app_data_last_refresh_success 1\.0$", text, re.M), text
        fake.faults.extend([("scheduleleaguev2", "status", 503)] * 10)
        assert run_cli(db, fake, "refresh", "--season", str(fake.season)).returncode != 0
        text = _scrape_until(client, r"^app_data_refresh_failures_total 1\.0$")
        assert re.search(r"^app_data_refresh_failures_total 1\.0$", text, re.M), text
        assert re.search(r"^app_data_last_refresh_success 0\.0$", text, re.M), text
        # the scrape itself never waits for the database
        started = time.monotonic()
        client.get("/metrics")
        assert time.monotonic() - started < 1.0
    finally:
        COLLECTOR.max_age = 15.0
