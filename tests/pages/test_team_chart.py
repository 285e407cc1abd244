"""The team page's rating chart in a season half played: the line and its axis end at the
team's last finished game, not at the last game of the calendar."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.pages.charts import PAD_LEFT, PAD_RIGHT, WIDTH, line_chart
from sports_analytics.pages.format import short_date
from tests.helpers.pgharness import admin_execute, make_settings, with_dbname
from tests.pages.conftest import Site

AS_OF = dt.date(2026, 12, 4)  # about a quarter of the demo calendar played
TEAM = "BOS"


@pytest.fixture(scope="module")
def half_season(pg_admin_url: str, migrated_template: str) -> Iterator[Site]:
    from sports_analytics.app import create_app
    from sports_analytics.ingest.demo.seed import seed_demo

    name = f"sa_half_{uuid.uuid4().hex[:8]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE {migrated_template}')
    url = with_dbname(pg_admin_url, name)
    settings = make_settings(url)
    seed_demo(settings, as_of=AS_OF)
    engine = sa.create_engine(settings.sqlalchemy_url)
    compute_features(engine)
    run_predictions(engine)
    try:
        with TestClient(create_app(settings)) as client:
            yield Site(client, engine)
    finally:
        engine.dispose()
        admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _team_games(site: Site, status: str) -> list[dt.date]:
    with site.engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT g.date FROM games g JOIN teams t ON t.id IN (g.home_team_id, g.away_team_id) "
            "WHERE t.abbreviation = :t AND g.status = :s ORDER BY g.date"),
            {"t": TEAM, "s": status}).scalars())


def _rating_chart(html: str) -> str:
    charts = re.findall(r'<figure class="chart">.*?</figure>', html, re.S)
    assert charts, "no chart on the team page"
    return charts[0]


def test_rating_line_and_axis_end_at_the_last_finished_game(half_season: Site) -> None:
    finals, scheduled = _team_games(half_season, "final"), _team_games(half_season, "scheduled")
    assert len(finals) > 10 and scheduled and scheduled[0] >= AS_OF > finals[-1]
    html = half_season.client.get(f"/teams/{TEAM}").text
    chart = _rating_chart(html)

    (points,) = re.findall(r'<polyline class="line line-1" points="([^"]+)"', chart)
    xs = [float(p.split(",")[0]) for p in points.split()]
    assert len(xs) == len(finals)  # one point per finished game, none for scheduled ones
    assert xs[0] == PAD_LEFT and xs[-1] == WIDTH - PAD_RIGHT  # the axis spans the games played
    assert xs == sorted(xs)

    ticks = re.findall(r'<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">'
                       r'([A-Z][a-z]{2} \d+)</text>', chart)
    assert ticks[0] == (str(float(PAD_LEFT)), "start", short_date(finals[0]))
    assert ticks[-1] == (str(float(WIDTH - PAD_RIGHT)), "end", short_date(finals[-1]))
    labels = {label for _, _, label in ticks}
    assert not labels & {short_date(d) for d in scheduled if d > finals[-1]}

    played = f"{len(finals)} games played, {short_date(finals[0])} to {short_date(finals[-1])}"
    assert 'class="axis-caption"' in chart and played in chart
    assert played in re.search(r"<title[^>]*>(.*?)</title>", chart, re.S).group(1)


def test_rating_table_lists_the_finished_games_only(half_season: Site) -> None:
    finals = _team_games(half_season, "final")
    html = half_season.client.get(f"/teams/{TEAM}").text
    table = re.search(r'<caption id="ratings">.*?</table>', html, re.S).group(0)
    dates = re.findall(r'<th scope="row" class="date">([A-Z][a-z]{2} \d+)</th>', table)
    assert dates == [short_date(d) for d in finals]


def test_points_are_placed_by_date_and_the_end_ticks_stay_inside() -> None:
    days = [dt.date(2026, 10, 21), dt.date(2026, 10, 22), dt.date(2026, 11, 21)]
    chart = line_chart([("elo", [1500.0, 1510.0, 1490.0])], [short_date(d) for d in days],
                       x_values=[d.toordinal() for d in days], x_caption="3 games")
    assert chart is not None
    xs = [float(p.split(",")[0]) for p in chart.series[0].points.split()]
    x0, x1 = PAD_LEFT, WIDTH - PAD_RIGHT
    assert xs[0] == x0 and xs[-1] == x1
    assert xs[1] == pytest.approx(x0 + (x1 - x0) / 31, abs=0.1)  # one day of thirty-one
    assert [a for _, _, a in chart.x_ticks] == ["start", "middle", "end"]
    assert chart.x_caption == "3 games" and chart.height > 240


def test_simulated_odds_read_as_certain_only_when_they_are() -> None:
    from sports_analytics.pages.format import odds

    assert [odds(1.0), odds(0.998), odds(0.0), odds(0.004)] == [">99%", ">99%", "<1%", "<1%"]
    assert odds(1.0, certain=True) == "100%" and odds(0.0, certain=True) == "0%"
    assert [odds(0.9996, 1), odds(0.0004, 1), odds(0.123, 1)] == [">99.9%", "<0.1%", "12.3%"]
    assert odds(0.5) == "50%" and odds(None) == "\u2013"
