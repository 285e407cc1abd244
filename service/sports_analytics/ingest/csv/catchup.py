"""The offline route: team game-log, player-lines and schedule CSVs (docs/ingest-format.md).

A file's kind comes from its header: ``player_id`` makes a player-lines file, ``home`` or
``away`` (without ``team``) a schedule file, anything else a team game-log file. A set of
files is validated completely and then written in one transaction through the same writer
as ``sync`` (:mod:`sports_analytics.ingest.store.write`), so the rules are the same: the CSV
import's arithmetic per row, players summing exactly to their team line (PTS, FGM/FGA,
FG3M/FG3A, FTM/FTA; team REB/TOV at least the players' sum), scheduled games updated in place
when they go final, and nothing written at all if any row is bad.

A single team game-log file keeps the original import (:func:`.load.ingest_csv`).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, text

from sports_analytics.analytics.incremental import incremental_features, incremental_predictions
from sports_analytics.config import Settings
from sports_analytics.db.writes import bump_data_version_after_commit, job_engine
from sports_analytics.exceptions import IngestError
from sports_analytics.ingest.csv import game_log
from sports_analytics.ingest.csv.load import ingest_csv
from sports_analytics.ingest.csv.players import parse_players, parse_schedule
from sports_analytics.ingest.store.records import Line, SyncData, SyncGame, check_player_sums
from sports_analytics.ingest.store.write import SyncSummary, write_synced

log = structlog.get_logger(__name__)


def file_kind(path: Path) -> str:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = [h.strip().lower() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return "team"  # the team import reports the problem with its own message
    if "player_id" in header:
        return "players"
    if ("home" in header or "away" in header) and "team" not in header:
        return "schedule"
    return "team"


def _team_games(path: Path) -> list[tuple[int, SyncGame]]:
    games = []
    for home, away in game_log.validate(path):
        lines = [Line(r.external_id, r.team, r.opponent, r.is_home, r.date, r.stats, r.minutes,
                      r.plus_minus) for r in (home, away)]
        games.append((home.season, SyncGame(home.external_id, home.date, home.team, away.team,
                                            None, home.stats["pts"], away.stats["pts"], lines,
                                            neutral=home.neutral)))
    return games


def collect(paths: Sequence[Path]) -> list[SyncData]:
    """Validate every file and join them into one SyncData per season."""
    by_id: dict[str, tuple[int, SyncGame]] = {}
    players: list[tuple[Path, int, int, Line]] = []  # path, line, season, player line
    for path in paths:
        kind = file_kind(path)
        if kind == "players":
            players.extend(parse_players(path))
            continue
        found = parse_schedule(path) if kind == "schedule" else _team_games(path)
        for season, game in found:
            prior = by_id.get(game.external_id)
            if prior is not None and prior[1].final and not game.final:
                game = prior[1]  # a result wins over the schedule line for the same game
            elif prior is not None and (prior[1].home, prior[1].away) != (game.home, game.away):
                raise IngestError(f"{path}: game {game.external_id} is {game.away} @ "
                                  f"{game.home} here but {prior[1].away} @ {prior[1].home} in "
                                  f"another file")
            elif prior is not None and prior[1].tipoff_at and not game.tipoff_at:
                game.tipoff_at = prior[1].tipoff_at
            if prior is not None:  # either file may be the one with the neutral column
                game.neutral = game.neutral or prior[1].neutral
            by_id[game.external_id] = (season, game)
    _attach_players(by_id, players)
    seasons: dict[int, SyncData] = {}
    for season, game in by_id.values():
        batch = seasons.setdefault(season, SyncData(season, {}, source="csv"))
        batch.games[game.external_id] = game
    return [seasons[s] for s in sorted(seasons)]


def _attach_players(by_id: dict[str, tuple[int, SyncGame]],
                    players: list[tuple[Path, int, int, Line]]) -> None:
    grouped: dict[tuple[str, str], list[Line]] = {}
    for path, line_no, _season, p in players:
        entry = by_id.get(p.game_id)
        if entry is None or not entry[1].lines:
            raise IngestError(f"{path}:{line_no}: game {p.game_id} has no team lines in this "
                              f"import (give its team game-log file too)")
        game = entry[1]
        if {p.team, p.opponent} != {game.home, game.away} or p.is_home != (p.team == game.home):
            raise IngestError(f"{path}:{line_no}: team/opponent/home_away disagree with the team "
                              f"lines of game {p.game_id}")
        grouped.setdefault((p.game_id, p.team), []).append(p)
    for (game_id, team), lines in grouped.items():
        game = by_id[game_id][1]
        team_line = next(x for x in game.lines if x.team == team)
        try:
            check_player_sums(team_line, lines, "csv")
        except Exception as exc:
            raise IngestError(f"player lines: {getattr(exc, 'reason', exc)}") from None
        game.players.extend(lines)


def _write(engine: Engine, batches: list[SyncData], analytics: bool) -> dict[str, Any]:
    totals: dict[str, Any] = {"games_inserted": 0, "games_updated": 0, "games_unchanged": 0,
                              "player_lines_written": 0, "scheduled_games": 0, "final_games": 0}
    changed = False
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '120s'"))
        for data in batches:
            summary = SyncSummary(data.season, "csv")
            changed |= write_synced(conn, data, summary, full=False, analytics=analytics)
            for key in ("games_inserted", "games_updated", "games_unchanged",
                        "player_lines_written"):
                totals[key] += getattr(summary, key)
            totals["final_games"] += len(data.finals)
            totals["scheduled_games"] += len(data.games) - len(data.finals)
    totals["data_version"] = bump_data_version_after_commit(engine) if changed else None
    return totals


def import_files(settings: Settings, paths: Sequence[str | Path], *, analytics: bool = True,
                 engine: Engine | None = None) -> dict[str, Any]:
    started = time.monotonic()
    batches = collect([Path(p) for p in paths])
    if engine is not None:
        totals = _write(engine, batches, analytics)
    else:
        with job_engine(settings, application_name="sports-analytics-ingest",
                        failure="import failed") as own:
            totals = _write(own, batches, analytics)
    log.info("csv import complete", files=len(paths), **totals,
             seconds=round(time.monotonic() - started, 3))
    return totals


def import_directory(settings: Settings, directory: Path, *,
                     engine: Engine | None = None) -> dict[str, Any]:
    if not directory.is_dir():
        raise IngestError(f"{directory}: not a directory")
    paths = sorted(directory.glob("*.csv"))
    if not paths:
        raise IngestError(f"{directory}: no .csv files")
    return import_files(settings, paths, engine=engine)


def ingest_paths(settings: Settings, paths: Sequence[str], *, analytics: bool) -> None:
    """``ingest``: one team game-log file keeps the original import; any other set goes
    through :func:`import_files`. Analytics for what changed follow in the same run."""
    if len(paths) == 1 and file_kind(Path(paths[0])) == "team":
        summary = ingest_csv(settings, paths[0])
        if analytics and summary.changed:
            with job_engine(settings, application_name="sports-analytics-ingest",
                            failure="analytics after import failed") as engine:
                incremental_features(engine)
                incremental_predictions(engine)
        return
    import_files(settings, paths, analytics=analytics)


__all__ = ["collect", "file_kind", "import_directory", "import_files", "ingest_paths"]
