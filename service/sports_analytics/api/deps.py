"""The application's shared resources (lifespan state) and the dependencies that hand them out.

:func:`open_state` builds every shared object once, in ``create_app``'s lifespan, and
:func:`close_state` closes them on shutdown. Starlette copies the state into every request
(``request.state``); routes receive each object through one ``Annotated`` alias below. The
dependencies are ``async``: FastAPI would run a plain ``def`` dependency in its thread pool, a
thread hop on every request.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from fastapi import Depends, Request
from sqlalchemy import Engine

from sports_analytics.api.caching import DataVersionTracker
from sports_analytics.config import Settings
from sports_analytics.db.engine import make_engine
from sports_analytics.db.read_pool import ReadPool
from sports_analytics.db.readiness import ReadinessChecker
from sports_analytics.insights.gemini import GeminiBriefer
from sports_analytics.standings.cache import StandingsCache


class State(TypedDict):
    """What the lifespan yields: one of each per worker process."""

    engine: Engine  # SQLAlchemy on the primary: the insight cache (it writes)
    read_engine: Engine  # SQLAlchemy for the read-only analytics routes (replica, if any)
    read_pool: ReadPool  # psycopg, for the JSON-in-SQL data routes (replica, if any)
    data_versions: DataVersionTracker  # ETag bookkeeping (api/caching.py)
    standings: StandingsCache  # standings per data version, served from memory
    readiness: ReadinessChecker  # /readyz
    briefer: GeminiBriefer  # /insight: one genai.Client per process


def open_state(settings: Settings) -> State:
    engine = make_engine(settings)
    # DATABASE_READ_URL: the read-only routes get their own engine on the replica.
    replica = settings.sqlalchemy_read_url is not None
    read_pool, data_versions = ReadPool(settings), DataVersionTracker()
    return State(
        engine=engine,
        read_engine=make_engine(settings, replica=True) if replica else engine,
        read_pool=read_pool,
        data_versions=data_versions,
        standings=StandingsCache(read_pool, data_versions),
        readiness=ReadinessChecker(settings),
        briefer=GeminiBriefer(settings),
    )


async def close_state(state: State) -> None:
    state["briefer"].close()
    await state["read_pool"].close()
    state["engine"].dispose()
    if state["read_engine"] is not state["engine"]:
        state["read_engine"].dispose()


async def get_engine(request: Request) -> Engine:
    return request.state.engine


async def get_read_engine(request: Request) -> Engine:
    return request.state.read_engine


async def get_read_pool(request: Request) -> ReadPool:
    return request.state.read_pool


async def get_data_versions(request: Request) -> DataVersionTracker:
    return request.state.data_versions


async def get_readiness(request: Request) -> ReadinessChecker:
    return request.state.readiness


async def get_briefer(request: Request) -> GeminiBriefer:
    return request.state.briefer


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
ReadEngineDep = Annotated[Engine, Depends(get_read_engine)]
ReadPoolDep = Annotated[ReadPool, Depends(get_read_pool)]
DataVersionsDep = Annotated[DataVersionTracker, Depends(get_data_versions)]
ReadinessDep = Annotated[ReadinessChecker, Depends(get_readiness)]
BrieferDep = Annotated[GeminiBriefer, Depends(get_briefer)]
AppSettingsDep = Annotated[Settings, Depends(get_settings)]
