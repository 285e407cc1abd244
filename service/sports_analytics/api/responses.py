"""JSON bodies that PostgreSQL built, sent compact.

PostgreSQL's ``json`` output spaces its separators (``{"season" : 2025}``, ``", \\n "`` between
array elements). Re-encoding with orjson makes every body compact and keeps the keys in the
order the query wrote them; it is cheap next to the one round trip that built the document
(docs/benchmarks.md, "Compact JSON bodies").
"""

from __future__ import annotations

import orjson
from starlette.responses import Response


def compact(document: str | bytes) -> bytes:
    return orjson.dumps(orjson.loads(document))


def json_response(document: str | bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(compact(document), media_type="application/json", headers=headers)
