"""The ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sports_analytics import __version__, telemetry
from sports_analytics.api import ROUTERS
from sports_analytics.config import Settings, get_settings
from sports_analytics.db.engine import make_engine, make_sessionmaker
from sports_analytics.db.readiness import ReadinessChecker
from sports_analytics.logging import configure_logging
from sports_analytics.metrics import instrument_pool
from sports_analytics.middleware import install_error_handlers, install_middleware


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        telemetry.setup()  # no-op when tracing is off or the gunicorn worker already did it
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        uninstrument = instrument_pool(engine, settings)
        app.state.readiness = ReadinessChecker(settings)
        try:
            yield
        finally:
            briefer = getattr(app.state, "gemini_briefer", None)
            if briefer is not None:  # created lazily by the first /insight request
                briefer.close()
            engine.dispose()
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
    )
    app.state.settings = settings
    install_middleware(app, settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    telemetry.instrument_app(app)
    return app
