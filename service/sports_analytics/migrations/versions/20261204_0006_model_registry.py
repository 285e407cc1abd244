"""model registry: trained model versions; predictions name their version

* ``model_versions``: one row per trained version of a model (its training window, feature
  list, parameters, holdout metrics, the code and data it came from). At most one version per
  model is current (a partial unique index). The fixed reference models ``elo_v1`` and
  ``home_always`` get their version 1 here, and existing predictions are pointed at it.
* ``predictions.model_version_id`` (NOT NULL): the version that wrote the row.
* ``demo_oracle``: the demo generator's true home win probability per synthetic game, the
  floor no model can honestly beat (emptied with the games it belongs to).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The published constants of the two reference models (analytics/elo.py, analytics/predictions.py)
_REFERENCE_VERSIONS = """
INSERT INTO model_versions (model, version, features, params, code_version, is_current, status,
                            reason)
VALUES
  ('elo_v1', 1, '["elo_difference", "home_court"]'::jsonb,
   '{"k": 20.0, "home_advantage": 100.0, "scale": 400.0, "mov_offset": 3.0,
     "mov_exponent": 0.8, "autocorr_base": 7.5, "autocorr_slope": 0.006,
     "season_carryover": 0.75, "season_mean": 1505.0, "initial_rating": 1500.0}'::jsonb,
   'reference', true, 'accepted', 'fixed FiveThirtyEight constants'),
  ('home_always', 1, '["league_home_win_rate"]'::jsonb,
   '{"prior_rate": 0.6, "prior_games": 20.0, "max_prob": 0.99}'::jsonb,
   'reference', true, 'accepted', 'baseline: the home team always wins')
"""

_POINT_PREDICTIONS = """
UPDATE predictions p SET model_version_id = v.id FROM model_versions v
WHERE v.model = p.model AND v.is_current AND p.model_version_id IS NULL
"""


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("train_from", sa.Date(), nullable=True),
        sa.Column("train_to", sa.Date(), nullable=True),
        sa.Column("features", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("holdout_games", sa.Integer(), nullable=True),
        sa.Column("holdout_accuracy", sa.Float(), nullable=True),
        sa.Column("holdout_brier", sa.Float(), nullable=True),
        sa.Column("holdout_log_loss", sa.Float(), nullable=True),
        sa.Column("holdout_ece", sa.Float(), nullable=True),
        sa.Column("code_version", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("is_current", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="accepted", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('accepted', 'rejected')",
                           name=op.f("ck_model_versions_status")),
        sa.CheckConstraint("NOT is_current OR status = 'accepted'",
                           name=op.f("ck_model_versions_current_is_accepted")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
    )
    op.create_index("ix_model_versions_one_current", "model_versions", ["model"], unique=True,
                    postgresql_where=sa.text("is_current"))
    op.create_table(
        "demo_oracle",
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("home_win_prob", sa.Float(), nullable=False),
        sa.CheckConstraint("home_win_prob BETWEEN 0 AND 1",
                           name=op.f("ck_demo_oracle_probability_in_range")),
        sa.ForeignKeyConstraint(["game_id"], ["games.id"],
                                name=op.f("fk_demo_oracle_game_id_games"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("game_id", name=op.f("pk_demo_oracle")),
    )
    op.add_column("predictions", sa.Column("model_version_id", sa.BigInteger(), nullable=True))
    op.execute(_REFERENCE_VERSIONS)
    op.execute(_POINT_PREDICTIONS)
    op.alter_column("predictions", "model_version_id", nullable=False)
    op.create_foreign_key(op.f("fk_predictions_model_version_id_model_versions"), "predictions",
                          "model_versions", ["model_version_id"], ["id"], ondelete="RESTRICT")
    op.create_index("ix_predictions_model_version_id", "predictions", ["model_version_id"])


def downgrade() -> None:
    op.drop_index("ix_predictions_model_version_id", table_name="predictions")
    op.drop_constraint(op.f("fk_predictions_model_version_id_model_versions"), "predictions",
                       type_="foreignkey")
    op.drop_column("predictions", "model_version_id")
    op.drop_table("demo_oracle")
    op.drop_index("ix_model_versions_one_current", table_name="model_versions")
    op.drop_table("model_versions")
