"""The models and the migrations must describe the same schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sports_analytics.db import models  # noqa: F401  (registers every table)
from sports_analytics.db.base import Base
from sports_analytics.db.migrate import downgrade, script_heads, upgrade
from tests.helpers.pgharness import make_settings


def _diff(url: str) -> list:
    engine = sa.create_engine(make_settings(url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(make_settings(url).sqlalchemy_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_autogenerate_diff_is_empty(migrated_db_url: str) -> None:
    diff = _diff(migrated_db_url)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_all_seven_tables_and_sequence(migrated_db_url: str) -> None:
    tables = _tables(migrated_db_url)
    assert {"teams", "players", "games", "team_game_stats", "player_game_stats",
            "game_features", "predictions"} <= tables
    engine = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            # a fresh database: nothing has written yet, so the first data version is 1
            versions = [conn.execute(sa.text("SELECT nextval('data_version_seq')")).scalar()
                        for _ in range(2)]
            assert versions == [1, 2]
    finally:
        engine.dispose()


def test_initial_migration_down_and_up(migrated_db_url: str) -> None:
    settings = make_settings(migrated_db_url)
    downgrade(settings, "base")
    assert _tables(migrated_db_url) <= {"alembic_version"}
    upgrade(settings)
    assert _diff(migrated_db_url) == []
    engine = sa.create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            current = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()
    assert current == set(script_heads())
