"""The model registry (migration 0006): ``model_versions`` and the demo's ``demo_oracle``.

A row of ``model_versions`` is one trained version of a model: the window it was trained on,
its feature list and parameters, how it did on the holdout games, and the code and data it
came from (``fingerprint``). At most one version per model is current. Predictions name the
version that wrote them (``predictions.model_version_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base


class ModelVersionRow(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
    train_from: Mapped[dt.date | None] = mapped_column(Date)
    train_to: Mapped[dt.date | None] = mapped_column(Date)
    features: Mapped[list[str]] = mapped_column(JSONB, server_default=sql_text("'[]'::jsonb"))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    holdout_games: Mapped[int | None] = mapped_column(Integer)
    holdout_accuracy: Mapped[float | None] = mapped_column(Float)
    holdout_brier: Mapped[float | None] = mapped_column(Float)
    holdout_log_loss: Mapped[float | None] = mapped_column(Float)
    holdout_ece: Mapped[float | None] = mapped_column(Float)
    code_version: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[str] = mapped_column(String(16), server_default="accepted")
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
        CheckConstraint("status IN ('accepted', 'rejected')", name="status"),
        CheckConstraint("NOT is_current OR status = 'accepted'", name="current_is_accepted"),
        Index("ix_model_versions_one_current", "model", unique=True,
              postgresql_where=sql_text("is_current")),
    )


class DemoOracleRow(Base):
    """The demo generator's true home win probability for each synthetic game."""

    __tablename__ = "demo_oracle"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("games.id", ondelete="CASCADE"), primary_key=True)
    home_win_prob: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("home_win_prob BETWEEN 0 AND 1", name="probability_in_range"),
    )
