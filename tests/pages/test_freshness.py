"""The freshness line: the last refresh and its outcome, and a stale warning past the
stale-data alert's threshold (36 hours)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.db.writes import bump_data_version
from tests.helpers.pgharness import make_settings

RUN = ("INSERT INTO refresh_runs (started_at, finished_at, outcome, source, season, counts, "
       "error) VALUES (now() - make_interval(hours => :h) - interval '2 minutes', "
       "now() - make_interval(hours => :h), :o, 'nba_stats', 2025, "
       "'{\"games_inserted\": 3}'::jsonb, :e)")


def _pages(url: str, *runs: tuple[float, str, str | None]) -> dict[str, str]:
    from sports_analytics.app import create_app

    engine = sa.create_engine(make_settings(url).sqlalchemy_url)
    with engine.begin() as conn:
        for hours, outcome, error in runs:
            conn.execute(sa.text(RUN), {"h": hours, "o": outcome, "e": error})
        bump_data_version(conn)
    engine.dispose()
    with TestClient(create_app(make_settings(url))) as client:
        return {u: client.get(u).text for u in ("/", "/status")}


def test_a_recent_successful_refresh_is_not_stale(seeded_db_url: str) -> None:
    pages = _pages(seeded_db_url, (2, "success", None))
    for html in pages.values():
        assert "Last refresh:" in html and "outcome-success" in html
        assert "Stale" not in html and "stale (threshold" not in html
    assert "games_inserted 3" in pages["/status"]


def test_no_success_for_more_than_36_hours_is_stale(seeded_db_url: str) -> None:
    pages = _pages(seeded_db_url, (40, "success", None),
                   (1, "failed", "NBA stats API unavailable: 503"))
    assert "Stale: no successful refresh for more than 36 hours." in pages["/"]
    assert "outcome-failed" in pages["/"]
    status = pages["/status"]
    assert "stale (threshold 36 h)" in status
    assert "NBA stats API unavailable: 503" in status and status.count('<th scope="row">') == 2


def test_runs_that_never_succeeded_are_stale(seeded_db_url: str) -> None:
    pages = _pages(seeded_db_url, (1, "failed", "boom"))
    assert "Stale: no refresh has succeeded yet." in pages["/"]
