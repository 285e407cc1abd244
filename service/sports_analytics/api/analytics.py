"""Analytics routes: pre-game features, predictions, accuracy, and Gemini game briefs.

All endpoints are sync ``def``: the database layer is sync, and so is the Gemini call in
``/insight``. It runs in the thread pool with a hard bound (per-attempt timeout, no retry
after a timeout, at most two retries of fast 429/5xx answers, the circuit breaker, and at
most 8 briefs in flight per process) and holds no database connection while it waits. The
sync client also avoids tying a cached async HTTP client to one event loop.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection, RowMapping, text

from sports_analytics.analytics.predictions import accuracy_report, latest_predicted_season
from sports_analytics.api.deps import BrieferDep, EngineDep, ReadEngineDep
from sports_analytics.api.listing import predictions_total
from sports_analytics.api.params import GameIdPath, ModelQuery, PaginationDep, SeasonQuery
from sports_analytics.api.schemas import UNAVAILABLE, ErrorDetail, GameFields, Page
from sports_analytics.db.writes import FEATURE_COLUMNS, SEASON_MAX, SEASON_MIN
from sports_analytics.exceptions import NotFound
from sports_analytics.insights.schemas import GameInsight
from sports_analytics.insights.service import get_insight

router = APIRouter(prefix="/api/v1", tags=["analytics"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorDetail, "description": "unknown game, or nothing computed yet"},
    **UNAVAILABLE,
}


class FeatureRow(BaseModel):
    team: str = Field(description="team abbreviation")
    is_home: bool
    games_played: int = Field(description="final games this season before the game's date")
    win_pct_last5: float | None
    win_pct_last10: float | None
    point_diff_last5: float | None
    point_diff_last10: float | None
    season_win_pct: float | None
    h2h_win_pct: float | None = Field(description="against this opponent, this season")
    h2h_avg_margin: float | None
    rest_days: int | None = Field(description="days off since the last game (0 = back-to-back)")
    back_to_back: bool
    off_rating_last5: float | None = Field(description="points per 100 possessions")
    def_rating_last5: float | None
    pace_last5: float | None = Field(description="possessions per 48 minutes")
    efg_pct_last5: float | None
    ts_pct_last5: float | None
    streak: int = Field(description="+N: N straight wins, -N: N straight losses")
    computed_at: dt.datetime


class GameFeatures(BaseModel):
    game_id: int
    season: int
    date: dt.date
    status: Literal["scheduled", "final", "postponed", "cancelled"]
    home: FeatureRow
    away: FeatureRow


class ModelPrediction(BaseModel):
    model: str
    home_win_prob: float
    away_win_prob: float
    home_rating: float | None
    away_rating: float | None
    predicted_winner: str = Field(description="abbreviation of the team the model favours")
    was_correct: bool | None = Field(description="null until the game is final")


class GamePrediction(GameFields):
    predictions: list[ModelPrediction]


class PredictionItem(GameFields, ModelPrediction):
    """One model's prediction for one game, with the game's fields."""

class CalibrationBucket(BaseModel):
    bucket: int = Field(ge=0, le=9)
    lower: float
    upper: float
    games: int
    mean_predicted: float | None = Field(description="mean home win probability in the bucket")
    observed_rate: float | None = Field(description="share of those games the home team won")


class ModelAccuracy(BaseModel):
    model: str
    games: int = Field(description="final games scored")
    accuracy: float | None
    brier_score: float | None = Field(description="mean squared error of the home win prob")
    log_loss: float | None
    ece: float | None = Field(
        description="expected calibration error: the game-weighted mean of |mean predicted - "
                    "observed rate| over the calibration buckets")
    calibration: list[CalibrationBucket]


class Accuracy(BaseModel):
    season: int | None = Field(description="null when nothing has been predicted yet")
    models: list[ModelAccuracy]


_GAME_SQL = text("""
    SELECT g.id, g.season, g.date, g.status, g.home_score, g.away_score, g.neutral_site,
           g.home_team_id, g.away_team_id, h.abbreviation AS home_team, a.abbreviation AS away_team
    FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
    WHERE g.id = :id""")


def _game_or_404(conn: Connection, game_id: int) -> RowMapping:
    game = conn.execute(_GAME_SQL, {"id": game_id}).mappings().first()
    if game is None:
        raise NotFound(f"game {game_id} not found")
    return game


@router.get("/games/{game_id}/features", response_model=GameFeatures, responses=NOT_FOUND,
            summary="Pre-game features of both teams")
def game_features(game_id: GameIdPath, engine: ReadEngineDep) -> GameFeatures:
    with engine.connect() as conn:
        game = _game_or_404(conn, game_id)
        rows = {r["team_id"]: r for r in conn.execute(text(
            f"SELECT team_id, is_home, {', '.join(FEATURE_COLUMNS)}, computed_at "  # noqa: S608
            "FROM game_features WHERE game_id = :id"), {"id": game_id}).mappings()}
    home, away = rows.get(game["home_team_id"]), rows.get(game["away_team_id"])
    if home is None or away is None:
        raise NotFound(f"features not computed for game {game_id}; run "
                       f"`sports-analytics features --season {game['season']}`")
    return GameFeatures(
        game_id=game["id"], season=game["season"], date=game["date"], status=game["status"],
        home=FeatureRow(team=game["home_team"], **_without_team_id(home)),
        away=FeatureRow(team=game["away_team"], **_without_team_id(away)),
    )


def _without_team_id(row: Any) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "team_id"}


def _model_prediction(row: dict, home: str, away: str) -> dict:
    return {
        "model": row["model"], "home_win_prob": row["home_win_prob"],
        "away_win_prob": row["away_win_prob"], "home_rating": row["home_rating"],
        "away_rating": row["away_rating"], "was_correct": row["was_correct"],
        "predicted_winner": home if row["home_win_prob"] >= 0.5 else away,
    }


@router.get("/games/{game_id}/prediction", response_model=GamePrediction, responses=NOT_FOUND,
            summary="Every model's win probabilities for one game")
def game_prediction(game_id: GameIdPath, engine: ReadEngineDep) -> GamePrediction:
    with engine.connect() as conn:
        game = _game_or_404(conn, game_id)
        rows = conn.execute(text(
            "SELECT model, home_win_prob, away_win_prob, home_rating, away_rating, was_correct "
            "FROM predictions WHERE game_id = :id ORDER BY model"), {"id": game_id}
        ).mappings().all()
    if not rows:
        raise NotFound(f"no predictions for game {game_id} yet; run "
                       f"`sports-analytics predict --season {game['season']}`")
    return GamePrediction(
        game_id=game["id"], season=game["season"], date=game["date"], status=game["status"],
        home_team=game["home_team"], away_team=game["away_team"],
        home_score=game["home_score"], away_score=game["away_score"],
        neutral_site=game["neutral_site"],
        predictions=[ModelPrediction(**_model_prediction(dict(r), game["home_team"],
                                                         game["away_team"])) for r in rows],
    )


@router.get("/predictions", response_model=Page[PredictionItem], responses=UNAVAILABLE,
            summary="Predictions, filtered by season, model and date")
def list_predictions(
    engine: ReadEngineDep,
    page: PaginationDep,
    season: SeasonQuery = None,
    model: ModelQuery = None,
    date: Annotated[dt.date | None, Query(description="game date, YYYY-MM-DD")] = None,
) -> Page[PredictionItem]:
    where: list[str] = ["TRUE"]
    params: dict[str, Any] = {"limit": page.limit, "offset": page.offset}
    if season is not None:
        where.append("g.season = :season")
        params["season"] = season
    if model is not None:
        where.append("p.model = :model")
        params["model"] = model
    if date is not None:
        where.append("g.date = :date")
        params["date"] = date
    cond = " AND ".join(where)
    with engine.connect() as conn:
        total, estimated = predictions_total(conn, season, model, date)
        rows = conn.execute(text(f"""
            SELECT p.game_id, g.season, g.date, g.status, h.abbreviation AS home_team,
                   a.abbreviation AS away_team, g.home_score, g.away_score, g.neutral_site,
                   p.model,
                   p.home_win_prob, p.away_win_prob, p.home_rating, p.away_rating, p.was_correct
            FROM predictions p JOIN games g ON g.id = p.game_id
            JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
            WHERE {cond} ORDER BY g.date, p.game_id, p.model LIMIT :limit OFFSET :offset
        """), params).mappings().all()  # noqa: S608  (cond is built from fixed fragments)
    items = [PredictionItem(
        game_id=r["game_id"], season=r["season"], date=r["date"], status=r["status"],
        home_team=r["home_team"], away_team=r["away_team"], home_score=r["home_score"],
        away_score=r["away_score"], neutral_site=r["neutral_site"],
        **_model_prediction(dict(r), r["home_team"], r["away_team"]),
    ) for r in rows]
    return Page[PredictionItem](items=items, total=total, total_is_estimate=estimated,
                                limit=page.limit, offset=page.offset)


@router.get("/predictions/accuracy", response_model=Accuracy, responses=UNAVAILABLE,
            summary="Accuracy, Brier score, log loss and calibration per model")
def prediction_accuracy(
    engine: ReadEngineDep,
    season: Annotated[int | None, Query(ge=SEASON_MIN, le=SEASON_MAX,
                                        description="default: the latest predicted season")] = None,
    model: ModelQuery = None,
) -> Accuracy:
    with engine.connect() as conn:
        if season is None:
            season = latest_predicted_season(conn)
            if season is None:
                return Accuracy(season=None, models=[])
        models = accuracy_report(conn, season, model)
    return Accuracy(season=season, models=[ModelAccuracy(**m, ece=_ece(m["calibration"]))
                                           for m in models])


def _ece(buckets: list[dict[str, Any]]) -> float | None:
    """Expected calibration error from the 10-bucket table (modeling/metrics.py, same bins)."""
    scored = [b for b in buckets if b["games"]]
    total = sum(b["games"] for b in scored)
    if not total:
        return None
    return round(sum(b["games"] * abs(b["mean_predicted"] - b["observed_rate"])
                     for b in scored) / total, 5)


@router.get("/games/{game_id}/insight", response_model=GameInsight, responses=NOT_FOUND,
            summary="A short analyst brief (Gemini, or rules when Gemini is unavailable)")
def game_insight(game_id: GameIdPath, engine: EngineDep, briefer: BrieferDep) -> GameInsight:
    return get_insight(engine, briefer, game_id)  # GameNotFound answers 404
