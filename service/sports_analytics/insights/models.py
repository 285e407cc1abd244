"""The ``insights`` table: cached Gemini game briefs (migration 0002).

Keyed by (game, Gemini model, hash of the input facts). A finished game's facts no longer
change, so its brief is generated once; a scheduled game's facts move as earlier results,
features and predictions come in, so a new hash means a new brief. Rule-based briefs are
cheap and deterministic and are never stored, so a game gets a Gemini brief as soon as
Gemini is reachable again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base


class Insight(Base):
    __tablename__ = "insights"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(64))
    facts_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), server_default="gemini")
    brief: Mapped[dict[str, Any]] = mapped_column(JSONB)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("game_id", "model", "facts_hash",
                         name="uq_insights_game_model_facts_hash"),
        CheckConstraint("source IN ('gemini', 'rules')", name="source"),
    )
