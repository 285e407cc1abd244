"""The ``train`` and ``evaluate`` subcommands (argument parsing and output; work is lazy)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import structlog
from sqlalchemy import Engine, text

from sports_analytics.config import Settings

log = structlog.get_logger(__name__)


def train_on(engine: Engine) -> list[Any]:
    """Train every trained model in one transaction; returns the outcomes."""
    from sports_analytics.db.writes import bump_data_version, bump_data_version_after_commit
    from sports_analytics.modeling.train import train

    with engine.begin() as conn:
        outcomes = train(conn)
        written = sum(o.written for o in outcomes)
        if written:
            bump_data_version(conn)
    if written:
        bump_data_version_after_commit(engine)
    return outcomes


def train_after_refresh(engine: Engine, *, changed: bool) -> dict[str, Any]:
    """The refresh's training step: nothing when the data did not change and every trained
    model has a current version; otherwise :func:`train_on`. The figures go into the run's
    counts."""
    if not changed:
        with engine.connect() as conn:
            current = conn.execute(text(
                "SELECT count(*) FROM model_versions WHERE is_current AND model IN "
                "('elo_v2', 'logistic')")).scalar_one()
        if current == 2:
            return {"skipped": "no new data since the last training"}
    # numpy belongs to the refresh, not to training: the forecast step that follows needs it
    # too, so whichever step runs first would otherwise carry its import in its seconds.
    import numpy  # noqa: F401

    started = time.perf_counter()
    outcomes = train_on(engine)
    return {"seconds": round(time.perf_counter() - started, 3),
            **{o.model: {"action": o.action, "version": o.version, "written": o.written}
               for o in outcomes}}


def run_training(settings: Settings) -> list[Any]:
    """:func:`train_on` on a batch engine."""
    from sports_analytics.db.writes import job_engine

    with job_engine(settings, application_name="sports-analytics-train",
                    failure="training failed") as engine:
        return train_on(engine)


def _train(settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    outcomes = run_training(settings)
    for o in outcomes:
        print(f"train: {o.message}")
    print(f"train: done in {time.perf_counter() - started:.2f}s")
    return 0


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.db.writes import job_engine
    from sports_analytics.modeling.evaluate import chosen_seasons, evaluation, format_table

    with job_engine(settings, application_name="sports-analytics-evaluate",
                    failure="evaluation failed") as engine, engine.connect() as conn:
        seasons = chosen_seasons(conn, args.season, args.last)
        rows = evaluation(conn, seasons)
    print(format_table(rows, seasons))
    return 0


def add_model_commands(sub: Any) -> None:
    train = sub.add_parser("train", help="train new versions of elo_v2 and the logistic model")
    train.set_defaults(func=_train)
    evaluate = sub.add_parser(
        "evaluate", help="score every model's walk-forward predictions (Brier, log loss, ECE)")
    which = evaluate.add_mutually_exclusive_group()
    which.add_argument("--season", type=int, default=None,
                       help="only this season (start year, e.g. 2025 for 2025-26)")
    which.add_argument("--last", type=int, default=None, metavar="N",
                       help="the last N seasons together (default: every season)")
    evaluate.set_defaults(func=_evaluate)
