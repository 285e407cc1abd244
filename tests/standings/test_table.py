"""Standings over the seeded demo season: records, ranks, games behind, streaks, paging, ETag."""

from __future__ import annotations

from sports_analytics.api import schemas
from tests.api.test_data import strict


def test_standings(client) -> None:
    r = client.get("/api/v1/standings", params={"season": 2025})
    body = r.json()
    strict(schemas.Standings, body)
    for row in body["items"]:
        strict(schemas.StandingsRow, row)
    assert body["season"] == 2025 and body["total"] == 30 and len(body["items"]) == 30
    assert sum(row["wins"] for row in body["items"]) == 1230
    assert sum(row["losses"] for row in body["items"]) == 1230
    for conf in ("East", "West"):
        rows = [row for row in body["items"] if row["conference"] == conf]
        assert [row["conference_rank"] for row in rows] == list(range(1, 16))
        assert [row["seed"] for row in rows] == list(range(1, 16))
        # the season is over: every seed is certain, and so is every mark
        assert [row["clinched"] for row in rows] == ["playoffs"] * 6 + ["play_in"] * 4 + [None] * 5
        assert [row["eliminated"] for row in rows] == [False] * 10 + [True] * 5
        assert rows[0]["games_behind"] == 0
        pcts = [row["win_pct"] for row in rows]
        assert pcts == sorted(pcts, reverse=True)
        for row in rows:
            hw, hl = map(int, row["home"].split("-"))
            aw, al = map(int, row["away"].split("-"))
            lw, ll = map(int, row["last_10"].split("-"))
            assert (hw + aw, hl + al) == (row["wins"], row["losses"]) and lw + ll == 10
            assert hw + hl == 41 and row["neutral"] == "0-0"  # no neutral site in the demo
            assert row["win_pct"] == round(row["wins"] / 82, 3)
            lead = rows[0]
            assert row["games_behind"] == ((lead["wins"] - lead["losses"])
                                           - (row["wins"] - row["losses"])) / 2
            assert row["streak"][0] in "WL" and int(row["streak"][1:]) >= 1
    assert client.get("/api/v1/standings").json() == body  # default: latest season


def test_standings_streak_and_last_10_match_games(client) -> None:
    games = client.get("/api/v1/games", params={"team": "BOS", "limit": 200}).json()["items"]
    results = ["W" if (g["home_score"] > g["away_score"]) == (g["home_team"] == "BOS") else "L"
               for g in games]
    results.reverse()  # most recent first
    streak = 1
    while streak < len(results) and results[streak] == results[0]:
        streak += 1
    row = next(r for r in client.get("/api/v1/standings").json()["items"] if r["team"] == "BOS")
    assert row["streak"] == f"{results[0]}{streak}"
    assert row["last_10"] == f"{results[:10].count('W')}-{results[:10].count('L')}"


def test_standings_empty_season_and_validation(client) -> None:
    empty = client.get("/api/v1/standings", params={"season": 1999}).json()
    assert empty["items"] == [] and empty["total"] == 0
    assert client.get("/api/v1/standings", params={"season": 3000}).status_code == 422
    assert client.get("/api/v1/standings", params={"limit": 500}).status_code == 422
    paged = client.get("/api/v1/standings", params={"limit": 5, "offset": 15}).json()
    assert [r["conference"] for r in paged["items"]] == ["West"] * 5


def test_standings_etag(client) -> None:
    r = client.get("/api/v1/standings")
    etag = r.headers["etag"]
    assert client.get("/api/v1/standings", headers={"If-None-Match": etag}).status_code == 304
    r2 = client.get("/api/v1/standings", params={"limit": 10}, headers={"If-None-Match": etag})
    assert r2.status_code == 200
