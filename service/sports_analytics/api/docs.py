"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc``, as ordinary routes.

Everything the two documentation pages load comes from the application, so they work offline
and behind a strict egress policy (FastAPI's default pages load from a CDN and Google Fonts):

* Swagger UI's script, stylesheet and icon from the ``swagger-ui-bundle`` package under
  ``/docs/assets/``;
* ReDoc's standalone bundle, vendored and pinned in ``pages/static/vendor/redoc`` (version,
  licence and SHA-256 in its README), under a content-hashed ``/static/`` name;
* the few lines that start each viewer, as served files (``pages/static/docs``): the
  Content-Security-Policy allows no inline script. ReDoc is given system fonts.

Being routes of the application, these pages are labelled by their path in the request metrics
like every other route.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from swagger_ui_bundle import swagger_ui_path

from sports_analytics.pages.assets import static_url

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
ASSETS = "/docs/assets"
AssetName = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
<link rel="icon" href="{root}{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{root}{assets}/swagger-ui-bundle.js"></script>
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
        title=escape(f"{request.app.title} - Swagger UI"), root=escape(root), assets=ASSETS,
        openapi=escape(root + OPENAPI_URL), init=escape(static_url("docs/swagger-init.js", root))))


@router.get(ASSETS + "/{name}")
async def swagger_ui_asset(name: Annotated[AssetName, PathParam()]) -> FileResponse:
    return FileResponse(Path(swagger_ui_path) / name,
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return HTMLResponse(_REDOC.format(
        title=escape(f"{request.app.title} - ReDoc"), openapi=escape(root + OPENAPI_URL),
        bundle=escape(static_url("vendor/redoc/redoc.standalone.js", root)),
        init=escape(static_url("docs/redoc-init.js", root))))
