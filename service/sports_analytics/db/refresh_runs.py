"""The ``refresh_runs`` table (migration 0003): one row per ``sports-analytics refresh``.

A run is inserted as ``running`` in its own committed transaction before any data is
touched, then closed with ``success`` or ``failed``, so a crashed or rolled-back refresh
still leaves a trace for operators (``GET /api/v1/refreshes``) and for the freshness metrics.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base

REFRESH_OUTCOMES = ("running", "success", "failed")
REFRESH_SOURCES = ("nba_stats", "csv")


class RefreshRunRow(Base):
    __tablename__ = "refresh_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16), server_default="running")
    source: Mapped[str] = mapped_column(String(16))
    season: Mapped[int | None] = mapped_column(SmallInteger)
    counts: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=sql_text("'{}'::jsonb")
    )
    data_version: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("outcome IN ('running', 'success', 'failed')", name="outcome"),
        CheckConstraint("source IN ('nba_stats', 'csv')", name="source"),
        Index("ix_refresh_runs_started_at", "started_at"),
    )
