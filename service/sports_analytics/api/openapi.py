"""``/openapi.json``, as an ordinary route (labelled by its path in the request metrics).

FastAPI's own documentation routes are off (app.py); the viewers that read this document,
Swagger UI at ``/docs`` and ReDoc at ``/redoc``, are pages of the service (pages/docs.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())
