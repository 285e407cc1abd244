"""``sports-analytics sync``: one season from the NBA stats API, validated, then written.

1. Fetch the team and player game logs, the season schedule and the player index
   (:mod:`.client`). The player index (position, jersey, height) is optional: when it fails
   (stats.nba.com has answered it with 404), the sync goes on without it, logs a warning and
   records ``player_enrichment: "unavailable"`` in its counts; players keep their names from
   the game log and whatever details are stored, and a later sync fills them in.
2. Validate and join them (:mod:`.mapping`, :mod:`.assemble`); nothing is written yet.
3. Write in one transaction, only rows that differ (:mod:`sports_analytics.ingest.store.write`),
   then recompute the features and predictions the changed games affect (:mod:`affected`), in
   the same transaction unless ``analytics=False``.

A second run against the same upstream data changes nothing: no row, no timestamp, no data
version. Any failure, upstream or in the database, leaves every table as it was.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from sports_analytics.config import Settings
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.writes import bump_data_version_after_commit, job_engine
from sports_analytics.exceptions import BadData, UpstreamError
from sports_analytics.ingest.nba.assemble import assemble
from sports_analytics.ingest.nba.client import (
    NbaStatsClient,
    fetch_game_log,
    fetch_player_index,
    fetch_schedule,
)
from sports_analytics.ingest.nba.mapping import SEASON_TYPES, player_bios
from sports_analytics.ingest.store.records import SyncData
from sports_analytics.ingest.store.write import SyncSummary, write_synced

log = structlog.get_logger(__name__)

def _player_index(client: NbaStatsClient, season: int) -> tuple[list[str], list[list[Any]]] | None:
    """The optional player index, or None (with a warning) when it fails in any way."""
    try:
        index = fetch_player_index(client, season)
        player_bios(*index)  # a malformed index is as unavailable as a missing one
    except UpstreamError as exc:  # UpstreamDataError included
        log.warning("player enrichment unavailable", season=season, endpoint=exc.endpoint,
                    reason=exc.reason)
        client.digest("player index unavailable")
        return None
    return index


def fetch_season(settings: Settings, season: int, season_type: str = "regular", *,
                 unchanged_if: str | None = None) -> tuple[SyncData | None, str]:
    """Download and validate one season: (data, fingerprint of the documents). Raises
    UpstreamError / UpstreamDataError for the core documents (game logs, schedule); the player
    index is optional (``SyncData.enriched`` says whether it came). The data is None when the
    fingerprint equals ``unchanged_if`` (the documents a previous, successful run wrote)."""
    api_type, wanted = SEASON_TYPES[season_type]
    with NbaStatsClient(settings) as client:
        t_log = fetch_game_log(client, season, api_type, "T")
        p_log = fetch_game_log(client, season, api_type, "P")
        schedule = fetch_schedule(client, season)
        index = _player_index(client, season)
        fingerprint = client.fingerprint.hexdigest()
    if unchanged_if is not None and fingerprint == unchanged_if:
        return None, fingerprint
    data = assemble(season, wanted, t_log, p_log, schedule, index)
    data.enriched = index is not None
    return data, fingerprint


def _reject(exc: Any) -> BadData | None:
    if isinstance(exc, IntegrityError):
        return BadData(f"sync: the database rejected the data: {db_error_reason(exc)}")
    return None


def sync_season(settings: Settings, season: int, season_type: str = "regular", *,
                full: bool = False, analytics: bool = True, engine: Engine | None = None,
                previous: dict[str, Any] | None = None) -> SyncSummary:
    """``previous``: the counts of the last successful run, when nothing else has written
    since (see refresh.py). If upstream sent the very same documents, nothing is checked or
    written and its counts carry over."""
    started = time.monotonic()
    unchanged_if = None if full or not previous else previous.get("upstream_fingerprint")
    data, fingerprint = fetch_season(settings, season, season_type, unchanged_if=unchanged_if)
    if data is None:
        assert previous is not None
        summary = SyncSummary(season, season_type, upstream_fingerprint=fingerprint,
                              upstream_unchanged=True, **{k: previous.get(k, 0) for k in (
                                  "final_games", "scheduled_games", "player_lines")},
                              player_enrichment=previous.get("player_enrichment", "complete"))
        summary.games_unchanged = summary.final_games + summary.scheduled_games
        _log_summary(summary, started)
        return summary
    summary = SyncSummary(season, season_type, final_games=len(data.finals),
                          scheduled_games=len(data.games) - len(data.finals),
                          player_lines=sum(len(g.players) for g in data.finals),
                          upstream_fingerprint=fingerprint,
                          player_enrichment="complete" if data.enriched else "unavailable")
    if engine is not None:
        _write(engine, data, summary, full=full, analytics=analytics)
    else:
        with job_engine(settings, application_name="sports-analytics-sync", failure="sync failed",
                        map_error=_reject) as own:
            _write(own, data, summary, full=full, analytics=analytics)
    _log_summary(summary, started)
    return summary


def _log_summary(summary: SyncSummary, started: float) -> None:
    log.info("sync complete", season=summary.season, season_type=summary.season_type,
             games_inserted=summary.games_inserted, games_updated=summary.games_updated,
             games_unchanged=summary.games_unchanged, final_games=summary.final_games,
             scheduled_games=summary.scheduled_games, player_lines=summary.player_lines,
             player_lines_written=summary.player_lines_written,
             upstream_unchanged=summary.upstream_unchanged,
             player_enrichment=summary.player_enrichment, data_version=summary.data_version,
             seconds=round(time.monotonic() - started, 3))


def _write(engine: Engine, data: SyncData, summary: SyncSummary, *, full: bool,
           analytics: bool) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '120s'"))  # wait out a concurrent writer
        changed = write_synced(conn, data, summary, full=full, analytics=analytics)
    if changed:
        summary.data_version = bump_data_version_after_commit(engine)
