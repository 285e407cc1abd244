"""HTTP routers. ``ROUTERS`` is the one list create_app() mounts."""

from fastapi import APIRouter

from sports_analytics.api import analytics, games, ops, players, standings, teams

ROUTERS: list[APIRouter] = [
    ops.router,
    teams.router,
    players.router,
    games.router,
    standings.router,
    analytics.router,
]
