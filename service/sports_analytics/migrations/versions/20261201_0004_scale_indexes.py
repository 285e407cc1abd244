"""indexes for flat reads over decades of history; row_estimate(); data_versions; snapshots

Every list route reads in the order it returns: games by (date, id) within a season, a team
(home and away side) or a date range; players by (last_name, first_name, id) within a team.
A page then costs the same with one season or forty in the database. ``row_estimate(query)``
returns the planner's row estimate for a query text: a list whose exact count would have to
walk decades of rows reports that estimate as its total instead (see docs/api.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ESTIMATE = """
CREATE OR REPLACE FUNCTION row_estimate(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    IF position(';' IN query) > 0 THEN  -- one statement, planned, never run
        RAISE EXCEPTION 'row_estimate takes a single SELECT';
    END IF;
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$
"""

_REPLACED = (  # (old name, old columns) -> (new name, new columns)
    (("ix_games_season_date", "games", ["season", "date"]),
     ("ix_games_season_date_id", ["season", "date", "id"])),
    (("ix_games_home_team_id_date", "games", ["home_team_id", "date"]),
     ("ix_games_home_team_id_date_id", ["home_team_id", "date", "id"])),
    (("ix_games_away_team_id_date", "games", ["away_team_id", "date"]),
     ("ix_games_away_team_id_date_id", ["away_team_id", "date", "id"])),
    (("ix_players_team_id_last_name", "players", ["team_id", "last_name"]),
     ("ix_players_team_id_name", ["team_id", "last_name", "first_name", "id"])),
)

_SCHEDULED = (
    ("ix_games_scheduled_date_id", ["date", "id"]),
    ("ix_games_scheduled_home_team_id_date_id", ["home_team_id", "date", "id"]),
    ("ix_games_scheduled_away_team_id_date_id", ["away_team_id", "date", "id"]),
)

_STAMPS = (
    ("ix_games_updated_at", "games", "updated_at"),
    ("ix_game_features_computed_at", "game_features", "computed_at"),
    ("ix_predictions_created_at", "predictions", "created_at"),
)


def upgrade() -> None:
    for (old, table, _old_cols), (new, cols) in _REPLACED:
        op.create_index(new, table, cols, unique=False)
        op.drop_index(old, table_name=table)
    op.create_index("ix_games_date_id", "games", ["date", "id"], unique=False)
    # Upcoming games sit at the end of history: walk them without stepping over the finals.
    for name, cols in _SCHEDULED:
        op.create_index(name, "games", cols, unique=False,
                        postgresql_where="status = 'scheduled'")
    op.create_index("ix_players_teamless_name", "players",
                    ["active", "last_name", "first_name", "id"],
                    unique=False, postgresql_where="team_id IS NULL")
    # Incremental analytics find what changed since the last run by these timestamps.
    for name, table, column in _STAMPS:
        op.create_index(name, table, [column], unique=False)
    op.execute(ROW_ESTIMATE)
    # The data version as committed rows (db/writes.py): replicas replay it exactly.
    op.create_table(
        "data_versions",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_data_versions")),
    )
    op.execute("INSERT INTO data_versions (version) SELECT CASE WHEN is_called THEN last_value "
               "ELSE last_value - 1 END FROM data_version_seq")
    # Where the prediction models stood after the last run (analytics/replay.py).
    op.create_table(
        "analytics_snapshots",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("analytics_snapshots")
    op.drop_table("data_versions")
    op.execute("DROP FUNCTION IF EXISTS row_estimate(text)")
    for name, table, _column in _STAMPS:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_players_teamless_name", table_name="players")
    for name, _cols in _SCHEDULED:
        op.drop_index(name, table_name="games")
    op.drop_index("ix_games_date_id", table_name="games")
    for (old, table, old_cols), (new, _cols) in _REPLACED:
        op.create_index(old, table, old_cols, unique=False)
        op.drop_index(new, table_name=table)
