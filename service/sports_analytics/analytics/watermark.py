"""Change tracking for the analytics: a watermark per kind (features, predictions).

Every game written before a kind's watermark has been examined: its rows are current, or a
later write stamped it again (``games.updated_at``). Detection (:mod:`.incremental`) therefore
looks only at games written at or after it, an index range that is empty when nothing
changed. It is kept in ``analytics_snapshots`` (``watermark:features``,
``watermark:predictions``) and advanced by a detection run, a full recompute, and a writer's
recompute when nothing else was pending. A recompute that rewrote a good share of a table also
refreshes its planner statistics, before anything is planned on them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

KINDS = {"features": "watermark:features", "predictions": "watermark:predictions"}
_READ_MARK = text("SELECT CAST(state ->> 'through' AS timestamptz) FROM analytics_snapshots "
                  "WHERE name = :name")
# Everything committed before this instant has been seen by this transaction's statements:
# its own start, or the start of the oldest other open transaction on the database, which may
# still commit games stamped with its start time.
_WRITE_MARK = text("""
INSERT INTO analytics_snapshots (name, state, updated_at)
SELECT :name, jsonb_build_object('through', least(now(), (
           SELECT min(xact_start) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND backend_type = 'client backend' AND xact_start IS NOT NULL))), now()
ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
""")
# Games written since the watermark by other transactions than this one (whose games are
# stamped with its start, now()).
_PENDING = text("SELECT EXISTS (SELECT 1 FROM games WHERE updated_at >= :since "
                "AND updated_at < now())")


# autovacuum's own rule for a stale table (autovacuum_analyze_threshold 50 + scale factor 0.1),
# applied in the writing transaction, so the next statement is planned on current statistics.
_STALE = text("SELECT :rows >= 50 + 0.1 * greatest(reltuples, 0) FROM pg_class "
              "WHERE oid = CAST(:t AS regclass)")


def analyze_if_stale(conn: Connection, table: str, rows_written: int) -> None:
    """ANALYZE ``table`` (a fixed name) when a write changed enough of it to mislead plans."""
    if rows_written and conn.execute(_STALE, {"rows": rows_written, "t": table}).scalar():
        conn.execute(text(f"ANALYZE {table}"))


def watermark(conn: Connection, what: str) -> Any:
    """The instant before which every game written has been examined for ``what``."""
    return conn.execute(_READ_MARK, {"name": KINDS[what]}).scalar()


def advance_watermark(conn: Connection, what: str) -> None:
    conn.execute(_WRITE_MARK, {"name": KINDS[what]})


def advance_if_current(conn: Connection, what: str) -> None:
    """After a writer's recompute: advance ``what``'s watermark when no other game written
    since it awaits examination (a ``--no-analytics`` import, say)."""
    since = watermark(conn, what)
    if since is not None and not conn.execute(_PENDING, {"since": since}).scalar():
        advance_watermark(conn, what)
