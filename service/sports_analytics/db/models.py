"""The schema: every table is registered here, the one module Alembic's ``env.py`` imports.

Conventions: surrogate integer keys, teams referenced by id, abbreviations unique. Mapped
classes end in ``Row`` (``TeamRow``, ``GameRow``); the plain names (``Team``, ``Game``) are
the API's response schemas in ``api/schemas.py``, so a name always says which one it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
    Numeric,
    Sequence,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sports_analytics.db.base import Base
from sports_analytics.db.derived_state import AnalyticsSnapshotRow, DataVersionRow
from sports_analytics.db.forecast_runs import ForecastRunRow, ForecastTeamRow
from sports_analytics.db.model_registry import DemoOracleRow, ModelVersionRow
from sports_analytics.db.refresh_runs import RefreshRunRow
from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN

__all__ = [
    "GAME_STATUSES", "AnalyticsSnapshotRow", "Base", "DataVersionRow", "DemoOracleRow",
    "ForecastRunRow", "ForecastTeamRow", "GameFeaturesRow", "GameRow", "InsightRow",
    "ModelVersionRow", "PlayerGameStatsRow", "PlayerRow", "PredictionRow", "RefreshRunRow",
    "TeamGameStatsRow", "TeamRow", "data_version_seq",
]

GAME_STATUSES = ("scheduled", "final", "postponed", "cancelled")


class TeamRow(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    abbreviation: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(64))
    conference: Mapped[str] = mapped_column(String(4))
    division: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint("conference IN ('East', 'West')", name="conference"),
        CheckConstraint("abbreviation ~ '^[A-Z]{2,3}$'", name="abbreviation_format"),
    )


class PlayerRow(Base):
    __tablename__ = "players"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    position: Mapped[str | None] = mapped_column(String(8))
    jersey_number: Mapped[int | None] = mapped_column(SmallInteger)
    height_cm: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # The source's own person id (the NBA stats API's PLAYER_ID), set by sync and CSV imports.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_players_team_id_name", "team_id", "last_name", "first_name", "id"),
        Index("ix_players_teamless_name", "active", "last_name", "first_name", "id",
              postgresql_where=text("team_id IS NULL")),
        CheckConstraint("jersey_number BETWEEN 0 AND 99", name="jersey_number_range"),
    )


class GameRow(Base):
    __tablename__ = "games"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    season: Mapped[int] = mapped_column(SmallInteger)
    date: Mapped[dt.date] = mapped_column(Date)
    home_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    away_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    home_score: Mapped[int | None] = mapped_column(SmallInteger)
    away_score: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), server_default="scheduled")
    # Played at a neutral site; home_team_id is the schedule's designated home team.
    neutral_site: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The source's own id (a CSV ``game_id``; ``DEMO-...`` for the synthetic demo season).
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Scheduled tip-off (UTC instant); ``date`` stays the league's US Eastern game date.
    tipoff_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        UniqueConstraint("season", "date", "home_team_id", name="uq_games_season_date_home"),
        CheckConstraint("home_team_id <> away_team_id", name="distinct_teams"),
        CheckConstraint("status IN ('scheduled', 'final', 'postponed', 'cancelled')",
                        name="status"),
        CheckConstraint(
            "(status = 'final') = (home_score IS NOT NULL AND away_score IS NOT NULL)",
            name="final_has_scores",
        ),
        CheckConstraint("home_score >= 0 AND away_score >= 0", name="scores_non_negative"),
        CheckConstraint(f"season BETWEEN {SEASON_MIN} AND {SEASON_MAX}", name="season_range"),
        Index("ix_games_season_date_id", "season", "date", "id"),
        Index("ix_games_home_team_id_date_id", "home_team_id", "date", "id"),
        Index("ix_games_away_team_id_date_id", "away_team_id", "date", "id"),
        Index("ix_games_date_id", "date", "id"),
        Index("ix_games_updated_at", "updated_at"),
        *(Index(name, *cols, postgresql_where=text("status = 'scheduled'"))
          for name, cols in (("ix_games_scheduled_date_id", ("date", "id")),
                             ("ix_games_scheduled_home_team_id_date_id",
                              ("home_team_id", "date", "id")),
                             ("ix_games_scheduled_away_team_id_date_id",
                              ("away_team_id", "date", "id")))),
    )


def _box_score_checks() -> tuple[CheckConstraint, ...]:
    counts = ("points", "rebounds", "offensive_rebounds", "assists", "steals", "blocks",
              "turnovers", "fouls", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta")
    return (
        CheckConstraint(" AND ".join(f"{c} >= 0" for c in counts), name="counts_non_negative"),
        CheckConstraint("fgm <= fga AND fg3m <= fg3a AND ftm <= fta AND fg3m <= fgm",
                        name="made_le_attempted"),
        CheckConstraint("offensive_rebounds <= rebounds", name="oreb_le_reb"),
        CheckConstraint("minutes >= 0", name="minutes_non_negative"),
    )


class _BoxScoreLine:
    minutes: Mapped[Decimal] = mapped_column(Numeric(5, 1), server_default="0")
    points: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    rebounds: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    offensive_rebounds: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    assists: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    steals: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    blocks: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    turnovers: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fouls: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fgm: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fga: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fg3m: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fg3a: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    ftm: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fta: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    plus_minus: Mapped[int] = mapped_column(SmallInteger, server_default="0")


class TeamGameStatsRow(_BoxScoreLine, Base):
    __tablename__ = "team_game_stats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    is_home: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        UniqueConstraint("game_id", "team_id", name="uq_team_game_stats_game_team"),
        Index("ix_team_game_stats_team_id", "team_id"),
        *_box_score_checks(),
    )


class PlayerGameStatsRow(_BoxScoreLine, Base):
    __tablename__ = "player_game_stats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="RESTRICT"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    starter: Mapped[bool] = mapped_column(Boolean, server_default="false")

    __table_args__ = (
        UniqueConstraint("game_id", "player_id", name="uq_player_game_stats_game_player"),
        Index("ix_player_game_stats_player_id", "player_id"),
        Index("ix_player_game_stats_game_id_team_id", "game_id", "team_id"),
        *_box_score_checks(),
    )


class GameFeaturesRow(Base):
    """Pre-game features for one team in one game, from games finished before tip-off only."""

    __tablename__ = "game_features"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="RESTRICT"), primary_key=True
    )
    is_home: Mapped[bool] = mapped_column(Boolean)
    games_played: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    win_pct_last5: Mapped[float | None] = mapped_column(Float)
    win_pct_last10: Mapped[float | None] = mapped_column(Float)
    point_diff_last5: Mapped[float | None] = mapped_column(Float)
    point_diff_last10: Mapped[float | None] = mapped_column(Float)
    season_win_pct: Mapped[float | None] = mapped_column(Float)
    h2h_win_pct: Mapped[float | None] = mapped_column(Float)
    h2h_avg_margin: Mapped[float | None] = mapped_column(Float)
    rest_days: Mapped[int | None] = mapped_column(SmallInteger)
    back_to_back: Mapped[bool] = mapped_column(Boolean, server_default="false")
    off_rating_last5: Mapped[float | None] = mapped_column(Float)
    def_rating_last5: Mapped[float | None] = mapped_column(Float)
    pace_last5: Mapped[float | None] = mapped_column(Float)
    efg_pct_last5: Mapped[float | None] = mapped_column(Float)
    ts_pct_last5: Mapped[float | None] = mapped_column(Float)
    streak: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    computed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_game_features_team_id", "team_id"),
                      Index("ix_game_features_computed_at", "computed_at"))


class PredictionRow(Base):
    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(32))
    home_win_prob: Mapped[float] = mapped_column(Float)
    away_win_prob: Mapped[float] = mapped_column(Float)
    home_rating: Mapped[float | None] = mapped_column(Float)
    away_rating: Mapped[float | None] = mapped_column(Float)
    was_correct: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # The model version that wrote the row (db/model_registry.py).
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="RESTRICT"))

    __table_args__ = (
        UniqueConstraint("game_id", "model", name="uq_predictions_game_model"),
        Index("ix_predictions_model_version_id", "model_version_id"),
        CheckConstraint("home_win_prob BETWEEN 0 AND 1 AND away_win_prob BETWEEN 0 AND 1",
                        name="probabilities_in_range"),
        Index("ix_predictions_model_game_id", "model", "game_id"),
        Index("ix_predictions_created_at", "created_at"),
    )


class InsightRow(Base):
    """Cached Gemini game briefs (migration 0002).

    Keyed by (game, Gemini model, hash of the input facts). A finished game's facts no longer
    change, so its brief is generated once; a scheduled game's facts move as earlier results,
    features and predictions come in, so a new hash means a new brief. Rule-based briefs are
    cheap and deterministic and are never stored, so a game gets a Gemini brief as soon as
    Gemini is reachable again.
    """

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


# Bumped (nextval) by every write path: seed, ingest, features, predict (db/writes.py).
data_version_seq = Sequence("data_version_seq", metadata=Base.metadata)

