"""Analytics HTTP routes on the demo season, and the newcomer's path seed-demo -> accuracy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from tests.helpers.pgharness import make_settings


@pytest.fixture(scope="module")
def api(shared_seeded_db_url: str) -> Iterator[tuple[TestClient, sa.Engine]]:
    from sports_analytics.app import create_app

    engine = sa.create_engine(make_settings(shared_seeded_db_url).sqlalchemy_url)
    compute_features(engine)
    run_predictions(engine)
    with TestClient(create_app(make_settings(shared_seeded_db_url, max_page_size=100))) as client:
        yield client, engine
    engine.dispose()


def _one_game(engine: sa.Engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(
            "SELECT g.id, g.season, h.abbreviation AS home, a.abbreviation AS away, g.date "
            "FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id "
            "ORDER BY g.date DESC, g.id LIMIT 1")).mappings().one())


def test_game_features_route(api) -> None:
    client, engine = api
    game = _one_game(engine)
    resp = client.get(f"/api/v1/games/{game['id']}/features")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["home"]["team"] == game["home"] and body["home"]["is_home"] is True
    assert body["away"]["team"] == game["away"] and body["away"]["is_home"] is False
    assert body["home"]["games_played"] > 50  # late in the season
    for side in ("home", "away"):
        assert 0 <= body[side]["win_pct_last10"] <= 1
        assert 80 < body[side]["off_rating_last5"] < 140
        assert 85 < body[side]["pace_last5"] < 115
        assert 0.35 < body[side]["efg_pct_last5"] < 0.7
    assert client.get("/api/v1/games/987654321/features").status_code == 404
    assert client.get("/api/v1/games/0/features").status_code == 422
    assert client.get(f"/api/v1/games/{2**62 + 1}/features").status_code == 422
    assert client.get("/api/v1/games/abc/features").status_code == 422


def test_features_not_computed_is_a_clear_404(api) -> None:
    client, engine = api
    game = _one_game(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM game_features WHERE game_id = :g"), {"g": game["id"]})
    resp = client.get(f"/api/v1/games/{game['id']}/features")
    assert resp.status_code == 404
    assert "sports-analytics features" in resp.json()["detail"]
    compute_features(engine)
    assert client.get(f"/api/v1/games/{game['id']}/features").status_code == 200


def test_game_prediction_route(api) -> None:
    client, engine = api
    game = _one_game(engine)
    body = client.get(f"/api/v1/games/{game['id']}/prediction").json()
    assert [p["model"] for p in body["predictions"]] == ["elo_v1", "home_always"]
    elo = body["predictions"][0]
    assert elo["home_win_prob"] + elo["away_win_prob"] == pytest.approx(1)
    assert elo["predicted_winner"] == (game["home"] if elo["home_win_prob"] >= 0.5 else game["away"])
    assert elo["home_rating"] is not None
    assert body["predictions"][1]["predicted_winner"] == game["home"]
    assert client.get("/api/v1/games/987654321/prediction").status_code == 404


def test_predictions_list_filters_and_pages(api) -> None:
    client, engine = api
    game = _one_game(engine)
    resp = client.get("/api/v1/predictions", params={"season": game["season"], "model": "elo_v1",
                                                    "limit": 100, "offset": 10})
    assert resp.status_code == 200
    page = resp.json()
    assert set(page) == {"items", "total", "total_is_estimate", "limit", "offset"}
    assert page["total"] == 1230 and page["limit"] == 100 and page["offset"] == 10
    assert len(page["items"]) == 100 and {i["model"] for i in page["items"]} == {"elo_v1"}
    dates = [i["date"] for i in page["items"]]
    assert dates == sorted(dates)
    day = client.get("/api/v1/predictions", params={"date": str(game["date"])}).json()
    assert day["total"] >= 2 and all(i["date"] == str(game["date"]) for i in day["items"])
    assert client.get("/api/v1/predictions", params={"season": 1990}).json()["total"] == 0
    for bad in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"model": "gpt"},
                {"date": "2025-13-40"}, {"season": 99999}, {"offset": 2**40}):
        r = client.get("/api/v1/predictions", params=bad)
        assert r.status_code == 422, (bad, r.text)


def test_accuracy_shape_and_elo_beats_baseline_on_demo(api) -> None:
    client, _ = api
    body = client.get("/api/v1/predictions/accuracy").json()
    assert body["season"] == 2025
    models = {m["model"]: m for m in body["models"]}
    assert set(models) == {"elo_v1", "home_always"}
    for m in models.values():
        assert set(m) == {"model", "games", "accuracy", "brier_score", "log_loss", "ece",
                          "calibration"}
        assert m["games"] == 1230
        assert len(m["calibration"]) == 10
        assert sum(b["games"] for b in m["calibration"]) == 1230
        gap = sum(b["games"] * abs(b["mean_predicted"] - b["observed_rate"])
                  for b in m["calibration"] if b["games"]) / 1230
        assert m["ece"] == pytest.approx(gap, abs=1e-4)
    assert models["elo_v1"]["brier_score"] < models["home_always"]["brier_score"]
    only = client.get("/api/v1/predictions/accuracy", params={"season": 2025, "model": "elo_v1"})
    assert [m["model"] for m in only.json()["models"]] == ["elo_v1"]
    assert client.get("/api/v1/predictions/accuracy", params={"season": 1990}).json() == {
        "season": 1990, "models": []}
    assert client.get("/api/v1/predictions/accuracy", params={"model": "x"}).status_code == 422


def test_openapi_documents_the_routes(api) -> None:
    client, _ = api
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/games/{game_id}/features", "/api/v1/games/{game_id}/prediction",
                 "/api/v1/games/{game_id}/insight", "/api/v1/predictions",
                 "/api/v1/predictions/accuracy"):
        assert "get" in paths[path], path


@pytest.mark.slow
def test_newcomer_path_seed_features_predict_accuracy(migrated_db_url: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys) -> None:
    from sports_analytics.app import create_app
    from sports_analytics.cli import main

    monkeypatch.setenv("DATABASE_URL", migrated_db_url)
    assert main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    assert "features: 2460 team-game rows" in out and "2460 of 2460 prediction rows changed" in out
    assert main(["seed-demo"]) == 0  # a no-op seed does not recompute
    assert "features:" not in capsys.readouterr().out
    assert main(["features"]) == 0  # incremental: nothing changed since the seed
    assert main(["predict"]) == 0
    out = capsys.readouterr().out
    assert "features: 0 team-game rows (incremental)" in out and "predict: 0 games" in out
    assert main(["predict", "--full"]) == 0
    assert "0 of 2460 prediction rows changed (full)" in capsys.readouterr().out
    with TestClient(create_app(make_settings(migrated_db_url))) as client:
        body = client.get("/api/v1/predictions/accuracy").json()
    models = {m["model"]: m for m in body["models"]}
    assert models["elo_v1"]["brier_score"] < models["home_always"]["brier_score"]
    print("demo accuracy:", {k: {x: v[x] for x in ("games", "accuracy", "brier_score", "log_loss")}
                             for k, v in models.items()})
