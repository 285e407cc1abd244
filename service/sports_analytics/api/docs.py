"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc``, as ordinary routes.

Everything the two documentation pages load comes from the application, so they work offline
and behind a strict egress policy (FastAPI's default pages load from a CDN and Google Fonts):

* Swagger UI 5 (which reads OpenAPI 3.1 documents) and ReDoc's standalone bundle, vendored and
  pinned in ``pages/static/vendor`` (version, licence and SHA-256 in its README), under
  content-hashed ``/static/`` names;
* the few lines that start each viewer, as served files (``pages/static/docs``): the
  Content-Security-Policy allows no inline script. ReDoc is given system fonts.

Both pages are one Jinja2 template (``api/templates/docs.html``), filled with each viewer's
parts (:class:`Viewer`).

Being routes of the application, these pages are labelled by their path in the request metrics
like every other route.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from sports_analytics.pages.assets import static_url
from sports_analytics.pages.rendering import templates

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
SWAGGER = "vendor/swagger-ui/"
DOCS_TEMPLATES_DIR = Path(__file__).parent / "templates"

# The pages' Jinja2 environment (autoescaping, strict undefined) over this package's templates.
_templates = templates.env.overlay(
    loader=jinja2.FileSystemLoader(DOCS_TEMPLATES_DIR))


@dataclass(frozen=True)
class Viewer:
    """What one documentation viewer needs in the shell: static names, its root element."""

    name: str
    bundle: str
    init: str
    icon: str
    element: str
    root_id: str
    stylesheets: tuple[str, ...] = ()


SWAGGER_UI = Viewer(
    name="Swagger UI", bundle=SWAGGER + "swagger-ui-bundle.js", init="docs/swagger-init.js",
    icon=SWAGGER + "favicon-32x32.png", element="div", root_id="swagger-ui",
    stylesheets=(SWAGGER + "swagger-ui.css", "docs/swagger-overrides.css"))
REDOC = Viewer(
    name="ReDoc", bundle="vendor/redoc/redoc.standalone.js", init="docs/redoc-init.js",
    icon="favicon.svg", element="main", root_id="redoc")


def _page(request: Request, viewer: Viewer) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return HTMLResponse(_templates.get_template("docs.html").render(
        viewer=viewer, title=f"{request.app.title} - {viewer.name}",
        openapi_url=root + OPENAPI_URL, static=lambda name: static_url(name, root)))


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, SWAGGER_UI)


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, REDOC)
