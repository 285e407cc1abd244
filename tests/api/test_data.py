"""Data routes against the seeded demo season: shapes, filters, pagination, 404/422, caching
(standings: tests/standings)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from sports_analytics.api import schemas


def strict(model: type[BaseModel], data: dict) -> BaseModel:
    """Validate and insist that the payload has exactly the documented fields."""
    obj = model.model_validate(data)
    assert set(data) == set(model.model_fields), (set(data) ^ set(model.model_fields))
    return obj


def page_ok(body: dict, item_model: type[BaseModel], limit: int, offset: int) -> None:
    assert set(body) >= {"items", "total", "limit", "offset"}
    assert body["limit"] == limit and body["offset"] == offset
    for item in body["items"]:
        strict(item_model, item)


# --- teams ---------------------------------------------------------------------------------

def test_teams_list(client) -> None:
    r = client.get("/api/v1/teams")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    page_ok(body, schemas.Team, 50, 0)
    assert body["total"] == 30 and len(body["items"]) == 30
    abbrs = [t["abbreviation"] for t in body["items"]]
    assert abbrs == sorted(abbrs)
    east = client.get("/api/v1/teams", params={"conference": "East"}).json()
    assert east["total"] == 15 and {t["conference"] for t in east["items"]} == {"East"}


def test_teams_pagination(client) -> None:
    first = client.get("/api/v1/teams", params={"limit": 7}).json()
    rest = client.get("/api/v1/teams", params={"limit": 200, "offset": 7}).json()
    assert len(first["items"]) == 7 and len(rest["items"]) == 23
    assert [t["team_id"] for t in first["items"] + rest["items"]] == [
        t["team_id"] for t in client.get("/api/v1/teams").json()["items"]]
    beyond = client.get("/api/v1/teams", params={"offset": 1000}).json()
    assert beyond["items"] == [] and beyond["total"] == 30


@pytest.mark.parametrize("abbr", ["BOS", "bos", "Bos"])
def test_team_detail_case_insensitive(client, abbr: str) -> None:
    r = client.get(f"/api/v1/teams/{abbr}")
    assert r.status_code == 200
    body = r.json()
    strict(schemas.TeamDetail, body)
    assert body["abbreviation"] == "BOS" and body["division"] == "Atlantic"
    assert 13 <= len(body["roster"]) <= 15


def test_team_alias_and_404(client) -> None:
    assert client.get("/api/v1/teams/PHO").json()["abbreviation"] == "PHX"
    r = client.get("/api/v1/teams/XYZ")
    assert r.status_code == 404 and r.json() == {"detail": "team 'XYZ' not found"}
    assert client.get("/api/v1/teams/" + "A" * 17).status_code == 422


# --- players -------------------------------------------------------------------------------

def test_players_list_and_filters(client) -> None:
    body = client.get("/api/v1/players", params={"limit": 200}).json()
    page_ok(body, schemas.Player, 200, 0)
    assert 30 * 13 <= body["total"] <= 30 * 15
    lal = client.get("/api/v1/players", params={"team": "lal"}).json()
    assert {p["team"] for p in lal["items"]} == {"LAL"} and 13 <= lal["total"] <= 15
    active = client.get("/api/v1/players", params={"active": "false"}).json()
    assert active["total"] == 0 and active["items"] == []


def test_players_pages_are_disjoint_and_stable(client) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        body = client.get("/api/v1/players", params={"limit": 100, "offset": offset}).json()
        seen += [p["player_id"] for p in body["items"]]
        offset += 100
        if offset >= body["total"]:
            break
    assert len(seen) == len(set(seen)) == body["total"]


def test_players_unknown_team_404(client) -> None:
    r = client.get("/api/v1/players", params={"team": "ZZZ"})
    assert r.status_code == 404 and "ZZZ" in r.json()["detail"]
    assert client.get("/api/v1/players", params={"team": "1"}).status_code == 422


def test_player_detail_with_averages(client) -> None:
    body = client.get("/api/v1/players/1").json()
    strict(schemas.PlayerDetail, body)
    (avg,) = body["season_averages"]
    strict(schemas.SeasonAverages, avg)
    assert avg["season"] == 2025 and 0 < avg["games"] <= 82 and 0 <= avg["fg_pct"] <= 1
    r = client.get("/api/v1/players/999999")
    assert r.status_code == 404 and r.json()["detail"] == "player 999999 not found"


@pytest.mark.parametrize("bad", ["0", "-1", "abc", str(2**31), str(2**70)])
def test_player_id_validation(client, bad: str) -> None:
    assert client.get(f"/api/v1/players/{bad}").status_code == 422


# --- games ---------------------------------------------------------------------------------

def test_games_list(client) -> None:
    body = client.get("/api/v1/games", params={"season": 2025, "limit": 200}).json()
    page_ok(body, schemas.Game, 200, 0)
    assert body["total"] == 1230
    keys = [(g["date"], g["game_id"]) for g in body["items"]]
    assert keys == sorted(keys)
    assert client.get("/api/v1/games", params={"season": 2024}).json()["total"] == 0


def test_games_team_and_date_filters(client) -> None:
    bos = client.get("/api/v1/games", params={"team": "bos", "limit": 200}).json()
    assert bos["total"] == 82
    assert all("BOS" in (g["home_team"], g["away_team"]) for g in bos["items"])
    window = client.get("/api/v1/games", params={
        "date_from": "2025-12-01", "date_to": "2025-12-31", "limit": 200}).json()
    assert window["total"] > 150
    assert all("2025-12-01" <= g["date"] <= "2025-12-31" for g in window["items"])
    empty = client.get("/api/v1/games", params={"date_from": "2026-01-10", "date_to": "2026-01-01"})
    assert empty.status_code == 200 and empty.json()["total"] == 0
    assert client.get("/api/v1/games", params={"team": "QQQ"}).status_code == 404


def test_games_pagination_covers_everything_once(client) -> None:
    ids: list[int] = []
    for offset in range(0, 1230, 200):
        ids += [g["game_id"] for g in client.get(
            "/api/v1/games", params={"limit": 200, "offset": offset}).json()["items"]]
    assert len(ids) == len(set(ids)) == 1230


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 201}, {"limit": -5}, {"offset": -1}, {"offset": 2**40},
    {"limit": "x"}, {"season": 1945}, {"season": 2101}, {"season": 2**63},
    {"date_from": "2025-02-30"}, {"date_to": "2025-13-01"}, {"date_from": "yesterday"},
    {"team": "TOOLONG"},
])
def test_games_invalid_params_422(client, params: dict) -> None:
    r = client.get("/api/v1/games", params=params)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], list) and r.json()["detail"][0]["loc"][0] == "query"


def test_limit_above_configured_max_is_422(shared_seeded_db_url: str) -> None:
    from fastapi.testclient import TestClient

    from sports_analytics.app import create_app
    from tests.helpers.pgharness import make_settings

    with TestClient(create_app(make_settings(shared_seeded_db_url, max_page_size=10))) as c:
        assert c.get("/api/v1/teams", params={"limit": 10}).status_code == 200
        r = c.get("/api/v1/teams", params={"limit": 11})
        assert r.status_code == 422 and "10" in r.json()["detail"][0]["msg"]


def test_box_score(client) -> None:
    r = client.get("/api/v1/games/1")
    assert r.status_code == 200
    body = r.json()
    box = strict(schemas.BoxScore, body)
    assert box.status == "final"
    for side, score in (("home", body["home_score"]), ("away", body["away_score"])):
        team = body[side]
        strict(schemas.TeamBox, team)
        strict(schemas.StatLine, team["totals"])
        assert team["totals"]["points"] == score
        assert sum(p["points"] for p in team["players"]) == score
        for p in team["players"]:
            strict(schemas.PlayerLine, p)
            assert p["points"] == 2 * p["fgm"] + p["fg3m"] + p["ftm"]
        for col in ("rebounds", "assists", "fga", "fta", "fg3a", "turnovers"):
            assert sum(p[col] for p in team["players"]) == team["totals"][col]
        assert sum(p["starter"] for p in team["players"]) == 5
    assert body["home"]["team"] == body["home_team"]
    margin = body["home_score"] - body["away_score"]
    assert body["home"]["totals"]["plus_minus"] == margin == -body["away"]["totals"]["plus_minus"]


@pytest.mark.parametrize("bad", ["0", "-3", str(2**62 + 1), str(2**64), "1.5", "abc"])
def test_game_id_validation(client, bad: str) -> None:
    assert client.get(f"/api/v1/games/{bad}").status_code == 422


def test_game_404(client) -> None:
    for gid in (99999, 2**62):
        r = client.get(f"/api/v1/games/{gid}")
        assert r.status_code == 404 and r.json() == {"detail": f"game {gid} not found"}


def test_box_score_etag_and_304(client) -> None:
    r = client.get("/api/v1/games/7")
    etag = r.headers["etag"]
    assert etag.startswith('"bs-7-') and "max-age" in r.headers["cache-control"]
    again = client.get("/api/v1/games/7", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = client.get("/api/v1/games/7", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = client.get("/api/v1/games/8", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert client.get("/api/v1/games/7", headers={"If-None-Match": '"bs-7-0"'}).status_code == 200
    missing = client.get("/api/v1/games/99999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


def test_openapi_documents_the_models(client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/teams", "/api/v1/teams/{abbreviation}", "/api/v1/players",
                 "/api/v1/players/{player_id}", "/api/v1/games", "/api/v1/games/{game_id}",
                 "/api/v1/standings"):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in ok, path
    assert "BoxScore" in spec["components"]["schemas"]
    assert "StandingsRow" in spec["components"]["schemas"]
