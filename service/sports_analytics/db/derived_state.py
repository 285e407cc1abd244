"""State the write paths keep for readers and for incremental work (migration 0004).

* ``data_versions``: data versions as committed rows; the newest is current. HTTP ETags for
  data that changes only on writes (box scores, standings) embed ``max(version)``, read in the
  same statement as the body, so a lagging read replica never pairs new data with an old
  version or the reverse (db/writes.py).
* ``analytics_snapshots``: where the prediction models stood after the last game day of the
  last run (analytics/replay.py), so a nightly run resumes there instead of replaying decades.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base


class DataVersionRow(Base):
    __tablename__ = "data_versions"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AnalyticsSnapshotRow(Base):
    __tablename__ = "analytics_snapshots"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
