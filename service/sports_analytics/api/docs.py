"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc``, as ordinary routes.

Swagger UI's script, stylesheet and icon are served from the ``swagger-ui-bundle`` package
under ``/docs/assets/``, so ``/docs`` works offline and behind a strict egress policy (FastAPI's
default page loads them from a CDN). Being routes of the application, these pages are labelled
by their path in the request metrics like every other route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
ASSETS = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
AssetName = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=root + OPENAPI_URL,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(ASSETS + "/{name}")
async def swagger_ui_asset(name: Annotated[AssetName, PathParam()]) -> FileResponse:
    return FileResponse(Path(swagger_ui_path) / name,
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=_root(request) + OPENAPI_URL,
                          title=f"{request.app.title} - ReDoc")
