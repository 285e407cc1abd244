"""Teams: the 30 franchises, and one team with its roster."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from sports_analytics.api.deps import ReadPoolDep
from sports_analytics.api.params import ConferenceQuery, PaginationDep
from sports_analytics.api.responses import json_response
from sports_analytics.api.schemas import UNAVAILABLE, ErrorDetail, TeamDetail, TeamPage
from sports_analytics.exceptions import NotFound
from sports_analytics.ingest.teams import ALIASES

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])


TEAM_FIELDS = """'team_id', t.id, 'abbreviation', t.abbreviation, 'name', t.name, 'city', t.city,
    'conference', t.conference, 'division', t.division"""

LIST_SQL = f"""
WITH f AS (SELECT * FROM teams WHERE %(conference)s::text IS NULL OR conference = %(conference)s)
SELECT json_build_object(
    'items', coalesce((SELECT json_agg(json_build_object({TEAM_FIELDS}) ORDER BY t.abbreviation)
                       FROM (SELECT * FROM f ORDER BY abbreviation
                             LIMIT %(limit)s OFFSET %(offset)s) t), '[]'::json),
    'total', (SELECT count(*) FROM f), 'total_is_estimate', false,
    'limit', %(limit)s, 'offset', %(offset)s)::text
"""  # noqa: S608 (trusted fragments only)

DETAIL_SQL = f"""
SELECT json_build_object({TEAM_FIELDS},
    'roster', coalesce((SELECT json_agg(json_build_object(
                   'player_id', p.id, 'name', p.first_name || ' ' || p.last_name,
                   'position', p.position, 'jersey_number', p.jersey_number, 'active', p.active)
                 ORDER BY p.last_name, p.first_name, p.id)
               FROM players p WHERE p.team_id = t.id), '[]'::json))::text
FROM teams t WHERE t.abbreviation = %(abbr)s
"""  # noqa: S608 (trusted fragments only)


def normalise_abbreviation(value: str) -> str:
    upper = value.strip().upper()
    return ALIASES.get(upper, upper)


@router.get("", response_model=TeamPage, responses=UNAVAILABLE, summary="List teams")
async def list_teams(
    reader: ReadPoolDep,
    page: PaginationDep,
    conference: ConferenceQuery = None,
) -> Response:
    row = await reader.fetchrow(LIST_SQL, {"conference": conference, "limit": page.limit,
                                           "offset": page.offset})
    assert row is not None
    return json_response(row[0])


@router.get("/{abbreviation}", response_model=TeamDetail,
            responses={404: {"model": ErrorDetail, "description": "no such team"}, **UNAVAILABLE},
            summary="One team and its roster")
async def get_team(
    reader: ReadPoolDep,
    abbreviation: Annotated[str, Path(min_length=1, max_length=16, pattern=r"^\s*[A-Za-z]+\s*$",
                                      description="abbreviation, case-insensitive (bos, BOS)")],
) -> Response:
    row = await reader.fetchrow(DETAIL_SQL, {"abbr": normalise_abbreviation(abbreviation)})
    if row is None:
        raise NotFound(f"team {abbreviation!r} not found")
    return json_response(row[0])
