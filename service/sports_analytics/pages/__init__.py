"""Server-rendered HTML pages at the root paths, beside the JSON API (``api/``).

``ROUTERS`` is what create_app() mounts: the pages, the API's documentation viewers and the
content-hashed static files.
"""

from fastapi import APIRouter

from sports_analytics.pages import assets, docs, routes

ROUTERS: list[APIRouter] = [assets.router, docs.router, routes.router]
