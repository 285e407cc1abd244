"""The quick start's promise: a demo seeded ``--as-of`` a day shows that day's games with
tip-off times and picks, and the day before with results and whether each pick was right."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.api.schedule import eastern_today
from sports_analytics.ingest.demo.seed import seed_demo
from tests.helpers.pgharness import make_settings

DAY = dt.date(2026, 1, 15)


def _seeded(url: str, day: dt.date) -> sa.Engine:
    settings = make_settings(url)
    seed_demo(settings, as_of=day)
    engine = sa.create_engine(settings.sqlalchemy_url)
    compute_features(engine)
    run_predictions(engine)
    return engine


@pytest.fixture
def live(migrated_db_url: str) -> Iterator[tuple[TestClient, sa.Engine]]:
    from sports_analytics.app import create_app

    engine = _seeded(migrated_db_url, DAY)
    with TestClient(create_app(make_settings(migrated_db_url))) as client:
        yield client, engine
    engine.dispose()


def test_as_of_day_shows_scheduled_games_with_picks_then_yesterdays_results(live) -> None:
    client, engine = live
    with engine.connect() as conn:
        today = conn.execute(sa.text("SELECT count(*) FROM games WHERE date = :d"),
                             {"d": DAY}).scalar()
        before = conn.execute(sa.text("SELECT max(date) FROM games WHERE date < :d"),
                              {"d": DAY}).scalar()
    html = client.get(f"/?date={DAY}").text
    assert "Thursday, January 15, 2026" in html
    assert len(re.findall(r"Tip-off \d{1,2}:\d{2} PM ET", html)) == today
    assert html.count('<rect class="bar-fill"') >= 2 * today and "Final:" not in html
    assert f'href="/?date={before}"' in html
    yesterday = client.get(f"/?date={before}").text
    assert "Final:" in yesterday and "Tip-off" not in yesterday
    assert yesterday.count("✓ right") + yesterday.count("✗ wrong") >= 2


def test_default_day_is_today_in_the_demo_seeded_as_of_today(migrated_db_url: str) -> None:
    from sports_analytics.app import create_app

    today = eastern_today()
    engine = _seeded(migrated_db_url, today)
    try:
        with engine.connect() as conn:
            shown = conn.execute(sa.text("SELECT min(date) FROM games WHERE date >= :d"),
                                 {"d": today}).scalar()
        with TestClient(create_app(make_settings(migrated_db_url))) as client:
            html = client.get("/").text
        # today when it has games; otherwise the next day that has
        assert f"{shown:%A, %B} {shown.day}, {shown.year}" in html
        assert "Tip-off" in html
    finally:
        engine.dispose()


def test_forecasts_show_on_standings_and_team_pages(live) -> None:
    from sports_analytics.forecast.run import run_forecast

    client, engine = live
    first = run_forecast(engine, sims=300, seed=1)
    run_forecast(engine, sims=300, seed=2)
    standings = client.get("/standings").text
    assert "Proj. W" in standings and "Playoffs" in standings and "Title" in standings
    assert f"Forecast from {first['sims']} simulated seasons" in standings
    assert len(re.findall(r'<td class="n">\d+\.\d</td>', standings)) >= 30  # projected wins
    # 300 simulated seasons never make a place certain: 100 % only beside a clinched mark
    for row in re.findall(r"<tr class=\"zone-.*?</tr>", standings, flags=re.S):
        assert ">100%<" not in row or 'title="clinched playoffs"' in row, row
        assert ">0%<" not in row or 'title="eliminated"' in row, row
    team = client.get("/teams/BOS").text
    assert "Playoff odds over time" in team
    assert team.count("<th scope=\"row\">") >= 2 and "<polyline" in team


def test_models_page_lists_the_registry_when_it_has_versions(live) -> None:
    client, engine = live
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT count(*) FROM model_versions")).scalar()
    html = client.get("/models").text
    if versions:
        assert "Model versions in the registry" in html
        assert html.count("<tr>") >= versions
    else:
        assert "The registry holds no model versions yet." in html
