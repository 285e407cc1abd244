"""HTTP routers. ``ROUTERS`` is the one list create_app() mounts."""

from fastapi import APIRouter

from sports_analytics.api import (
    analytics,
    forecast,
    games,
    models,
    ops,
    players,
    schedule,
    standings,
    teams,
)

ROUTERS: list[APIRouter] = [
    ops.router,
    teams.router,
    players.router,
    schedule.router,  # before games: /games/upcoming must not match /games/{game_id}
    games.router,
    standings.router,
    analytics.router,
    forecast.router,
    models.router,
]
