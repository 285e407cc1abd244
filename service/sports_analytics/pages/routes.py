"""The HTML pages at the root paths. The JSON API under ``/api/v1`` is their data contract;
these routes read the same queries (see pages/queries.py) and render them server-side.

Query parameters are taken as text and checked here, so that a bad value answers a 422 page
(the API's status for the same parameter) whose message says what is wrong and gives an example.
"""

from __future__ import annotations

import datetime as dt
import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sports_analytics.api.schedule import eastern_today
from sports_analytics.api.teams import normalise_abbreviation
from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN
from sports_analytics.exceptions import InvalidParameter, NotFound
from sports_analytics.pages import day, game, models, standings, status, team
from sports_analytics.pages.errors import PAGES_TAG
from sports_analytics.pages.rendering import serve_page

router = APIRouter(tags=[PAGES_TAG], include_in_schema=False)

_SEASON = re.compile(r"^\d{4}$")
_ABBREVIATION = re.compile(r"^[A-Za-z]{2,4}$")
GAME_ID_MAX = 2**62


def parse_day(value: str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"date must be a calendar date written YYYY-MM-DD, "
                               f"such as {eastern_today().isoformat()}; got {value!r}") from None


def parse_season(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not _SEASON.fullmatch(value) or not SEASON_MIN <= int(value) <= SEASON_MAX:
        raise InvalidParameter(f"season must be a start year from {SEASON_MIN} to "
                               f"{SEASON_MAX} (2025 is the 2025-26 season); got {value!r}")
    return int(value)


@router.get("/")
async def day_page(request: Request, date: str | None = None) -> Response:
    chosen = parse_day(date)
    target = chosen or eastern_today()
    return await serve_page(request, "day", "day.html",
                            lambda: day.day_context(request, target, chosen is not None))


@router.get("/standings")
async def standings_page(request: Request, season: str | None = None) -> Response:
    chosen = parse_season(season)
    return await serve_page(request, "standings", "standings.html",
                            lambda: standings.standings_context(request, chosen))


@router.get("/teams/{abbreviation}")
async def team_page(request: Request, abbreviation: str, season: str | None = None) -> Response:
    if not _ABBREVIATION.fullmatch(abbreviation):
        raise NotFound(f"There is no team {abbreviation!r}.")
    abbr = normalise_abbreviation(abbreviation)
    chosen = parse_season(season)
    return await serve_page(request, "team", "team.html",
                            lambda: team.team_context(request, abbr, chosen))


@router.get("/games/{game_id}")
async def game_page(request: Request, game_id: str) -> Response:
    if not game_id.isdigit() or not 1 <= int(game_id) <= GAME_ID_MAX:
        raise NotFound(f"There is no game {game_id!r}.")
    return await serve_page(request, "game", "game.html",
                            lambda: game.game_context(request, int(game_id)))


@router.get("/models")
async def models_page(request: Request, season: str | None = None) -> Response:
    chosen = parse_season(season)
    return await serve_page(request, "models", "models.html",
                            lambda: models.models_context(request, chosen))


@router.get("/status")
async def status_page(request: Request) -> Response:
    return await serve_page(request, "status", "status.html",
                            lambda: status.status_context(request))
