"""elo_v2's grid checkpoints: a resumed run gives exactly what a run from scratch gives, and a
changed past result (or new code) is never served from a checkpoint that no longer holds."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import sqlalchemy as sa

from tests.modeling.conftest import run_cli


def _table(engine: sa.Engine):
    from sports_analytics.modeling.data import load_table

    with engine.connect() as conn:
        return load_table(conn)


def _assert_same(a, b) -> None:
    for name in ("prob", "rating_diff", "home_court"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name  # bit for bit
    assert (a.chosen, a.ratings, a.next_home_court) == (b.chosen, b.ratings, b.next_home_court)


def _unfinished_from(t, day: int):
    """``t`` as it was before the games from ``day`` on went final."""
    final = t.final & (t.day < day)
    return replace(t, final=final, margin=np.where(final, t.margin, 0.0))


def _flip(t, position: int):
    margin = t.margin.copy()
    margin[position] = -margin[position]
    return replace(t, margin=margin)


def test_a_nightly_run_resumes_and_equals_a_run_from_scratch(engine: sa.Engine) -> None:
    from sports_analytics.modeling.elo_v2 import run_elo_v2
    from sports_analytics.modeling.grid_cache import GridCache

    t = _table(engine)
    assert len(set(t.season.tolist())) == 2
    final_days = sorted(set(t.day[t.final].tolist()))
    night_before = _unfinished_from(t, final_days[-2])
    cache = GridCache("code")
    _assert_same(run_elo_v2(night_before, cache=cache), run_elo_v2(night_before))
    assert cache.reused == 0 and len(cache.state["checkpoints"]) == 2

    resumed = run_elo_v2(t, cache=cache)
    # stepped only through the days from the last checkpoint (the day before)
    assert cache.reused == int(np.searchsorted(t.day, final_days[-3], side="left"))
    _assert_same(resumed, run_elo_v2(t))
    again = run_elo_v2(t, cache=cache)
    assert cache.reused == int(np.searchsorted(t.day, final_days[-1], side="left"))
    _assert_same(again, resumed)


def test_a_changed_past_result_or_new_code_starts_from_a_checkpoint_that_still_holds(
        engine: sa.Engine) -> None:
    from sports_analytics.modeling.elo_v2 import run_elo_v2
    from sports_analytics.modeling.grid_cache import GridCache

    t = _table(engine)
    cache = GridCache("code")
    run_elo_v2(t, cache=cache)
    stored = copy.deepcopy(cache.state)
    season_start = int(np.searchsorted(t.season, t.season[-1], side="left"))
    latest = max(c["at"] for c in stored["checkpoints"])
    assert 0 < season_start < latest

    finals = np.flatnonzero(t.final)
    first_season_game = int(finals[10])
    this_season_game = int(finals[np.searchsorted(finals, season_start) + 10])
    for position, resumes_at in ((first_season_game, 0), (this_season_game, season_start)):
        changed = _flip(t, position)
        cache = GridCache("code", copy.deepcopy(stored))
        resumed = run_elo_v2(changed, cache=cache)
        assert cache.reused == resumes_at
        scratch = run_elo_v2(changed)
        _assert_same(resumed, scratch)
        # the test can fail: the change reaches later games
        assert not np.array_equal(scratch.prob[position + 1:], run_elo_v2(t).prob[position + 1:])

    cache = GridCache("other code", copy.deepcopy(stored))
    _assert_same(run_elo_v2(t, cache=cache), run_elo_v2(t))
    assert cache.reused == 0


def test_training_after_a_changed_result_stores_what_a_run_from_scratch_gives(
        history_url: str, engine: sa.Engine) -> None:
    from sports_analytics.modeling.elo_v2 import run_elo_v2
    from sports_analytics.modeling.logistic import run_logistic
    from sports_analytics.modeling.train import _fingerprint

    def snapshot() -> tuple:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT state, updated_at FROM analytics_snapshots "
                                        "WHERE name = 'elo_v2_grid'")).one()

    assert run_cli(history_url, "train") == 0
    state, stamp = snapshot()
    assert state["checkpoints"]
    assert run_cli(history_url, "train") == 0
    assert snapshot() == (state, stamp)  # nothing changed: nothing rewritten

    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE games SET home_score = away_score, away_score = home_score, "
            "updated_at = now() WHERE id = (SELECT id FROM games WHERE status = 'final' AND "
            "season = (SELECT max(season) FROM games) ORDER BY date, id OFFSET 100 LIMIT 1)"))
    for command in ("features", "predict", "train"):
        assert run_cli(history_url, command) == 0
    assert snapshot()[0] != state
    # the new versions (accepted or not) are fingerprints of exactly the probabilities that
    # runs from scratch give: elo_v2's, and logistic's, which is built on elo_v2's ratings
    t = _table(engine)
    elo = run_elo_v2(t)
    expected = {"elo_v2": _fingerprint("elo_v2", t, elo.prob),
                "logistic": _fingerprint("logistic", t, run_logistic(t, elo, {}).prob)}
    with engine.connect() as conn:
        newest = dict(conn.execute(sa.text(
            "SELECT DISTINCT ON (model) model, fingerprint FROM model_versions "
            "WHERE model IN ('elo_v2', 'logistic') AND version = 2 ORDER BY model")).all())
    assert newest == expected
