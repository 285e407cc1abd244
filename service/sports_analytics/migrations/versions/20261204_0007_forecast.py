"""season forecast: stored simulation runs and per-team odds

``forecast_runs`` is one row per simulation run (its time, the number of simulations, the
random seed, the data version it read and the rating model that gave the game probabilities);
``forecast_teams`` holds one row per team of the run. A run and its rows are written in one
transaction, so a reader never sees a half-written run. Runs are kept: odds over time are a
query over them. ``model_version_id`` names a ``model_versions`` row without a foreign key, so
pruning old model versions never deletes the history of the odds.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBABILITIES = ("p_top6", "p_playin", "p_playoffs", "p_first_seed", "p_conf_finals", "p_title")


def upgrade() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("season", sa.SmallInteger(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("sims", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("model_version_id", sa.BigInteger(), nullable=True),
        sa.Column("games_remaining", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.CheckConstraint("sims BETWEEN 1 AND 1000000", name=op.f("ck_forecast_runs_sims")),
        sa.CheckConstraint("games_remaining >= 0",
                           name=op.f("ck_forecast_runs_games_remaining")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
    )
    op.create_index("ix_forecast_runs_season_generated_at", "forecast_runs",
                    ["season", "generated_at"], unique=False)
    op.create_table(
        "forecast_teams",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.SmallInteger(), nullable=False),
        sa.Column("wins", sa.SmallInteger(), nullable=False),
        sa.Column("losses", sa.SmallInteger(), nullable=False),
        sa.Column("mean_wins", sa.Float(), nullable=False),
        sa.Column("wins_p10", sa.Float(), nullable=False),
        sa.Column("wins_p90", sa.Float(), nullable=False),
        *(sa.Column(p, sa.Float(), nullable=False) for p in PROBABILITIES),
        sa.CheckConstraint(" AND ".join(f"{p} BETWEEN 0 AND 1" for p in PROBABILITIES),
                           name=op.f("ck_forecast_teams_probabilities_in_range")),
        sa.CheckConstraint("wins <= wins_p10 AND wins_p10 <= wins_p90 AND wins <= mean_wins",
                           name=op.f("ck_forecast_teams_win_order")),
        sa.ForeignKeyConstraint(["run_id"], ["forecast_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_forecast_teams_run_id_forecast_runs")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="RESTRICT",
                                name=op.f("fk_forecast_teams_team_id_teams")),
        sa.PrimaryKeyConstraint("run_id", "team_id", name=op.f("pk_forecast_teams")),
    )
    op.create_index("ix_forecast_teams_team_id", "forecast_teams", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_forecast_teams_team_id", table_name="forecast_teams")
    op.drop_table("forecast_teams")
    op.drop_index("ix_forecast_runs_season_generated_at", table_name="forecast_runs")
    op.drop_table("forecast_runs")
