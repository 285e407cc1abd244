"""Players: the league list, and one player with per-season averages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from sports_analytics.api.deps import ReadPoolDep
from sports_analytics.api.listing import players_list_sql
from sports_analytics.api.params import PaginationDep, PlayerIdPath, TeamQuery
from sports_analytics.api.responses import json_response
from sports_analytics.api.schemas import UNAVAILABLE, ErrorDetail, PlayerDetail, PlayerPage
from sports_analytics.api.teams import normalise_abbreviation
from sports_analytics.exceptions import NotFound

router = APIRouter(prefix="/api/v1/players", tags=["players"])


PLAYER_FIELDS = """'player_id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
    'name', p.first_name || ' ' || p.last_name, 'team', tm.abbreviation, 'position', p.position,
    'jersey_number', p.jersey_number, 'height_cm', p.height_cm, 'active', p.active"""

DETAIL_SQL = f"""
SELECT json_build_object({PLAYER_FIELDS},
    'season_averages', coalesce((
        SELECT json_agg(a ORDER BY a.season DESC, a.team) FROM (
            SELECT g.season, t.abbreviation AS team, count(*) AS games,
                   round(avg(s.minutes), 1) AS minutes, round(avg(s.points), 1) AS points,
                   round(avg(s.rebounds), 1) AS rebounds, round(avg(s.assists), 1) AS assists,
                   round(avg(s.steals), 1) AS steals, round(avg(s.blocks), 1) AS blocks,
                   round(avg(s.turnovers), 1) AS turnovers,
                   round(sum(s.fgm)::numeric / nullif(sum(s.fga), 0), 3) AS fg_pct,
                   round(sum(s.fg3m)::numeric / nullif(sum(s.fg3a), 0), 3) AS fg3_pct,
                   round(sum(s.ftm)::numeric / nullif(sum(s.fta), 0), 3) AS ft_pct
            FROM player_game_stats s JOIN games g ON g.id = s.game_id
            LEFT JOIN teams t ON t.id = s.team_id
            WHERE s.player_id = p.id
            GROUP BY g.season, t.abbreviation) a), '[]'::json))::text
FROM players p LEFT JOIN teams tm ON tm.id = p.team_id WHERE p.id = %(player_id)s
"""  # noqa: S608 (trusted fragments only)


@router.get("", response_model=PlayerPage, responses={
    404: {"model": ErrorDetail, "description": "unknown team"}, **UNAVAILABLE},
    summary="List players")
async def list_players(
    reader: ReadPoolDep,
    page: PaginationDep,
    team: TeamQuery = None,
    active: Annotated[bool | None,
                      Query(description="only active (true) or inactive (false)")] = None,
) -> Response:
    abbr = normalise_abbreviation(team) if team else None
    row = await reader.fetchrow(players_list_sql(abbr, active), {
        "team": abbr, "active": active, "limit": page.limit, "offset": page.offset,
        "window": page.limit + page.offset})
    assert row is not None
    if not row[1]:
        raise NotFound(f"team {team!r} not found")
    return json_response(row[0])


@router.get("/{player_id}", response_model=PlayerDetail, responses={
    404: {"model": ErrorDetail, "description": "no such player"}, **UNAVAILABLE},
    summary="One player with per-season averages")
async def get_player(reader: ReadPoolDep, player_id: PlayerIdPath) -> Response:
    row = await reader.fetchrow(DETAIL_SQL, {"player_id": player_id})
    if row is None:
        raise NotFound(f"player {player_id} not found")
    return json_response(row[0])
