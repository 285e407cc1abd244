"""Training: walk-forward (no leakage) for every model, idempotent retraining, versions."""

from __future__ import annotations

import sqlalchemy as sa

from tests.modeling.conftest import predictions, run_cli

MODELS = {"elo_v1", "home_always", "elo_v2", "logistic"}


def _versions(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT model, version, is_current, status, fingerprint FROM model_versions "
            "ORDER BY model, version")).all()


def test_seed_demo_trains_and_every_game_has_every_model(history_url: str,
                                                         engine: sa.Engine) -> None:
    assert [v[:4] for v in _versions(engine)] == [
        ("elo_v1", 1, True, "accepted"), ("elo_v2", 1, True, "accepted"),
        ("home_always", 1, True, "accepted"), ("logistic", 1, True, "accepted")]
    rows = predictions(engine)
    with engine.connect() as conn:
        games = conn.execute(sa.text("SELECT count(*) FROM games")).scalar_one()
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM predictions p LEFT JOIN model_versions v "
            "ON v.id = p.model_version_id WHERE v.id IS NULL")).scalar_one()
        wrong_model = conn.execute(sa.text(
            "SELECT count(*) FROM predictions p JOIN model_versions v "
            "ON v.id = p.model_version_id WHERE v.model <> p.model")).scalar_one()
    assert {m for _, m in rows} == MODELS
    assert len(rows) == 4 * games
    assert orphans == 0 and wrong_model == 0  # every row names an existing version of its model


def test_retraining_unchanged_data_changes_nothing(history_url: str, engine: sa.Engine,
                                                   capsys) -> None:
    assert run_cli(history_url, "train") == 0
    versions, before = _versions(engine), predictions(engine)
    with engine.connect() as conn:
        stamps = conn.execute(sa.text("SELECT max(created_at) FROM predictions")).scalar_one()
    capsys.readouterr()
    assert run_cli(history_url, "train") == 0
    out = capsys.readouterr().out
    assert "elo_v2: data unchanged, version 1 stays" in out
    assert "logistic: data unchanged, version 1 stays" in out
    assert _versions(engine) == versions
    assert predictions(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT max(created_at) FROM predictions")
                            ).scalar_one() == stamps


def _walk_forward(engine: sa.Engine) -> dict[str, dict[int, float]]:
    """Both trained models' walk-forward probabilities, every snapshot fitted afresh."""
    from sports_analytics.modeling.data import load_table
    from sports_analytics.modeling.elo_v2 import run_elo_v2
    from sports_analytics.modeling.logistic import run_logistic

    with engine.connect() as conn:
        table = load_table(conn)
    elo = run_elo_v2(table)
    fitted = run_logistic(table, elo, {})
    ids = table.game_id.tolist()
    return {"elo_v2": dict(zip(ids, elo.prob.tolist(), strict=True)),
            "logistic": dict(zip(ids, fitted.prob.tolist(), strict=True))}


def test_changing_a_result_never_changes_that_or_an_earlier_prediction(
        history_url: str, engine: sa.Engine) -> None:
    before = {**_walk_forward(engine), **{
        m: {g: p for (g, mm), (p, _) in predictions(engine).items() if mm == m}
        for m in ("elo_v1", "home_always")}}
    with engine.begin() as conn:
        # a game in the middle of the last season, its result reversed
        gid, day = conn.execute(sa.text(
            "SELECT id, date FROM games WHERE season = (SELECT max(season) FROM games) "
            "ORDER BY date, id OFFSET 600 LIMIT 1")).one()
        conn.execute(sa.text("UPDATE games SET home_score = away_score, away_score = home_score, "
                             "updated_at = now() WHERE id = :g"), {"g": gid})
        dates = dict(conn.execute(sa.text("SELECT id, date FROM games")).all())
    assert run_cli(history_url, "features") == 0
    assert run_cli(history_url, "predict") == 0
    after = {**_walk_forward(engine), **{
        m: {g: p for (g, mm), (p, _) in predictions(engine).items() if mm == m}
        for m in ("elo_v1", "home_always")}}
    for model in MODELS:
        earlier = [g for g in before[model] if dates[g] <= day]
        later = [g for g in before[model] if dates[g] > day]
        assert earlier and later
        assert [before[model][g] for g in earlier] == [after[model][g] for g in earlier], model
        # the test can fail: the change does reach later games
        assert any(before[model][g] != after[model][g] for g in later), model
