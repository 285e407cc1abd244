"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc``, as ordinary routes.

Everything the two documentation pages load comes from the application, so they work offline
and behind a strict egress policy (FastAPI's default pages load from a CDN and Google Fonts):

* Swagger UI 5 (which reads OpenAPI 3.1 documents) and ReDoc's standalone bundle, vendored and
  pinned in ``pages/static/vendor`` (version, licence and SHA-256 in its README), under
  content-hashed ``/static/`` names;
* the few lines that start each viewer, as served files (``pages/static/docs``): the
  Content-Security-Policy allows no inline script. ReDoc is given system fonts.

Being routes of the application, these pages are labelled by their path in the request metrics
like every other route.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from sports_analytics.pages.assets import static_url

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
SWAGGER = "vendor/swagger-ui/"

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{overrides}">
<link rel="icon" href="{icon}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{icon}">
</head>
<body>
<main id="redoc" data-openapi-url="{openapi}"></main>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return HTMLResponse(_SWAGGER.format(
        title=escape(f"{request.app.title} - Swagger UI"),
        css=escape(static_url(SWAGGER + "swagger-ui.css", root)),
        overrides=escape(static_url("docs/swagger-overrides.css", root)),
        icon=escape(static_url(SWAGGER + "favicon-32x32.png", root)),
        bundle=escape(static_url(SWAGGER + "swagger-ui-bundle.js", root)),
        openapi=escape(root + OPENAPI_URL), init=escape(static_url("docs/swagger-init.js", root))))


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return HTMLResponse(_REDOC.format(
        title=escape(f"{request.app.title} - ReDoc"), openapi=escape(root + OPENAPI_URL),
        icon=escape(static_url("favicon.svg", root)),
        bundle=escape(static_url("vendor/redoc/redoc.standalone.js", root)),
        init=escape(static_url("docs/redoc-init.js", root))))
