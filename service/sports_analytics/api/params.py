"""Shared query parameters: pagination, seasons, dates, ids. Every integer is bounded so that
no input can overflow a PostgreSQL column (an overflow would be a 500)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator

from sports_analytics.config import Settings
from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN

INT32_MAX = 2**31 - 1
GAME_ID_MAX = 2**62
DEFAULT_LIMIT = 50


def _page_size_ceiling() -> int:
    """The documented maximum ``limit``: MAX_PAGE_SIZE as seen at import (default 200).

    The running settings are enforced as well, so a lower setting in tests still applies.
    """
    try:
        return max(1, min(10_000, int(os.environ.get("MAX_PAGE_SIZE", "200"))))
    except ValueError:
        return 200


PAGE_SIZE_CEILING = _page_size_ceiling()


def validation_error(loc: tuple[str, ...], msg: str, value: Any,
                     kind: str = "value_error") -> RequestValidationError:
    """A 422 in FastAPI's standard shape, for checks a type annotation cannot express."""
    return RequestValidationError([{"type": kind, "loc": loc, "msg": msg, "input": value}])


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int


LimitQuery = Annotated[int, Query(ge=1, le=PAGE_SIZE_CEILING,
                                  description="page size, at most MAX_PAGE_SIZE (default 200)")]
OffsetQuery = Annotated[int, Query(ge=0, le=INT32_MAX, description="rows to skip")]


def page_within(request: Request, limit: int, offset: int) -> Pagination:
    """The page asked for, within the running MAX_PAGE_SIZE (else the usual 422)."""
    # Settings straight from app.state: one dependency fewer to solve on every list request.
    settings: Settings = request.app.state.settings
    if limit > settings.max_page_size:
        raise validation_error(("query", "limit"),
                               f"Input should be less than or equal to {settings.max_page_size}",
                               limit, "less_than_equal")
    return Pagination(limit=min(limit, settings.max_page_size), offset=offset)


async def pagination(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> Pagination:
    return page_within(request, limit, offset)


PaginationDep = Annotated[Pagination, Depends(pagination)]

PlayerIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="player id")]
GameIdPath = Annotated[int, Path(ge=1, le=GAME_ID_MAX, description="game id")]
SeasonQuery = Annotated[int | None, Query(ge=SEASON_MIN, le=SEASON_MAX,
                                          description="season start year: 2025 is 2025-26")]
TeamQuery = Annotated[str | None, Query(min_length=2, max_length=4, pattern=r"^[A-Za-z]+$",
                                        description="team abbreviation, case-insensitive")]



def any_case(*choices: str) -> BeforeValidator:
    """Accept ``choices`` in any letter case, as team abbreviations are: ``east`` is ``East``.

    Anything else goes through unchanged, so the ``Literal`` rejects it with the usual 422."""
    by_lower = {c.lower(): c for c in choices}

    def convert(value: object) -> object:
        return by_lower.get(value.lower(), value) if isinstance(value, str) else value
    return BeforeValidator(convert)


ConferenceQuery = Annotated[Literal["East", "West"] | None,
                            Query(description="East or West, in any letter case"),
                            any_case("East", "West")]
ModelQuery = Annotated[Literal["elo_v1", "home_always", "elo_v2", "logistic"] | None,
                       Query(description="elo_v1, home_always, elo_v2 or logistic, in any "
                                         "letter case"),
                       any_case("elo_v1", "home_always", "elo_v2", "logistic")]
GameStatusQuery = Annotated[Literal["scheduled", "final"] | None, Query(
    description="only scheduled (not yet played) or final games, in any letter case"),
    any_case("scheduled", "final")]


# Dates are taken as strict YYYY-MM-DD text: pydantic's lax date parsing would also accept
# numbers ("0" as 1970-01-01), which the documented format does not allow.
DateQuery = Annotated[str | None, Query(
    pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"},
    description="YYYY-MM-DD, inclusive")]


def parse_date(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise validation_error(("query", name), "Input should be a valid date (YYYY-MM-DD)",
                               value, "date_from_datetime_parsing") from None
