"""Players: the league list, and one player with per-season averages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sports_analytics.api.deps import ReadPoolDep
from sports_analytics.api.params import PaginationDep, PlayerIdPath, TeamQuery
from sports_analytics.api.schemas import ErrorDetail, PlayerDetail, PlayerPage
from sports_analytics.api.teams import normalise_abbreviation
from sports_analytics.exceptions import NotFound

router = APIRouter(prefix="/api/v1/players", tags=["players"])

ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorDetail, "description": "database unavailable"}}

PLAYER_FIELDS = """'player_id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
    'name', p.first_name || ' ' || p.last_name, 'team', tm.abbreviation, 'position', p.position,
    'jersey_number', p.jersey_number, 'height_cm', p.height_cm, 'active', p.active"""

LIST_SQL = f"""
WITH wanted AS (SELECT id FROM teams WHERE abbreviation = %(team)s),
f AS (
    SELECT p.id, tm.abbreviation AS team_abbr, p.last_name, p.first_name FROM players p
    LEFT JOIN teams tm ON tm.id = p.team_id
    WHERE (%(team)s::text IS NULL OR p.team_id = (SELECT id FROM wanted))
      AND (%(active)s::boolean IS NULL OR p.active = %(active)s::boolean))
SELECT json_build_object(
    'items', coalesce((
        SELECT json_agg(json_build_object({PLAYER_FIELDS})
                        ORDER BY pg.team_abbr NULLS LAST, pg.last_name, pg.first_name, pg.id)
        FROM (SELECT * FROM f ORDER BY team_abbr NULLS LAST, last_name, first_name, id
              LIMIT %(limit)s OFFSET %(offset)s) pg
        JOIN players p ON p.id = pg.id LEFT JOIN teams tm ON tm.id = p.team_id), '[]'::json),
    'total', (SELECT count(*) FROM f), 'limit', %(limit)s, 'offset', %(offset)s)::text,
  %(team)s::text IS NULL OR EXISTS (SELECT 1 FROM wanted)
"""  # noqa: S608 (trusted fragments only)

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
    404: {"model": ErrorDetail, "description": "unknown team"}, **ERRORS}, summary="List players")
async def list_players(
    reader: ReadPoolDep,
    page: PaginationDep,
    team: TeamQuery = None,
    active: Annotated[bool | None,
                      Query(description="only active (true) or inactive (false)")] = None,
) -> Response:
    abbr = normalise_abbreviation(team) if team else None
    row = await reader.fetchrow(LIST_SQL, {"team": abbr, "active": active,
                                           "limit": page.limit, "offset": page.offset})
    assert row is not None
    if not row[1]:
        raise NotFound(f"team {team!r} not found")
    return Response(row[0], media_type="application/json")


@router.get("/{player_id}", response_model=PlayerDetail, responses={
    404: {"model": ErrorDetail, "description": "no such player"}, **ERRORS},
    summary="One player with per-season averages")
async def get_player(reader: ReadPoolDep, player_id: PlayerIdPath) -> Response:
    row = await reader.fetchrow(DETAIL_SQL, {"player_id": player_id})
    if row is None:
        raise NotFound(f"player {player_id} not found")
    return Response(row[0], media_type="application/json")
