"""refresh runs; game tip-off times; players' upstream ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("games", sa.Column("tipoff_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("players", sa.Column("external_id", sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f("uq_players_external_id"), "players", ["external_id"])
    op.create_table(
        "refresh_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("season", sa.SmallInteger(), nullable=True),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("data_version", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('running', 'success', 'failed')", name=op.f("ck_refresh_runs_outcome")
        ),
        sa.CheckConstraint("source IN ('nba_stats', 'csv')", name=op.f("ck_refresh_runs_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_runs")),
    )
    op.create_index("ix_refresh_runs_started_at", "refresh_runs", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_refresh_runs_started_at", table_name="refresh_runs")
    op.drop_table("refresh_runs")
    op.drop_constraint(op.f("uq_players_external_id"), "players", type_="unique")
    op.drop_column("players", "external_id")
    op.drop_column("games", "tipoff_at")
