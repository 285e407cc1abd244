"""Conventions every route follows: HEAD, compact JSON, offline docs, route-labelled metrics,
case-insensitive enum-like query values."""

from __future__ import annotations

import re

import orjson
import pytest

from sports_analytics.pages.assets import static_url

# GET URLs outside the OpenAPI document; the schema's own GET routes are added from it.
EXTRA_GET_URLS = ["/openapi.json", "/docs", "/redoc", "/metrics",
                  static_url("vendor/swagger-ui/swagger-ui-bundle.js")]
SAMPLE_PATH_VALUES = {"abbreviation": "BOS", "player_id": "1", "game_id": "1", "name": "elo_v1"}
JSON_URLS = [
    "/api/v1/teams", "/api/v1/teams/BOS", "/api/v1/players", "/api/v1/players/1",
    "/api/v1/games", "/api/v1/games/1", "/api/v1/standings", "/api/v1/predictions",
    "/api/v1/predictions/accuracy", "/api/v1/games/1/insight", "/api/v1/games/upcoming",
    "/api/v1/refreshes",
]


def _get_urls(client) -> list[str]:
    spec = client.get("/openapi.json").json()
    urls = []
    for path, item in sorted(spec["paths"].items()):
        if "get" in item:
            urls.append(re.sub(r"\{([^}]+)\}", lambda m: SAMPLE_PATH_VALUES[m.group(1)], path))
    return urls + EXTRA_GET_URLS


def test_every_get_route_answers_head_like_get_without_a_body(client) -> None:
    urls = _get_urls(client)
    assert len(urls) >= 20
    for url in urls:
        get = client.get(url)
        head = client.head(url)
        assert head.status_code == get.status_code < 500, (url, head.status_code, get.status_code)
        assert head.content == b"", url
        assert head.headers["content-type"] == get.headers["content-type"], url
        if "metrics" not in url:  # a scrape's size changes from one request to the next
            assert head.headers["content-length"] == get.headers["content-length"], url
        if "etag" in get.headers:
            assert head.headers["etag"] == get.headers["etag"], url


@pytest.mark.parametrize("url", JSON_URLS)
def test_bodies_are_compact_json(client, url: str) -> None:
    body = client.get(url).content
    assert body == orjson.dumps(orjson.loads(body)), body[:200]
    assert b'" : ' not in body and b", \n" not in body


def test_compact_box_score_keeps_key_order(client) -> None:
    body = client.get("/api/v1/games/1").content
    keys = list(orjson.loads(body))
    assert keys[:4] == ["game_id", "season", "date", "status"]
    assert keys[-2:] == ["home", "away"]


def test_docs_load_swagger_ui_from_the_service(client) -> None:
    html = client.get("/docs").text
    assert static_url("vendor/swagger-ui/swagger-ui-bundle.js") in html
    assert static_url("vendor/swagger-ui/swagger-ui.css") in html
    assert "cdn" not in html.lower()
    for asset, ctype in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
                         ("favicon-32x32.png", "image/png")):
        r = client.get(static_url(f"vendor/swagger-ui/{asset}"))
        assert r.status_code == 200 and ctype in r.headers["content-type"], asset
        assert len(r.content) > 100
    assert client.get("/static/vendor/swagger-ui/index.html").status_code == 404


def test_docs_and_openapi_are_labelled_by_route_in_metrics(client) -> None:
    for url in ("/docs", "/openapi.json", static_url("vendor/swagger-ui/swagger-ui.css")):
        client.get(url)
    metrics = client.get("/metrics").text
    for route in ("/docs", "/openapi.json", "/static/{name:path}"):
        assert re.search(rf'http_requests_total{{[^}}]*route="{re.escape(route)}"', metrics), route


def test_openapi_has_no_docs_routes(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/openapi", "/redoc"))]


@pytest.mark.parametrize(("url", "variants"), [
    ("/api/v1/teams?conference={}", ["East", "east", "EAST", "eAsT"]),
    ("/api/v1/predictions?season=2025&limit=5&model={}", ["elo_v1", "ELO_V1", "Elo_V1"]),
    ("/api/v1/predictions/accuracy?season=2025&model={}", ["home_always", "HOME_ALWAYS"]),
    ("/api/v1/games?limit=5&status={}", ["final", "FINAL", "Final"]),
])
def test_enum_query_values_match_case_insensitively(client, url: str, variants: list[str]) -> None:
    bodies = []
    for value in variants:
        r = client.get(url.format(value))
        assert r.status_code == 200, (value, r.text)
        bodies.append(r.json())
    assert all(b == bodies[0] for b in bodies)
    rejected = client.get(url.format("nope"))
    assert rejected.status_code == 422
    assert rejected.json()["detail"][0]["type"] == "literal_error"  # the usual message


def test_conference_filter_still_filters(client) -> None:
    teams = client.get("/api/v1/teams?conference=west").json()["items"]
    assert len(teams) == 15 and {t["conference"] for t in teams} == {"West"}
