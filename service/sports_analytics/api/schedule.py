"""What's coming, and how current the data is: upcoming games with win probabilities, and the
recent refresh runs.

``/api/v1/games/upcoming`` is declared on its own router, mounted before the games router, so
the literal path wins over ``/api/v1/games/{game_id}``. "Today" is the league's: the US Eastern
date, the same calendar as ``games.date``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from sports_analytics.api.deps import ReadPoolDep
from sports_analytics.api.responses import json_response
from sports_analytics.api.schemas import UNAVAILABLE, Game

router = APIRouter(prefix="/api/v1", tags=["schedule"])

EASTERN = ZoneInfo("America/New_York")
DAYS_MAX = 60
REFRESHES_MAX = 100


class WinProbability(BaseModel):
    model: str = Field(examples=["elo_v1"])
    home_win_prob: float = Field(ge=0, le=1)
    away_win_prob: float = Field(ge=0, le=1)


class UpcomingGame(Game):
    tipoff_at: dt.datetime | None = Field(description="scheduled tip-off (UTC); null if TBD")
    predictions: list[WinProbability] = Field(description="one per model, by model name")


class Upcoming(BaseModel):
    date_from: dt.date = Field(description="today, US Eastern")
    date_to: dt.date = Field(description="the last day included")
    items: list[UpcomingGame]


class RefreshRun(BaseModel):
    refresh_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: Literal["running", "success", "failed"]
    source: Literal["nba_stats", "csv"]
    season: int | None
    counts: dict[str, Any] = Field(description="games inserted/updated/unchanged, lines, ...")
    data_version: int | None
    error: str | None = Field(description="why a failed run failed (one line)")


class Refreshes(BaseModel):
    items: list[RefreshRun]


UPCOMING_SQL = """
SELECT json_build_object(
    'date_from', %(date_from)s::date, 'date_to', %(date_to)s::date,
    'items', coalesce((
        SELECT json_agg(json_build_object(
            'game_id', g.id, 'season', g.season, 'date', g.date, 'status', g.status,
            'home_team', ht.abbreviation, 'away_team', at.abbreviation,
            'home_score', g.home_score, 'away_score', g.away_score,
            'external_id', g.external_id, 'tipoff_at', g.tipoff_at,
            'neutral_site', g.neutral_site,
            'predictions', coalesce((
                SELECT json_agg(json_build_object('model', p.model,
                                                  'home_win_prob', p.home_win_prob,
                                                  'away_win_prob', p.away_win_prob)
                                ORDER BY p.model)
                FROM predictions p WHERE p.game_id = g.id), '[]'::json))
            ORDER BY g.date, g.tipoff_at NULLS LAST, g.id)
        FROM games g
        JOIN teams ht ON ht.id = g.home_team_id JOIN teams at ON at.id = g.away_team_id
        WHERE g.status = 'scheduled' AND g.date BETWEEN %(date_from)s::date AND %(date_to)s::date),
        '[]'::json))::text
"""

REFRESHES_SQL = """
SELECT json_build_object('items', coalesce((
    SELECT json_agg(json_build_object(
        'refresh_id', r.id, 'started_at', r.started_at, 'finished_at', r.finished_at,
        'outcome', r.outcome, 'source', r.source, 'season', r.season, 'counts', r.counts,
        'data_version', r.data_version, 'error', r.error) ORDER BY r.started_at DESC, r.id DESC)
    FROM (SELECT * FROM refresh_runs ORDER BY started_at DESC, id DESC LIMIT %(limit)s) r),
    '[]'::json))::text
"""


def eastern_today() -> dt.date:
    return dt.datetime.now(EASTERN).date()


@router.get("/games/upcoming", response_model=Upcoming, responses=UNAVAILABLE,
            summary="Scheduled games of the next N days, each with every model's win probability")
async def upcoming_games(
    reader: ReadPoolDep,
    days: Annotated[int, Query(ge=1, le=DAYS_MAX,
                               description="days ahead, today (US Eastern) included")] = 7,
) -> Response:
    today = eastern_today()
    row = await reader.fetchrow(UPCOMING_SQL, {
        "date_from": today, "date_to": today + dt.timedelta(days=days - 1)})
    assert row is not None
    return json_response(row[0], {"Cache-Control": "max-age=60"})


@router.get("/refreshes", response_model=Refreshes, responses=UNAVAILABLE,
            summary="Recent data refresh runs, newest first (for operators)")
async def list_refreshes(
    reader: ReadPoolDep,
    limit: Annotated[int, Query(ge=1, le=REFRESHES_MAX, description="runs to return")] = 20,
) -> Response:
    row = await reader.fetchrow(REFRESHES_SQL, {"limit": limit})
    assert row is not None
    return json_response(row[0], {"Cache-Control": "no-store"})
