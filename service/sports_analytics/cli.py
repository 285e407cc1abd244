"""The ``sports-analytics`` console script.

Each subcommand imports its implementation lazily so ``check`` and ``--help`` stay fast.
Failures print one line to stderr and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sports_analytics.config import Settings, load_settings
from sports_analytics.exceptions import ConfigError, SportsAnalyticsError


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.server import serve

    serve(settings)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.db.migrate import upgrade

    upgrade(settings)
    return 0


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.ingest.demo.as_of import parse_as_of
    from sports_analytics.ingest.demo.seed import seed_demo

    # False: games existed, nothing was loaded
    as_of = parse_as_of(args.as_of) if args.as_of is not None else None
    if seed_demo(settings, force=args.force, seasons=args.seasons, as_of=as_of) \
            and not args.no_analytics:
        from sports_analytics.analytics.commands import compute_features_cli, run_predictions_cli

        compute_features_cli(settings, full=True)  # every row is new: no change detection
        run_predictions_cli(settings, full=True)
        from sports_analytics.modeling.commands import run_training

        for outcome in run_training(settings):
            print(f"train: {outcome.message}")
        from sports_analytics.forecast.run import DEFAULT_SIMS, forecast_cli

        forecast_cli(settings, season=None, sims=DEFAULT_SIMS, seed=None, lock_wait=60.0)
    return 0


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.ingest.csv.catchup import ingest_paths

    ingest_paths(settings, args.path, analytics=not args.no_analytics)
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.db.check import check

    check(settings)
    return 0


def _features(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.analytics.commands import compute_features_cli

    compute_features_cli(settings, season=args.season, full=args.full)
    return 0


def _predict(settings: Settings, args: argparse.Namespace) -> int:
    from sports_analytics.analytics.commands import run_predictions_cli

    run_predictions_cli(settings, season=args.season, full=args.full)
    return 0


DESCRIPTION = ("Basketball analytics on PostgreSQL: run the API, manage the schema, load\n"
               "games, compute features and win probabilities.")
EXIT_CODES = ("exit codes: 0 done, 1 failed, 2 invalid configuration, 3 database unavailable,\n"
              "64 an argument out of range, 65 bad input data, 69 NBA stats API unavailable")
# One example per command, shown by ``sports-analytics COMMAND --help``.
EXAMPLES = {
    "serve": "sports-analytics serve",
    "migrate": "sports-analytics migrate",
    "seed-demo": "sports-analytics seed-demo --force",
    "ingest": "sports-analytics ingest data/games.csv",
    "sync": "sports-analytics sync --season 2025",
    "refresh": "sports-analytics refresh --from-csv /data/nightly",
    "check": "sports-analytics check",
    "features": "sports-analytics features --season 2025",
    "predict": "sports-analytics predict --season 2025",
    "forecast": "sports-analytics forecast --season 2025 --sims 10000",
    "train": "sports-analytics train",
    "evaluate": "sports-analytics evaluate --season 2025",
}


def _describe(parser: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:
    """Plain-text help: each command's one-line help as its description, and an example."""
    helps = {action.dest: action.help or "" for action in sub._choices_actions}
    for name, command in sub.choices.items():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        text = helps.get(name, "")
        command.description = command.description or (text[:1].upper() + text[1:] + ".")
        if name in EXAMPLES:
            command.epilog = f"example:\n  {EXAMPLES[name]}"
    parser.epilog = ("Run 'sports-analytics COMMAND --help' for a command's options and an "
                     f"example.\n\n{EXIT_CODES}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sports-analytics", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("serve", help="run the API under gunicorn with uvicorn workers").set_defaults(
        func=_serve
    )
    sub.add_parser("migrate", help="alembic upgrade head, under an advisory lock").set_defaults(
        func=_migrate
    )
    seed = sub.add_parser("seed-demo", help="load the synthetic demo season")
    seed.add_argument("--force", action="store_true", help="reload even if games exist")
    seed.add_argument("--seasons", type=int, default=1, metavar="N",
                      help="N consecutive synthetic seasons ending with 2025-26 (default 1)")
    seed.add_argument("--as-of", metavar="DATE",
                      help="the season around DATE (YYYY-MM-DD, or 'today' in US Eastern time; "
                           "between seasons the next one): games before DATE final, the rest "
                           "scheduled with predictions")
    seed.set_defaults(func=_seed_demo)
    ingest = sub.add_parser("ingest", help="import team game-log, player-lines and schedule CSVs")
    ingest.add_argument("path", nargs="+", help="CSV file(s) (see docs/ingest-format.md)")
    ingest.set_defaults(func=_ingest)
    from sports_analytics.ingest.commands import add_data_commands

    add_data_commands(sub)
    from sports_analytics.forecast.commands import add_forecast_command

    add_forecast_command(sub)
    from sports_analytics.modeling.commands import add_model_commands

    add_model_commands(sub)
    for p in (seed, ingest):
        p.add_argument("--no-analytics", action="store_true",
                       help="skip recomputing the features and predictions the new data affects")
    sub.add_parser("check", help="validate config and database connectivity").set_defaults(
        func=_check
    )
    for name, func, helptext in (
        ("features", _features, "recompute pre-game features"),
        ("predict", _predict, "fill win probabilities for every game"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--season", type=int, default=None, help="only this season")
        p.add_argument("--full", action="store_true",
                       help="recompute every game (default: only games whose inputs changed)")
        p.set_defaults(func=func)
    _describe(parser, sub)
    return parser


def _wants_json_early() -> bool:
    """Before settings load (a ConfigError), decide the output format from the raw env."""
    import os

    fmt = os.environ.get("LOG_FORMAT", "").strip().lower()
    if fmt in ("json", "console"):
        return fmt == "json"
    return os.environ.get("APP_ENV", "").strip().lower() == "production"


def _report_config_error(command: str, exc: ConfigError) -> None:
    """Logging is not configured yet (its settings are what failed): write the line by hand."""
    if _wants_json_early():
        import json
        import os
        from datetime import UTC, datetime

        line = {
            "event": "command failed",
            "command": command,
            "error": str(exc),
            "level": "error",
            "logger": "sports_analytics.cli",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "pid": os.getpid(),
        }
        print(json.dumps(line), file=sys.stderr, flush=True)
    else:
        print(f"sports-analytics {command}: {exc}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        _report_config_error(args.command, exc)
        return exc.exit_code
    import structlog

    from sports_analytics.logging import configure_logging
    from sports_analytics.telemetry import command_span

    configure_logging(settings)
    log = structlog.get_logger("sports_analytics.cli")
    json_mode = settings.effective_log_format == "json"
    try:
        with command_span(args.command):  # one root span per command when tracing is on
            return int(args.func(settings, args))
    except SportsAnalyticsError as exc:  # exit code from the hierarchy: 2, 3, 65 or 1
        code = exc.exit_code
        if json_mode:
            log.error("command failed", command=args.command, error=str(exc), exit_code=code)
        else:
            print(f"sports-analytics {args.command}: {exc}", file=sys.stderr, flush=True)
        return code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A bug, not a user error: one log line, traceback included (JSON-escaped in prod).
        log.exception("command crashed", command=args.command, error=f"{type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
