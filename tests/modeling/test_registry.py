"""The registry: acceptance by holdout Brier, bad versions, too little history, the API."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.helpers.pgharness import make_settings
from tests.modeling.conftest import predictions, run_cli


def _current(engine: sa.Engine, model: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version FROM model_versions "
                                    "WHERE model = :m AND is_current"), {"m": model}).scalar_one()


def _all_versions(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT model, version, is_current, status "
                                    "FROM model_versions ORDER BY model, version")).all()


def _flip_a_result(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE games SET home_score = away_score, away_score = home_score, updated_at = now() "
            "WHERE id = (SELECT id FROM games WHERE season = (SELECT max(season) FROM games) "
            "ORDER BY date, id OFFSET 300 LIMIT 1)"))


def test_a_worse_candidate_is_recorded_as_rejected_and_changes_nothing(
        history_url: str, engine: sa.Engine) -> None:
    assert run_cli(history_url, "train") == 0
    with engine.begin() as conn:  # the current version's stored forecasts become near perfect
        conn.execute(sa.text(
            "UPDATE predictions p SET home_win_prob = CASE WHEN g.home_score > g.away_score "
            "THEN 0.99 ELSE 0.01 END, away_win_prob = CASE WHEN g.home_score > g.away_score "
            "THEN 0.01 ELSE 0.99 END FROM games g WHERE g.id = p.game_id AND p.model = 'elo_v2'"))
    before = predictions(engine)
    _flip_a_result(engine)
    assert run_cli(history_url, "features") == 0
    assert run_cli(history_url, "train") == 0
    with engine.connect() as conn:
        status, current, reason = conn.execute(sa.text(
            "SELECT status, is_current, reason FROM model_versions "
            "WHERE model = 'elo_v2' ORDER BY version DESC LIMIT 1")).one()
    assert (status, current) == ("rejected", False)
    assert "worse than current version 1" in reason
    assert _current(engine, "elo_v2") == 1
    after = predictions(engine)
    assert {k: v for k, v in after.items() if k[1] == "elo_v2"} == {
        k: v for k, v in before.items() if k[1] == "elo_v2"}


def test_a_better_candidate_becomes_current(history_url: str, engine: sa.Engine) -> None:
    assert run_cli(history_url, "train") == 0
    with engine.begin() as conn:  # the current version's stored forecasts become coin flips
        conn.execute(sa.text("UPDATE predictions SET home_win_prob = 0.5, away_win_prob = 0.5 "
                             "WHERE model = 'logistic'"))
    _flip_a_result(engine)
    assert run_cli(history_url, "features") == 0
    assert run_cli(history_url, "train") == 0
    assert _current(engine, "logistic") == 2
    with engine.connect() as conn:
        versions = conn.execute(sa.text(
            "SELECT DISTINCT v.version FROM predictions p JOIN model_versions v "
            "ON v.id = p.model_version_id WHERE p.model = 'logistic'")).scalars().all()
    assert versions == [2]  # every row was rewritten, so each names version 2


def test_a_corrupt_current_version_falls_back_to_the_previous_one(
        history_url: str, engine: sa.Engine) -> None:
    from sports_analytics.app import create_app
    from sports_analytics.modeling.ratings import current_rating_model

    assert run_cli(history_url, "train") == 0
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE predictions SET home_win_prob = 0.5, away_win_prob = 0.5 "
                             "WHERE model = 'elo_v2'"))
    _flip_a_result(engine)
    assert run_cli(history_url, "features") == 0
    assert run_cli(history_url, "train") == 0
    assert _current(engine, "elo_v2") == 2
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE model_versions SET params = "
                             "jsonb_set(params, '{ratings}', 'null') "
                             "WHERE model = 'elo_v2' AND version = 2"))
    with engine.connect() as conn:
        rating_model = current_rating_model(conn)
    assert rating_model is not None and rating_model.name == "elo_v2"
    with engine.connect() as conn:
        assert rating_model.version_id == conn.execute(sa.text(
            "SELECT id FROM model_versions WHERE model = 'elo_v2' AND version = 1")).scalar_one()
    with TestClient(create_app(make_settings(history_url))) as client:
        one = client.get("/api/v1/models/elo_v2")
        listing = client.get("/api/v1/models")
    assert one.status_code == 200 and one.json()["current_version"] == 1
    assert listing.status_code == 200


def test_models_api_lists_versions_with_holdout_figures(history_url: str) -> None:
    from sports_analytics.app import create_app

    assert run_cli(history_url, "train") == 0
    with TestClient(create_app(make_settings(history_url))) as client:
        listing = client.get("/api/v1/models").json()
        logistic = client.get("/api/v1/models/LOGISTIC").json()
        missing = client.get("/api/v1/models/nope")
        accuracy = client.get("/api/v1/predictions/accuracy").json()
    models = {m["model"]: m for m in listing["models"]}
    assert set(models) == {"elo_v1", "home_always", "elo_v2", "logistic"}
    for m in models.values():
        assert m["current_version"] == 1
        holdout = m["versions"][0]["holdout"]
        assert holdout["games"] == 1230 and 0 < holdout["brier"] < 0.25
        assert holdout["ece"] is not None
    assert models["logistic"]["kind"] == "trained" and models["elo_v1"]["kind"] == "reference"
    coefficients = logistic["versions"][0]["params"]["coefficients"]
    assert set(coefficients) >= {"elo_diff", "home_court", "rest_diff", "b2b_diff"}
    assert missing.status_code == 404
    scored = {m["model"]: m for m in accuracy["models"]}
    assert set(scored) == {"elo_v1", "home_always", "elo_v2", "logistic"}
    assert all(0 <= m["ece"] < 0.2 for m in scored.values())


def test_train_with_too_little_history_says_so_and_keeps_the_current_version(
        history_url: str, engine: sa.Engine, capsys) -> None:
    assert run_cli(history_url, "train") == 0  # seed-demo trained already: versions exist
    before = _all_versions(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM games WHERE id > 150"))
    assert run_cli(history_url, "train") == 0
    out = capsys.readouterr().out
    assert "elo_v2: too little history (150 final games, needs" in out
    assert "logistic: too little history (150 final games, needs" in out
    assert _all_versions(engine) == before
    assert _current(engine, "elo_v2") == _current(engine, "logistic") == 1


def test_evaluate_of_a_season_not_in_the_database_is_a_clear_error(history_url: str,
                                                                   capsys) -> None:
    assert run_cli(history_url, "evaluate", "--season", "1990") == 1
    assert "season 1990 is not in the database (it has 2024-2025)" in capsys.readouterr().err


def test_evaluate_prints_a_table_per_model(history_url: str, capsys) -> None:
    assert run_cli(history_url, "train") == 0
    capsys.readouterr()
    assert run_cli(history_url, "evaluate", "--season", "2025") == 0
    out = capsys.readouterr().out
    assert "walk-forward evaluation, season 2025" in out
    for model in ("elo_v1", "home_always", "elo_v2", "logistic", "oracle"):
        assert f"\n{model} " in out  # the demo's true probabilities are scored too


def test_request_handling_does_not_import_the_training_library() -> None:
    code = ("import sys, json\n"
            "from sports_analytics.app import create_app\n"
            "import sports_analytics.api.models, sports_analytics.modeling.ratings\n"
            "import sports_analytics.modeling.registry, sports_analytics.modeling.logistic\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'lightgbm', 'scipy'))))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
