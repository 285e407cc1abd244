"""``/docs`` (Swagger UI) and ``/redoc``: the API's documentation viewers, as pages.

Everything the two viewers load comes from the application, so they work offline and behind a
strict egress policy (FastAPI's default pages load from a CDN and Google Fonts):

* Swagger UI 5 (which reads OpenAPI 3.1 documents) and ReDoc's standalone bundle, vendored and
  pinned in ``pages/static/vendor`` (version, licence and SHA-256 in its README), under
  content-hashed ``/static/`` names;
* the few lines that start each viewer, as served files (``pages/static/docs``): the
  Content-Security-Policy allows no inline script. ReDoc is given system fonts.

Both are one template (``docs.html``), filled with each viewer's parts (:class:`Viewer`). They
read the document that api/openapi.py serves. Being routes of the application, they are
labelled by their path in the request metrics like every other route.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sports_analytics.api.openapi import OPENAPI_URL
from sports_analytics.pages.rendering import render

router = APIRouter(include_in_schema=False)

SWAGGER = "vendor/swagger-ui/"


@dataclass(frozen=True)
class Viewer:
    """What one documentation viewer needs in the page: its static files and root element."""

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
    return HTMLResponse(render(request, "docs.html", {
        "viewer": viewer, "title": f"{request.app.title} - {viewer.name}",
        "openapi_path": OPENAPI_URL}))


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, SWAGGER_UI)


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(request, REDOC)
