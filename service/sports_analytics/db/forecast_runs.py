"""The season forecast's tables (migration 0007): one row per simulation run, one per team.

A run and its team rows are written in one transaction (forecast/store.py), so a reader sees a
whole run or none of it. ``model_version_id`` names the ``model_versions`` row of the rating
model without a foreign key: pruning old model versions never deletes the odds history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base

PROBABILITY_COLUMNS = ("p_top6", "p_playin", "p_playoffs", "p_first_seed", "p_conf_finals",
                       "p_title")


class ForecastRunRow(Base):
    __tablename__ = "forecast_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    season: Mapped[int] = mapped_column(SmallInteger)
    generated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
    sims: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    data_version: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(32))
    model_version_id: Mapped[int | None] = mapped_column(BigInteger)
    games_remaining: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("sims BETWEEN 1 AND 1000000", name="sims"),
        CheckConstraint("games_remaining >= 0", name="games_remaining"),
        Index("ix_forecast_runs_season_generated_at", "season", "generated_at"),
    )


class ForecastTeamRow(Base):
    __tablename__ = "forecast_teams"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("teams.id", ondelete="RESTRICT"), primary_key=True)
    wins: Mapped[int] = mapped_column(SmallInteger)
    losses: Mapped[int] = mapped_column(SmallInteger)
    mean_wins: Mapped[float] = mapped_column(Float)
    wins_p10: Mapped[float] = mapped_column(Float)
    wins_p90: Mapped[float] = mapped_column(Float)
    p_top6: Mapped[float] = mapped_column(Float)
    p_playin: Mapped[float] = mapped_column(Float)
    p_playoffs: Mapped[float] = mapped_column(Float)
    p_first_seed: Mapped[float] = mapped_column(Float)
    p_conf_finals: Mapped[float] = mapped_column(Float)
    p_title: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint(" AND ".join(f"{p} BETWEEN 0 AND 1" for p in PROBABILITY_COLUMNS),
                        name="probabilities_in_range"),
        CheckConstraint("wins <= wins_p10 AND wins_p10 <= wins_p90 AND wins <= mean_wins",
                        name="win_order"),
        Index("ix_forecast_teams_team_id", "team_id"),
    )
