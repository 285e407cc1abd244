"""Operational endpoints: liveness, readiness, version and Prometheus metrics.

``/healthz`` never touches the database: a database outage must not get pods restarted.
``/readyz`` takes pods out of load balancing while the database is unreachable or the schema
is behind this code (see :mod:`sports_analytics.db.readiness`).
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel

from sports_analytics import __version__
from sports_analytics import metrics as prom
from sports_analytics.api import freshness
from sports_analytics.api.deps import AppSettingsDep, EngineDep, ReadinessDep
from sports_analytics.api.schemas import RETRY_AFTER
from sports_analytics.exceptions import DatabaseUnavailable

router = APIRouter(tags=["operations"])

_HEALTHZ_BODY = b'{"status":"ok"}'


class Health(BaseModel):
    status: str


class ReadyStatus(BaseModel):
    status: str
    detail: str | None = None
    checks: dict[str, str]


class VersionInfo(BaseModel):
    version: str
    git_sha: str
    build_time: str


@router.get("/healthz", response_model=Health, summary="Liveness (never touches the database)")
async def healthz() -> Response:
    return Response(_HEALTHZ_BODY, media_type="application/json")


@router.get(
    "/readyz",
    response_model=ReadyStatus,
    summary="Readiness: database answers within 1 s and the schema is not behind",
    responses={503: {"model": ReadyStatus, "description": "not ready; `detail` names the check",
                     "headers": RETRY_AFTER}},
)
async def readyz(checker: ReadinessDep) -> Response:
    result = await checker.check()
    headers = {"Cache-Control": "no-store"}
    if not result.ready:
        headers["Retry-After"] = str(DatabaseUnavailable.retry_after_seconds)
    return Response(orjson.dumps(result.body()), status_code=200 if result.ready else 503,
                    media_type="application/json", headers=headers)


@router.get("/version", response_model=VersionInfo, summary="Build information")
async def version(settings: AppSettingsDep) -> Response:
    body = {
        "version": settings.app_version or __version__,
        "git_sha": settings.git_sha,
        "build_time": settings.build_time,
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/metrics", include_in_schema=False)
def metrics(engine: EngineDep) -> Response:
    # A sync route: merging the multiprocess files reads disk, so it runs in the thread pool.
    freshness.COLLECTOR.bind(engine)  # reads refresh_runs in the background, at most every 15 s
    return Response(prom.render(extra=(freshness.COLLECTOR,)), media_type=prom.CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})

