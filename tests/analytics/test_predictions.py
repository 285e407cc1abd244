"""elo_v1 and home_always: prior-games-only, idempotent upserts, accuracy metrics, CLI."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sports_analytics.analytics.elo import (
    ELO_V1,
    EloParams,
    GameResult,
    home_win_probability,
    mov_multiplier,
    rating_change,
    run_elo,
)
from sports_analytics.analytics.predictions import (
    accuracy_report,
    home_always_probs,
    run_predictions,
)
from tests.helpers.analytics_season import SeasonSpec, build_season
from tests.helpers.pgharness import make_settings


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    yield eng
    eng.dispose()


def _predictions(engine: sa.Engine) -> dict[tuple[int, str], dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT game_id, model, home_win_prob, away_win_prob, home_rating, away_rating, "
            "was_correct, created_at, xmin::text AS xmin FROM predictions")).mappings().all()
    return {(r["game_id"], r["model"]): dict(r) for r in rows}


# --- the model itself (pure Python) ----------------------------------------------------------

def test_elo_formulas() -> None:
    assert home_win_probability(1500, 1500) == pytest.approx(1 / (1 + 10 ** (-100 / 400)))
    assert home_win_probability(1500, 1500, EloParams(home_advantage=0)) == 0.5
    # Autocorrelation: the same margin moves a favourite's rating less than an underdog's.
    assert mov_multiplier(10, 200) < mov_multiplier(10, -200)
    assert mov_multiplier(20, 0) > mov_multiplier(5, 0)
    win = rating_change(1500, 1500, 110, 100)
    loss = rating_change(1500, 1500, 100, 110)
    assert win > 0 > loss
    assert abs(loss) > abs(win)  # the home side was expected to win
    assert rating_change(1500, 1500, 100, 100) == 0.0


def test_elo_uses_earlier_days_only_and_regresses_between_seasons() -> None:
    d = dt.date(2025, 1, 1)
    games = [
        GameResult(1, 2024, d, 1, 2, 130, 90, True),
        GameResult(2, 2024, d, 3, 4, 90, 130, True),   # same day: must not see game 1
        GameResult(3, 2024, d + dt.timedelta(days=1), 1, 3, None, None, False),
        GameResult(4, 2025, d + dt.timedelta(days=300), 1, 2, None, None, False),
    ]
    fc = {f.game_id: f for f in run_elo(games)}
    assert fc[1].home_rating == fc[2].home_rating == ELO_V1.initial_rating
    assert fc[3].home_rating > 1500 > fc[3].away_rating  # team 1 won, team 3 lost at home
    carried = ELO_V1.season_carryover * fc[3].home_rating + (1 - ELO_V1.season_carryover) * ELO_V1.season_mean
    assert fc[4].home_rating == pytest.approx(carried)


def test_home_always_uses_prior_days_only() -> None:
    d = dt.date(2025, 1, 1)
    games = [GameResult(i, 2025, d, 2 * i, 2 * i + 1, 100, 90, True) for i in range(1, 5)]
    games.append(GameResult(9, 2025, d + dt.timedelta(days=1), 1, 2, None, None, False))
    probs = home_always_probs(games)
    assert probs[1] == probs[4] == pytest.approx(0.6)  # nothing finished before day one
    assert probs[9] == pytest.approx((4 + 0.6 * 20) / (4 + 20))


# --- against PostgreSQL ------------------------------------------------------------------------

def test_run_predictions_fills_every_game_and_is_idempotent(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_games=100, scheduled_tail=5))
    first_run = run_predictions(engine)
    assert first_run == {"games": 100, "rows": 200, "changed": 200}
    first = _predictions(engine)
    assert {k[0] for k in first} == set(ids)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT last_value FROM data_version_seq")).scalar_one()
        finals = dict(conn.execute(sa.text(
            "SELECT id, home_score > away_score FROM games WHERE status = 'final'")).all())
    for (gid, _model), row in first.items():
        assert row["home_win_prob"] + row["away_win_prob"] == pytest.approx(1.0)
        if gid in finals:
            assert row["was_correct"] == ((row["home_win_prob"] >= 0.5) == finals[gid])
        else:
            assert row["was_correct"] is None
    # A second run rewrites nothing: same values, same row versions, no version bump.
    assert run_predictions(engine)["changed"] == 0
    assert _predictions(engine) == first
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT last_value FROM data_version_seq")).scalar_one() == version


def test_later_results_do_not_change_earlier_predictions(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_games=100, scheduled_tail=0, seed=5))
    run_predictions(engine)
    before = _predictions(engine)
    target = ids[60]
    with engine.begin() as conn:
        day = conn.execute(sa.text("SELECT date FROM games WHERE id = :i"), {"i": target}).scalar_one()
        conn.execute(sa.text("UPDATE games SET home_score = away_score + 35 WHERE id = :i"), {"i": target})
        early = {r[0] for r in conn.execute(sa.text("SELECT id FROM games WHERE date <= :d"), {"d": day})}
    result = run_predictions(engine)
    assert result["changed"] > 0
    after = _predictions(engine)
    strip = ("created_at", "xmin", "was_correct")
    for key in before:
        if key[0] in early:
            a = {k: v for k, v in after[key].items() if k not in strip}
            b = {k: v for k, v in before[key].items() if k not in strip}
            assert a == b, key
    assert any(after[k]["home_win_prob"] != before[k]["home_win_prob"]
               for k in before if k[0] not in early and k[1] == "elo_v1")


def test_season_scoped_run_keeps_elo_history(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        build_season(conn, SeasonSpec(season=2024, start=dt.date(2024, 10, 22), n_games=80,
                                      scheduled_tail=0, seed=1))
        ids_2025 = build_season(conn, SeasonSpec(season=2025, n_games=40, seed=2))
    assert run_predictions(engine, season=2025)["games"] == len(ids_2025)
    preds = _predictions(engine)
    assert {k[0] for k in preds} == set(ids_2025)
    opening = next(p for (gid, m), p in preds.items() if gid == min(ids_2025) and m == "elo_v1")
    # 2024 results carried over (regressed), so the first 2025 game is not 1500 vs 1500.
    assert (opening["home_rating"], opening["away_rating"]) != (1500.0, 1500.0)
    assert run_predictions(engine, season=1990) == {"games": 0, "rows": 0, "changed": 0}


def test_accuracy_metrics_match_python(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        build_season(conn, SeasonSpec(n_teams=10, n_games=200, scheduled_tail=3, seed=9))
    run_predictions(engine)
    with engine.connect() as conn:
        report = accuracy_report(conn, 2025)
        rows = conn.execute(sa.text(
            "SELECT p.model, p.home_win_prob, (g.home_score > g.away_score)::int AS y, p.was_correct "
            "FROM predictions p JOIN games g ON g.id = p.game_id WHERE g.status = 'final'")).all()
        only = accuracy_report(conn, 2025, "home_always")
    assert [m["model"] for m in report] == ["elo_v1", "home_always"]
    assert [m["model"] for m in only] == ["home_always"]
    for m in report:
        mine = [(p, y, c) for model, p, y, c in rows if model == m["model"]]
        assert m["games"] == len(mine) == 197
        assert m["accuracy"] == pytest.approx(sum(c for *_, c in mine) / len(mine), abs=1e-4)
        assert m["brier_score"] == pytest.approx(sum((p - y) ** 2 for p, y, _ in mine) / len(mine), abs=1e-5)
        ll = -sum(math.log(p) if y else math.log(1 - p) for p, y, _ in mine) / len(mine)
        assert m["log_loss"] == pytest.approx(ll, abs=1e-5)
        cal = m["calibration"]
        assert [b["bucket"] for b in cal] == list(range(10))
        assert sum(b["games"] for b in cal) == len(mine)
        for b in cal:
            if b["games"]:
                assert b["lower"] <= b["mean_predicted"] <= b["upper"]
            else:
                assert b["mean_predicted"] is None and b["observed_rate"] is None


def test_predict_cli(migrated_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from sports_analytics.cli import main

    eng = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    with eng.begin() as conn:
        build_season(conn, SeasonSpec(n_games=30))
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", migrated_db_url)
    assert main(["predict"]) == 0
    assert "60 of 60 prediction rows changed" in capsys.readouterr().out
    assert main(["predict", "--season", "2025"]) == 0
    assert "0 of 60 prediction rows changed" in capsys.readouterr().out
    assert main(["predict", "--season", "2030"]) == 1
    assert "no games in season 2030" in capsys.readouterr().err
