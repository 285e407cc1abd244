"""The ``train`` and ``evaluate`` subcommands (argument parsing and output; work is lazy)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import structlog

from sports_analytics.config import Settings

log = structlog.get_logger(__name__)


def run_training(settings: Settings) -> list[Any]:
    """Train every trained model in one transaction on a batch engine; returns the outcomes."""
    from sports_analytics.db.writes import (
        bump_data_version,
        bump_data_version_after_commit,
        job_engine,
    )
    from sports_analytics.modeling.train import train

    with job_engine(settings, application_name="sports-analytics-train",
                    failure="training failed") as engine:
        with engine.begin() as conn:
            outcomes = train(conn)
            written = sum(o.written for o in outcomes)
            if written:
                bump_data_version(conn)
        if written:
            bump_data_version_after_commit(engine)
    return outcomes


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
