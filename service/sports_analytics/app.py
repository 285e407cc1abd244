"""The ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sports_analytics import __version__, telemetry
from sports_analytics.api import ROUTERS, openapi
from sports_analytics.api.deps import State, close_state, open_state
from sports_analytics.config import Settings, get_settings
from sports_analytics.exception_handlers import add_exception_handlers
from sports_analytics.logging import configure_logging
from sports_analytics.metrics import instrument_pool, instrument_read_pool
from sports_analytics.middleware import install_middleware
from sports_analytics.pages import ROUTERS as PAGE_ROUTERS
from sports_analytics.security_headers import SecurityHeadersMiddleware


def instrument_pools(state: State, settings: Settings) -> Callable[[], None]:
    """db_pool_* gauges for every pool of the worker, labelled by pool."""
    undo = [instrument_pool(state["engine"], settings),
            instrument_read_pool(state["read_pool"])]
    if state["read_engine"] is not state["engine"]:
        undo.append(instrument_pool(state["read_engine"], settings, name="sqlalchemy_read"))

    def _uninstrument() -> None:
        for fn in undo:
            fn()

    return _uninstrument


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        telemetry.setup()  # no-op when tracing is off or the gunicorn worker already did it
        state = open_state(settings)
        uninstrument = instrument_pools(state, settings)
        try:
            yield state  # every request sees it as request.state (api/deps.py)
        finally:
            await close_state(state)
            uninstrument()
            telemetry.shutdown(telemetry.flush_timeout(settings.graceful_timeout))

    app = FastAPI(
        title="sports-analytics",
        version=__version__,
        description=(
            "Basketball analytics: teams, games, box scores, standings, predictions "
            "and AI game briefs."
        ),
        lifespan=lifespan,
        # server spans from FastAPI's own OpenTelemetry integration, when tracing is on
        telemetry=telemetry.fastapi_config(),
        # served by api/openapi.py and pages/docs.py: assets from the package, labelled routes
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_middleware(app, settings)
    app.add_middleware(SecurityHeadersMiddleware)
    add_exception_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(openapi.router)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    telemetry.instrument_app(app)
    return app
