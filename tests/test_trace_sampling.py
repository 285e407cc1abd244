"""Head sampling before FastAPI's tracing integration (sports_analytics/trace_sampling.py).

Each case runs the app in a child process (a tracer provider is global and set once per
process) with the OTLP exporter pointed at a local receiver, and records, inside each request,
whether FastAPI's integration ran for it, whether a span records, and whether the client
instrumentations are suppressed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.helpers.otlp_receiver import OtlpReceiver, Span
from tests.helpers.serving import inherited_env

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
SAMPLED = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
UNSAMPLED = {"traceparent": f"00-{'5' * 32}-{PARENT_ID}-00"}
BOX_SCORE = "GET /api/v1/games/{game_id}"
# What FastAPI's integration puts on a box score's server span (nothing more, nothing less).
SERVER_ATTRIBUTES = {"http.request.method", "url.scheme", "url.path", "network.protocol.version",
                     "server.address", "server.port", "http.route", "http.response.status_code"}

# argv: a JSON list of [path, headers]; prints what each /probe request saw inside (else null).
PROBE = """
import json, sys
from fastapi.telemetry import get_telemetry_data
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from sports_analytics.app import create_app

app = create_app()

@app.get("/probe/{name}")
async def probe(name: str):
    return {"integration": get_telemetry_data() is not None,
            "recording": trace.get_current_span().is_recording(),
            "suppressed": not is_instrumentation_enabled()}

seen = []
with TestClient(app) as client:
    for path, headers in json.loads(sys.argv[1]):
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.status_code)
        seen.append(r.json() if path.startswith("/probe/") else None)
print(json.dumps(seen))
"""
# The default exclusions and one probe path.
EXCLUDED = "/healthz$,/readyz$,/metrics$,/probe/excluded$"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    r = OtlpReceiver().start()
    yield r
    r.stop()


def _run(db_url: str, receiver: OtlpReceiver, requests: list, **otel: str
         ) -> tuple[list[dict], list[dict]]:
    """What each /probe request saw, and the access lines of all the requests, in order."""
    env = inherited_env("OTEL_", "LOG_")
    env.update({"DATABASE_URL": db_url, "APP_ENV": "development", "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, **otel})
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(requests)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    *logs, seen = out.stdout.strip().splitlines()
    lines = [json.loads(line) for line in logs + out.stderr.splitlines() if line.startswith("{")]
    return json.loads(seen), [line for line in lines if line.get("event") == "request"]


def _servers(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.kind == "SPAN_KIND_SERVER"]


def test_unsampled_requests_skip_the_integration_and_make_no_span(shared_seeded_db_url,
                                                                   receiver):
    requests = [["/probe/new", {}], ["/probe/unsampled", UNSAMPLED],
                ["/probe/excluded", SAMPLED], ["/probe/sampled", SAMPLED],
                ["/api/v1/games/1", {}], ["/api/v1/games/2", UNSAMPLED], ["/healthz", SAMPLED],
                ["/api/v1/games/3", SAMPLED]]
    seen, access = _run(shared_seeded_db_url, receiver, requests, OTEL_TRACES_SAMPLER_ARG="0",
                        OTEL_PYTHON_FASTAPI_EXCLUDED_URLS=EXCLUDED)
    skipped = {"integration": False, "recording": False, "suppressed": True}
    # No parent at ratio 0, an unsampled parent, an excluded path: FastAPI's integration never
    # ran, nothing records, and the client instrumentations are off.
    assert seen[:3] == [skipped] * 3
    # A sampled parent is followed whatever the ratio.
    assert seen[3] == {"integration": True, "recording": True, "suppressed": False}
    spans = receiver.wait_for(lambda s: len(_servers(s)) >= 2)
    assert sorted((s.name, s.trace_id, s.parent_span_id) for s in _servers(spans)) == [
        (BOX_SCORE, TRACE_ID, PARENT_ID), ("GET /probe/{name}", TRACE_ID, PARENT_ID)]
    # The box scores nobody sampled made no statement spans either (no root traces of their
    # own): every span belongs to the sampled caller's trace.
    box = next(s for s in _servers(spans) if s.name == BOX_SCORE)
    assert [s for s in spans if s.parent_span_id == box.span_id
            and s.attributes.get("db.system") == "postgresql"]
    assert {s.trace_id for s in spans} == {TRACE_ID}
    # Only the traced requests' log lines carry trace ids: those of their own server spans.
    assert [line.get("trace_id") for line in access] == [None] * 3 + [TRACE_ID] + [None] * 3 + [
        TRACE_ID]
    assert access[-1]["span_id"] == box.span_id


def test_every_request_traced_at_ratio_one(shared_seeded_db_url, receiver):
    seen, _ = _run(shared_seeded_db_url, receiver, [["/api/v1/games/7", {}], ["/probe/all", {}]],
                   OTEL_TRACES_SAMPLER_ARG="1")
    assert seen[1] == {"integration": True, "recording": True, "suppressed": False}
    spans = receiver.wait_for(lambda s: len(_servers(s)) >= 2)
    box = next(s for s in _servers(spans) if s.name == BOX_SCORE)
    assert not box.parent_span_id
    assert set(box.attributes) == SERVER_ATTRIBUTES, box.attributes
    assert box.attributes["http.route"] == "/api/v1/games/{game_id}"
    assert box.attributes["url.path"] == "/api/v1/games/7"
    assert box.attributes["http.response.status_code"] == 200
    assert [s for s in spans if s.parent_span_id == box.span_id
            and s.attributes.get("db.system") == "postgresql"]
    assert {s.name for s in _servers(spans)} == {BOX_SCORE, "GET /probe/{name}"}


def test_kept_traces_are_decided_once_on_their_own_trace_id(shared_seeded_db_url, receiver):
    """The server span gets the trace id the head decision was drawn on: a second draw inside
    the integration would keep a quarter instead of a half, and ids that fail the ratio."""
    n = 300
    seen, access = _run(shared_seeded_db_url, receiver, [["/probe/half", {}]] * n,
                        OTEL_TRACES_SAMPLER_ARG="0.5")
    kept = sum(s["recording"] for s in seen)
    assert all(s["integration"] == s["recording"] for s in seen)
    # Binomial(300, 0.5): mean 150, standard deviation 8.7; a double draw would give 75.
    assert 110 <= kept <= 190, kept
    spans = receiver.wait_for(lambda s: len(_servers(s)) >= kept)
    assert len(_servers(spans)) == kept
    # TraceIdRatioBased keeps a trace when the low 64 bits of its id are below ratio * 2**64.
    assert all(int(s.trace_id, 16) & (2**64 - 1) < 2**63 for s in _servers(spans))
    assert {line["trace_id"] for line in access if "trace_id" in line} == {
        s.trace_id for s in _servers(spans)}
