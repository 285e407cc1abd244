"""The ``sync`` and ``refresh`` subcommands (argument parsing only; work is imported lazily)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sports_analytics.config import Settings


def _print(what: str, payload: dict[str, Any]) -> None:
    """The command's result on stdout, as one JSON object, so a CronJob's log is JSON throughout."""
    print(json.dumps({"command": what, **payload}, default=str, sort_keys=True), flush=True)


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.ingest.nba.sync import sync_season
    from sports_analytics.ingest.refresh import current_season

    season = args.season if args.season is not None else current_season()
    summary = sync_season(settings, season, args.season_type, full=args.full,
                          analytics=not args.no_analytics)
    _print("sync", {**summary.counts(), "data_version": summary.data_version})
    return 0


def _refresh(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.ingest.refresh import refresh

    result = refresh(settings, from_csv=args.from_csv, season=args.season,
                     season_type=args.season_type, full=args.full, wait=args.wait)
    if result["outcome"] == "skipped":
        _print("refresh", {**result, "message": "already running; nothing to do"})
    else:
        _print("refresh", result)
    return 0


def _season_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--season", type=int, default=None,
                   help="start year of the season, e.g. 2025 for 2025-26 (default: current)")
    p.add_argument("--season-type", choices=("regular", "playoffs"), default="regular",
                   help="regular season (default) or playoffs")
    p.add_argument("--full", action="store_true",
                   help="recompute the analytics of every game of the season, not only changes")


def add_data_commands(sub: Any) -> None:
    sync = sub.add_parser("sync", help="load one season from the NBA stats API")
    _season_args(sync)
    sync.add_argument("--no-analytics", action="store_true",
                      help="skip recomputing the features and predictions the changes affect")
    sync.set_defaults(func=_sync)
    refresh = sub.add_parser(
        "refresh", help="the nightly job: sync (or a CSV directory), features, predictions")
    _season_args(refresh)
    refresh.add_argument("--from-csv", metavar="DIR", default=None,
                         help="import the CSV files of DIR instead of calling the stats API")
    refresh.add_argument("--wait", action="store_true",
                         help="wait for a running refresh to finish instead of exiting 0")
    refresh.set_defaults(func=_refresh)
