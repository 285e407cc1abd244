"""Alembic environment.

``sports-analytics migrate`` hands in a connection that already holds the advisory lock
(``config.attributes["connection"]``). The Alembic CLI, used by developers, gets an engine
built from the same settings.
"""

from alembic import context
from sqlalchemy import Connection

from sports_analytics.db import models  # noqa: F401  (registers every table on the metadata)
from sports_analytics.db.base import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from sports_analytics.config import get_settings
    from sports_analytics.db.engine import make_engine

    engine = make_engine(get_settings(), application_name="alembic-cli")
    try:
        with engine.connect() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `sports-analytics migrate`")
run_migrations_online()
