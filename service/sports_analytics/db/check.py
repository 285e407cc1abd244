"""``sports-analytics check``: validate configuration and database connectivity.

Configuration was already validated when the settings were loaded (the CLI reports a
ConfigError as one line). This connects once, with the configured connect timeout, and
reports the server version and the schema status. An unreachable database raises
DatabaseUnavailable (one line, exit 3); a schema that is behind is reported but is not a
failure, since ``migrate`` is the step that fixes it.
"""

from __future__ import annotations

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sports_analytics.config import Settings
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.migrate import current_revisions, known_revisions, script_heads
from sports_analytics.exceptions import DatabaseUnavailable

log = structlog.get_logger(__name__)


def schema_status(current: frozenset[str]) -> str:
    heads = script_heads()
    if current == heads:
        return "at head"
    if current - known_revisions():
        return "ahead (migrated by a newer release)"
    if not current:
        return "not migrated (migrations pending)"
    return "behind (migrations pending)"


def check(settings: Settings) -> dict[str, object]:
    from sports_analytics.db.migrate import migration_engine

    target = settings.redacted_db_target
    engine = migration_engine(settings)
    try:
        with engine.connect() as conn:
            server_version = conn.execute(text("SHOW server_version")).scalar_one()
            current = current_revisions(conn)
    except DBAPIError as exc:
        reason = db_error_reason(exc)
        raise DatabaseUnavailable(f"database {target} unreachable: {reason}") from None
    finally:
        engine.dispose()
    report: dict[str, object] = {
        "database": target,
        "server_version": server_version,
        "schema": schema_status(current),
        "revision": sorted(current),
        "code_heads": sorted(script_heads()),
        "app_env": settings.app_env,
    }
    log.info("check passed", **report)
    return report
