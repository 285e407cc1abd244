"""Hostile input against a live ``sports-analytics serve``.

1. Property-based fuzz of every operation in the service's own ``/openapi.json`` with
   schemathesis, in positive and negative generation modes: no 5xx, and every response conforms
   to the schema (status/content type/body/headers; invalid input never accepted).
2. Explicit hostile values in every parameter of every operation: SQL-looking strings, huge
   integers, unicode, NUL bytes, over-long values, negative offsets, dates out of range. Each
   must give a JSON 4xx (or a 2xx where the value happens to be harmless), never a 5xx.

The example count is bounded (``FUZZ_MAX_EXAMPLES``, default 40 per operation and mode) so the
module runs in about a minute; figures go to benchmarks/results/reliability-figures.json.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
)

from tests.helpers.relharness import LiveServer, record_figure

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "40"))
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]

STATS: dict[str, Any] = {"cases": 0, "server_errors": [], "hostile": 0, "hostile_5xx": []}

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if STATS["cases"]:
        record_figure("fuzz.schemathesis_cases", STATS["cases"], "cases",
                      f"{STATS.get('operations', '?')} operations, positive+negative, "
                      f"<= {MAX_EXAMPLES} examples per operation and mode")
        record_figure("fuzz.schemathesis_5xx", len(STATS["server_errors"]), "5xx",
                      "; ".join(STATS["server_errors"][:5]))
    if STATS["hostile"]:
        record_figure("fuzz.hostile_requests", STATS["hostile"], "requests",
                      "explicit hostile value in every parameter of every operation")
        record_figure("fuzz.hostile_5xx", len(STATS["hostile_5xx"]), "5xx",
                      "; ".join(STATS["hostile_5xx"][:5]))


def test_openapi_fuzz(live_server: LiveServer) -> None:
    """Every operation, positive and negative cases; failures collected, then reported."""
    schema = schemathesis.openapi.from_url(live_server.url + "/openapi.json")
    failures: list[str] = []
    operations = 0
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call(base_url=live_server.url, session=session, timeout=30)
                STATS["cases"] += 1
                if response.status_code >= 500:
                    STATS["server_errors"].append(
                        f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}")
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # no parameters, so no invalid request can be made: nothing to fuzz negatively
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # keep fuzzing the other operations, report all at the end
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    session.close()
    assert operations >= 10, f"only {operations} operations in the schema"
    assert not STATS["server_errors"], STATS["server_errors"][:20]
    STATS["operations"] = operations
    assert not failures, f"{len(failures)} operation/mode runs failed:\n" + "\n\n".join(failures)


# --------------------------------------------------------------------------------------------
# Explicit hostile values

HOSTILE: list[str] = [
    # SQL-looking
    "' OR '1'='1", "1; DROP TABLE games; --", "1) UNION SELECT NULL,NULL--", "%27%3B--",
    "$$; SELECT pg_sleep(10); $$", "\\x27",
    # huge and odd numbers
    str(2**63), str(2**63 - 1), str(-(2**63) - 1), str(10**30), "1e309", "-1e309", "NaN",
    "Infinity", "0x7fffffff", "1.5", "-0", "+1", "٣",
    # negative offsets / limits
    "-1", "-999999999999",
    # unicode, control and NUL
    "Ωμέγα", "😀" * 8, "\u202eRTL", "a\u0000b", "\u0000", "line\nbreak", " ", "",
    # over-long
    "A" * 5000, "9" * 4000,
    # dates out of range / malformed
    "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "-0001-01-01", "2025-02-30",
    "2025-13-01", "1-1-1", "2025-01-01T00:00:00", "1970-01-01'",
]


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    ops = []
    for path, item in sorted(spec["paths"].items()):
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path, op))
    return ops


def _baseline(base: str) -> dict[str, str]:
    """Valid values for every parameter name, so that one hostile value is tested at a time."""
    game = httpx.get(base + "/api/v1/games", params={"limit": 1}, timeout=10).json()["items"][0]
    player = httpx.get(base + "/api/v1/players", params={"limit": 1}, timeout=10).json()["items"][0]
    return {
        "game_id": str(game["game_id"]),
        "player_id": str(player.get("player_id", player.get("id"))),
        "abbreviation": game["home_team"],
        "abbr": game["home_team"],
        "team": game["home_team"],
        "season": str(game["season"]),
        "date_from": game["date"],
        "date_to": game["date"],
        "limit": "5",
        "offset": "0",
    }


def _fill_path(path: str, values: dict[str, str]) -> str:
    out = path
    for name, value in values.items():
        out = out.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
    return out


def test_hostile_values_in_every_parameter(live_server: LiveServer) -> None:
    base = live_server.url
    spec = httpx.get(base + "/openapi.json", timeout=10).json()
    baseline = _baseline(base)
    failures: list[str] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for method, path, op in _operations(spec):
            params = [p for p in op.get("parameters", []) if p.get("in") in {"query", "path"}]
            path_values = {p["name"]: baseline.get(p["name"], "1") for p in params if p["in"] == "path"}
            required_query = {p["name"]: baseline.get(p["name"], "1") for p in params
                              if p["in"] == "query" and p.get("required")}
            for param in params:
                for value in HOSTILE:
                    pv, qv = dict(path_values), dict(required_query)
                    if param["in"] == "path":
                        if value in {"", " "}:
                            continue  # an empty path segment is a different route
                        pv[param["name"]] = value
                    else:
                        qv[param["name"]] = value
                    url = _fill_path(path, pv)
                    try:
                        resp = client.request(method, url, params=qv)
                    except httpx.HTTPError as exc:
                        failures.append(f"{method} {url} {param['name']}={value[:40]!r}: {exc!r}")
                        continue
                    STATS["hostile"] += 1
                    label = f"{method} {path} {param['name']}={value[:40]!r} -> {resp.status_code}"
                    if resp.status_code >= 500:
                        STATS["hostile_5xx"].append(label)
                        failures.append(label + f" {resp.text[:200]}")
                    elif resp.status_code >= 400:
                        ctype = resp.headers.get("content-type", "")
                        if "json" not in ctype or "detail" not in resp.json():
                            failures.append(label + f" without a JSON detail ({ctype})")
    assert STATS["hostile"] > 0
    assert not failures, f"{len(failures)} hostile requests mishandled:\n" + "\n".join(failures[:40])
