"""Errors on the pages are HTML error pages in the site's layout (status, a plain message, the
request id, no traceback); the same errors under /api/ keep their JSON bodies."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.helpers.pgharness import make_settings
from tests.pages.conftest import Site

PAGES = ["/", "/standings", "/teams/BOS", "/models", "/status"]
LEAKS = ("Traceback", "File \"", "psycopg", "sqlalchemy", "SELECT", "refresh_runs",
         "UndefinedTable", "postgresql://", "password")


def assert_error_page(r: httpx.Response, status: int, title: str, says: str) -> None:
    """The site's layout around a plain message, with the status and the request id."""
    assert r.status_code == status, (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert html.startswith("<!doctype html>") and f"<title>{title} · sports-analytics" in html
    assert '<nav aria-label="Main">' in html and '<footer class="site">' in html  # the layout
    assert f"<h1>{title}</h1>" in html and says in html
    assert f"Status {status}" in html
    assert f'<code class="request-id">{r.headers["x-request-id"]}</code>' in html
    for leak in LEAKS:
        assert leak not in html, leak


def assert_json_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert "detail" in body
    return body


@pytest.mark.parametrize(("url", "says"), [
    ("/teams/XYZ", "There is no team &#39;XYZ&#39;."),
    ("/teams/12", "There is no team"),
    ("/games/987654321", "There is no game 987654321."),
    ("/games/abc", "There is no game"),
    ("/games/0", "There is no game"),
    ("/standings?season=1990", "1990-91"),
])
def test_unknown_team_game_or_season_is_a_404_page(site: Site, url: str, says: str) -> None:
    assert_error_page(site.client.get(url), 404, "Not found", says)


def test_unknown_team_or_game_stays_json_in_the_api(site: Site) -> None:
    team = assert_json_error(site.client.get("/api/v1/teams/XYZ"), 404)
    assert team == {"detail": "team 'XYZ' not found"}
    game = assert_json_error(site.client.get("/api/v1/games/987654321"), 404)
    assert game == {"detail": "game 987654321 not found"}


@pytest.mark.parametrize(("url", "says"), [
    ("/?date=2026-02-30", "YYYY-MM-DD"),
    ("/?date=yesterday", "&#39;yesterday&#39;"),
    ("/standings?season=19x5", "start year"),
    ("/standings?season=1800", "start year"),
    ("/models?season=abcd", "start year"),
    ("/teams/BOS?season=-1", "start year"),
])
def test_bad_query_parameter_is_a_422_page_saying_what_is_wrong(site: Site, url: str,
                                                                says: str) -> None:
    assert_error_page(site.client.get(url), 422, "Invalid request", says)


@pytest.mark.parametrize("url", ["/api/v1/standings?season=1800",
                                 "/api/v1/games?date_from=2026-02-30",
                                 "/api/v1/teams?limit=abc"])
def test_bad_query_parameter_stays_a_json_422_in_the_api(site: Site, url: str) -> None:
    body = assert_json_error(site.client.get(url), 422)
    assert isinstance(body["detail"], list) and body["detail"][0]["loc"][0] == "query"


def test_unknown_address_is_an_html_404_outside_the_api(site: Site) -> None:
    """Decided by the address, not the Accept header: every client sees the same answer."""
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "application/json"):
        r = site.client.get("/no-such-page", headers={"Accept": accept})
        assert_error_page(r, 404, "Not found", "There is no page at this address.")
        api = site.client.get("/api/v1/no-such-route", headers={"Accept": accept})
        assert assert_json_error(api, 404) == {"detail": "Not Found"}


def test_a_method_a_page_lacks_is_a_405_page(site: Site) -> None:
    r = site.client.post("/standings")
    assert_error_page(r, 405, "Not allowed", "Method Not Allowed")
    assert r.headers["allow"] == "GET"
    api = site.client.post("/api/v1/teams")
    assert assert_json_error(api, 405) == {"detail": "Method Not Allowed"}


def test_an_unexpected_error_is_a_500_page_with_the_request_id(seeded_db_url: str) -> None:
    """A real failure: every page reads the refresh runs, whose table is gone in this copy."""
    from sports_analytics.app import create_app

    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE refresh_runs CASCADE"))
    engine.dispose()
    with TestClient(create_app(make_settings(seeded_db_url))) as client:
        for url in [*PAGES, "/games/1"]:
            r = client.get(url, headers={"X-Request-ID": "page-boom-1"})
            assert_error_page(r, 500, "Something went wrong", "unexpected error")
            assert "page-boom-1" in r.text
        api = client.get("/api/v1/refreshes", headers={"X-Request-ID": "api-boom-1"})
        assert assert_json_error(api, 500) == {"detail": "internal server error",
                                               "request_id": "api-boom-1"}


def test_database_down_is_a_503_page_saying_the_data_are_unavailable() -> None:
    from sports_analytics.app import create_app

    settings = make_settings("postgresql+psycopg://nobody@127.0.0.1:9/none",
                             db_connect_timeout_seconds=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for url in [*PAGES, "/games/1"]:
            r = client.get(url)
            assert_error_page(r, 503, "Data temporarily unavailable",
                              "The data are unavailable right now")
            assert r.headers["retry-after"] == "1" and "reload the page" in r.text
        for url in ["/api/v1/teams", "/api/v1/games/1", "/api/v1/refreshes"]:
            api = client.get(url)
            assert assert_json_error(api, 503) == {"detail": "database unavailable"}
            assert api.headers["retry-after"] == "1"
