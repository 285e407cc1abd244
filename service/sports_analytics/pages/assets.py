"""Static assets under ``/static/``, with content-hashed names.

At import every file in ``pages/static`` (the vendored ones included) is read once and given a
name carrying the first 10 hex digits of its SHA-256: ``app.css`` is served as
``app.3f9a2c1b04.css``. A new release with changed bytes gets a new name, so the files can be
cached for a year as immutable. Templates ask for :func:`static_url` and never spell a hashed
name. A name whose hash is not the current one answers 404: an old page cannot get new bytes
under an old name. Licence and notice files stay on disk, beside what they cover, and are
not served.

Files are kept in memory, each also gzip-compressed once (ReDoc's bundle is 1.1 MB, 300 KB
compressed), so a request costs a dictionary lookup.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from sports_analytics.exceptions import NotFound

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
_SERVED_SUFFIXES = {".css", ".js", ".svg", ".png", ".ico", ".woff2"}
_COMPRESSIBLE = {".css", ".js", ".svg"}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str


def hashed_name(logical: str, body: bytes) -> str:
    """``vendor/redoc/redoc.standalone.js`` -> ``vendor/redoc/redoc.standalone.<hash>.js``."""
    digest = hashlib.sha256(body).hexdigest()[:10]
    stem, dot, suffix = logical.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{logical}.{digest}"


def _load(directory: Path) -> tuple[dict[str, str], dict[str, Asset]]:
    urls: dict[str, str] = {}
    assets: dict[str, Asset] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix not in _SERVED_SUFFIXES:
            continue
        logical = path.relative_to(directory).as_posix()
        body = path.read_bytes()
        name = hashed_name(logical, body)
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media.startswith("text/") or media.endswith("javascript"):
            media += "; charset=utf-8"
        packed = gzip.compress(body, 9, mtime=0) if path.suffix in _COMPRESSIBLE else None
        urls[logical] = name
        assets[name] = Asset(body, packed, media)
    return urls, assets


_URLS, _ASSETS = _load(STATIC_DIR)


def static_url(logical: str, root_path: str = "") -> str:
    """The URL of a static file by its plain name (``app.css``); KeyError if there is none."""
    return f"{root_path}/static/{_URLS[logical]}"


@router.get("/static/{name:path}")
async def static_asset(request: Request, name: Annotated[str, PathParam()]) -> Response:
    asset = _ASSETS.get(name)
    if asset is None:
        raise NotFound(f"no static file {name!r}")
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)
