#!/usr/bin/env python3
"""Model choice: scikit-learn's logistic regression against LightGBM, walk-forward.

On a database that has features and predictions (e.g. ``seed-demo --seasons 5``), both
learners are fitted on exactly the same weekly snapshots and design matrix as the
``logistic`` model (modeling/logistic.py), and scored over the final games of the last
``--seasons`` seasons. Reports Brier score, log loss, fit time and import time. LightGBM is
not a dependency of the service: install it by hand to run its half (skipped otherwise).

    .venv/bin/python benchmarks/model_choice_bench.py --database-url URL [--seasons 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sports_analytics.modeling import logistic  # noqa: E402
from sports_analytics.modeling.data import load_table  # noqa: E402
from sports_analytics.modeling.elo_v2 import run_elo_v2  # noqa: E402
from sports_analytics.modeling.metrics import score  # noqa: E402


def _lightgbm_fit(x: np.ndarray, y: np.ndarray):
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=100, learning_rate=0.05, num_leaves=15,
                                    min_child_samples=50, subsample=0.8, subsample_freq=1,
                                    colsample_bytree=0.8, verbose=-1, random_state=1,
                                    n_jobs=1)
    model.fit(x, y.astype(int))
    return lambda rows: model.predict_proba(rows)[:, 1]


def _logistic_fit(x: np.ndarray, y: np.ndarray):
    from sports_analytics.modeling.logistic_fit import fit

    coef = fit(x, y, logistic.REGULARISATION_C)
    return lambda rows: logistic.predict(rows, coef)


def walk_forward(table, elo, fitter) -> tuple[np.ndarray, float, int]:
    x = logistic.design_matrix(table, elo)
    snaps, which = logistic.snapshots_for(table, x)
    finals = np.flatnonzero(table.final)
    y = table.home_won[finals]
    prob = elo.prob.copy()
    started, fits = time.perf_counter(), 0
    for k, s in enumerate(snaps):
        if s.hi - s.lo < logistic.MIN_TRAIN_GAMES:
            continue
        predict = fitter(x[finals[s.lo:s.hi]], y[s.lo:s.hi])
        rows = np.flatnonzero(which == k)
        prob[rows] = predict(x[rows])
        fits += 1
    return prob, time.perf_counter() - started, fits


def _import_seconds(module: str) -> float | None:
    import subprocess

    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return round(float(done.stdout.strip()), 2) if done.returncode == 0 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seasons", type=int, default=3, help="scored: the last N seasons")
    args = parser.parse_args()
    engine = sa.create_engine(args.database_url.replace("postgresql://",
                                                        "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        table = load_table(conn)
    elo = run_elo_v2(table)
    last = np.unique(table.season)[-args.seasons:]
    scored = table.final & np.isin(table.season, last)
    result: dict = {"scored_games": int(scored.sum()), "seasons": [int(s) for s in last]}
    learners = {"logistic (scikit-learn)": (_logistic_fit, "sklearn.linear_model"),
                "lightgbm": (_lightgbm_fit, "lightgbm")}
    for name, (fitter, module) in learners.items():
        seconds = _import_seconds(module)
        if seconds is None:
            result[name] = "not installed"
            continue
        prob, fit_seconds, fits = walk_forward(table, elo, fitter)
        figures = score(prob[scored], table.home_won[scored])
        result[name] = {"brier": figures.brier, "log_loss": figures.log_loss,
                        "ece": figures.ece, "fits": fits,
                        "fit_seconds": round(fit_seconds, 2), "import_seconds": seconds}
        print(name, json.dumps(result[name]), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
