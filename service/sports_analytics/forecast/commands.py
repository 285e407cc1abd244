"""The ``forecast`` subcommand (argument parsing only; the work is imported lazily)."""

from __future__ import annotations

import argparse
from typing import Any

from sports_analytics.config import Settings
from sports_analytics.exceptions import UsageError

MAX_SIMS = 1_000_000  # also forecast_runs' CHECK constraint (migration 0007)


def _forecast(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN

    if not 1 <= args.sims <= MAX_SIMS:
        raise UsageError(f"--sims must be between 1 and {MAX_SIMS:,}, got {args.sims}")
    if args.season is not None and not SEASON_MIN <= args.season <= SEASON_MAX:
        raise UsageError(f"--season must be a start year from {SEASON_MIN} to {SEASON_MAX}, "
                         f"got {args.season}")
    if args.wait < 0:
        raise UsageError(f"--wait must be 0 or more seconds, got {args.wait:g}")
    from sports_analytics.forecast.run import forecast_cli

    forecast_cli(settings, season=args.season, sims=args.sims, seed=args.seed,
                 lock_wait=args.wait)
    return 0


def add_forecast_command(sub: Any) -> None:
    p = sub.add_parser("forecast", help="simulate the rest of the season: playoff and title odds")
    p.add_argument("--season", type=int, default=None,
                   help="start year of the season, e.g. 2025 for 2025-26 (default: the latest)")
    p.add_argument("--sims", type=int, default=10_000, metavar="N",
                   help=f"simulated seasons, 1 to {MAX_SIMS:,} (default 10,000)")
    p.add_argument("--seed", type=int, default=None, metavar="K",
                   help="random seed: the same seed and data give the same odds (default: random)")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long to wait for a running refresh before giving up (default 60)")
    p.set_defaults(func=_forecast)
