"""OpenTelemetry traces end to end: the real ``serve`` (2 workers) exporting to a local receiver.

The receiver (tests/helpers/otlp_receiver.py) decodes the OTLP/HTTP protobuf the SDK sends, so
these tests see exactly what a collector would: span names, ids, parent links, attributes.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.fake_gemini import FakeGemini
from tests.helpers.otlp_receiver import OtlpReceiver, Span
from tests.helpers.serving import BIN, ServeProcess, inherited_env, with_password

pytestmark = pytest.mark.slow

DB_SECRET = "tr4ce-Db-Pw-9931"  # trust auth ignores it; it must appear in no span and no log
GEMINI_KEY = "AIzaTraceKey-0123456789abcdefghijklmn"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
GAME_ID = 421  # appears in the URL; must not appear in any statement


def _base_env(db_url: str, **extra: str) -> dict[str, str]:
    env = inherited_env("OTEL_", "GEMINI_")
    env.update({"DATABASE_URL": with_password(db_url, DB_SECRET), "APP_ENV": "production",
                "OTEL_BSP_SCHEDULE_DELAY": "200"})
    env.update(extra)
    return env


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    r = OtlpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    server = FakeGemini(GEMINI_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator:
    started: list[ServeProcess] = []

    def start(env: dict[str, str]) -> ServeProcess:
        served = ServeProcess(env, tmp_path)
        started.append(served)
        return served

    yield start
    for served in started:
        served.kill()


def _traceparent(span_id: str = PARENT_ID, trace_id: str = TRACE_ID) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{span_id}-01"}


def _statement(span: Span) -> str:
    return str(span.attributes.get("db.statement") or span.attributes.get("db.query.text") or "")


def _children(spans: list[Span], parent: Span) -> list[Span]:
    return [s for s in spans if s.parent_span_id == parent.span_id]


def _one(spans: list[Span], name: str, trace_id: str) -> Span:
    found = [s for s in spans if s.name == name and s.trace_id == trace_id]
    assert len(found) == 1, (name, [(s.name, s.trace_id) for s in spans])
    return found[0]


def test_serve_exports_route_spans_with_db_children(serve_factory, receiver, fake_gemini,
                                                      shared_seeded_db_url):
    env = _base_env(shared_seeded_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_SERVICE_NAME="sa-trace-test", OTEL_RESOURCE_ATTRIBUTES="deployment.env=ci",
                    GEMINI_API_KEY=GEMINI_KEY, GEMINI_BASE_URL=fake_gemini.base_url)
    served = serve_factory(env)
    trace_box, trace_insight, trace_nope = TRACE_ID, "1" * 32, "2" * 32
    r = httpx.get(f"{served.base_url}/api/v1/games/{GAME_ID}", headers=_traceparent())
    assert r.status_code == 200
    r = httpx.get(f"{served.base_url}/api/v1/games/{GAME_ID}/insight",
                  headers=_traceparent(trace_id=trace_insight), timeout=30)
    assert r.status_code == 200 and fake_gemini.requests, r.text
    assert httpx.get(f"{served.base_url}/no/such/path/{GAME_ID}",
                     headers=_traceparent(trace_id=trace_nope)).status_code == 404
    for _ in range(30):  # spread over both workers; probes and scrapes are not traced by default
        for path in ("/healthz", "/readyz", "/metrics"):
            assert httpx.get(served.base_url + path,
                             headers=_traceparent(trace_id="3" * 32)).status_code == 200
    assert served.terminate() == 0
    spans = receiver.wait_for(lambda s: any(x.trace_id == trace_nope for x in s))

    # The server span: named by the route template, child of the incoming traceparent.
    box = _one(spans, "GET /api/v1/games/{game_id}", trace_box)
    assert box.kind == "SPAN_KIND_SERVER" and box.parent_span_id == PARENT_ID
    assert box.attributes.get("http.route") == "/api/v1/games/{game_id}"
    # Its database child comes from the read pool (psycopg AsyncConnection), placeholders only.
    db = [s for s in _children(spans, box) if s.kind == "SPAN_KIND_CLIENT"]
    assert db and all(s.attributes.get("db.system") == "postgresql" for s in db), db
    assert "%(game_id)s" in _statement(db[0]) and str(GAME_ID) not in _statement(db[0])
    assert not [s for s in spans if s.trace_id == trace_box and s.name in ("http send",
                                                                         "http receive")]

    # Insight: SQLAlchemy's psycopg statements and the Gemini call, both under the server span.
    insight = _one(spans, "GET /api/v1/games/{game_id}/insight", trace_insight)
    below = [s for s in spans if s.trace_id == trace_insight and s is not insight]
    assert any(s.attributes.get("db.system") == "postgresql" for s in below), below
    assert all(s.parent_span_id for s in below)
    gemini = [s for s in below if s.scope.startswith("opentelemetry.instrumentation.httpx")]
    assert len(gemini) == 1 and gemini[0].kind == "SPAN_KIND_CLIENT", [b.name for b in below]
    assert gemini[0].parent_span_id == insight.span_id
    assert fake_gemini.base_url.split("//")[1] in repr(gemini[0].attributes)

    # An unmatched path does not become a span name of its own; probes make no spans at all.
    nope = [s for s in spans if s.trace_id == trace_nope and s.kind == "SPAN_KIND_SERVER"]
    assert [s.name for s in nope] == ["GET"]
    assert "http.route" not in nope[0].attributes
    assert not [s for s in spans if s.trace_id == "3" * 32]
    # Nor do the statements of the untraced probes (/readyz queries the database) start
    # traces of their own: inside a request that records nothing, no client span is made.
    assert {s.trace_id for s in spans} == {trace_box, trace_insight, trace_nope}, [
        (s.name, _statement(s)[:200]) for s in spans if s.trace_id not in (trace_box, trace_insight,
                                                                   trace_nope)]

    # No parameter value, no password, no key, no prompt anywhere.
    for s in spans:
        assert DB_SECRET not in s.text and GEMINI_KEY not in s.text, s
        assert "Game facts" not in s.text and "basketball analyst" not in s.text, s
        if s.attributes.get("db.system"):
            assert str(GAME_ID) not in _statement(s), _statement(s)
    # The exporter's own requests are not traced, and the resource comes from OTEL_* alone.
    assert not [s for s in spans if "/v1/traces" in repr(s.attributes)]
    assert box.resource["service.name"] == "sa-trace-test"
    assert box.resource["deployment.env"] == "ci"
    assert receiver.content_types == {"application/x-protobuf"}
    # Spans come from the workers only: the master (the serve pid, kept by execv) exports none.
    pids = {s.resource["process.pid"] for s in spans}
    assert pids and served.proc.pid not in pids, pids

    # Log lines written inside the requests carry the same ids.
    lines = served.log_lines()
    access = {line["route"]: line for line in lines if line.get("event") == "request"
              and line.get("trace_id") in (trace_box, trace_insight)}
    assert access["/api/v1/games/{game_id}"]["span_id"] == box.span_id
    assert access["/api/v1/games/{game_id}/insight"]["trace_id"] == trace_insight
    assert DB_SECRET not in served.log_text() and GEMINI_KEY not in served.log_text()
    assert any(line.get("event") == "tracing enabled" for line in lines)


def test_probes_traced_when_the_exclusion_list_is_emptied(serve_factory, receiver,
                                                         migrated_db_url):
    env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_PYTHON_FASTAPI_EXCLUDED_URLS="", OTEL_TRACES_SAMPLER="traceidratio",
                    OTEL_TRACES_SAMPLER_ARG="1.0")
    served = serve_factory(env)
    assert httpx.get(served.base_url + "/healthz", headers=_traceparent()).status_code == 200
    assert httpx.request("BREW", served.base_url + "/healthz").status_code == 405
    assert served.terminate() == 0
    spans = receiver.wait_for(lambda s: len(s) >= 2)
    assert _one(spans, "GET /healthz", TRACE_ID).kind == "SPAN_KIND_SERVER"
    # An unknown verb is named "HTTP", not after itself (span names stay a closed set).
    assert {s.name for s in spans} == {"GET /healthz", "HTTP /healthz"}, [s.name for s in spans]


def test_tracing_off_sends_nothing_and_logs_no_ids(serve_factory, receiver, migrated_db_url):
    env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_SDK_DISABLED="true")
    served = serve_factory(env)
    for _ in range(5):
        assert httpx.get(served.base_url + "/readyz", headers=_traceparent()).status_code == 200
    assert served.terminate() == 0
    time.sleep(0.5)
    assert receiver.requests == 0
    lines = served.log_lines()
    assert lines and not [line for line in lines if "trace_id" in line]
    assert not any(line.get("event") == "tracing enabled" for line in lines)


THREADS_PROBE = """
import threading
from fastapi.testclient import TestClient
from opentelemetry import trace
from sports_analytics import telemetry
from sports_analytics.app import create_app
with TestClient(create_app()) as client:
    assert client.get("/readyz").status_code == 200
    names = sorted(t.name for t in threading.enumerate())
    print(repr((names, type(trace.get_tracer_provider()).__name__, telemetry.active())))
"""


@pytest.mark.parametrize(("otel", "exporting"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "RECEIVER", "OTEL_SDK_DISABLED": "true"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "RECEIVER"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "RECEIVER/v1/traces"}, True),
], ids=["no-endpoint", "sdk-disabled", "endpoint", "traces-endpoint"])
def test_exporter_thread_only_when_tracing_is_on(receiver, migrated_db_url, otel, exporting):
    otel = {k: v.replace("RECEIVER", receiver.endpoint) for k, v in otel.items()}
    out = subprocess.run([sys.executable, "-c", THREADS_PROBE], capture_output=True, text=True,
                         env=_base_env(migrated_db_url, **otel), timeout=60)
    assert out.returncode == 0, out.stderr
    names, provider, active = eval(out.stdout.strip().splitlines()[-1])
    batch_threads = [n for n in names if n.startswith("OtelBatch")]
    assert active is exporting
    assert bool(batch_threads) is exporting, names
    assert (provider == "TracerProvider") is exporting, provider


def test_batch_command_emits_one_root_span(receiver, migrated_db_url):
    env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    out = subprocess.run([str(BIN), "migrate"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    spans = receiver.wait_for(lambda s: any(x.name == "sports-analytics migrate" for x in s))
    roots = [s for s in spans if not s.parent_span_id]
    assert [s.name for s in roots] == ["sports-analytics migrate"], [s.name for s in spans]
    root = roots[0]
    assert root.attributes["sports_analytics.command"] == "migrate"
    assert root.resource["service.name"] == "sports-analytics"
    db = [s for s in spans if s.trace_id == root.trace_id and s.attributes.get("db.system")]
    assert db, [s.name for s in spans]
    assert all(DB_SECRET not in s.text for s in spans)
    ids = [json.loads(line).get("trace_id") for line in out.stderr.splitlines() if line.strip()]
    assert root.trace_id in ids, out.stderr


def test_failing_batch_command_marks_its_span(receiver, migrated_db_url, tmp_path):
    env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    missing = tmp_path / "missing.csv"
    out = subprocess.run([str(BIN), "ingest", str(missing)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode != 0
    spans = receiver.wait_for(lambda s: any(x.name == "sports-analytics ingest" for x in s))
    root = _one(spans, "sports-analytics ingest", spans[0].trace_id if spans else "")
    assert root.status_code == 2 and not root.parent_span_id  # STATUS_CODE_ERROR


STATS_PROBE = """
import sys
from sports_analytics.config import load_settings
from sports_analytics.ingest.nba.client import NbaStatsClient, fetch_schedule
from sports_analytics.telemetry import command_span
with command_span("sync"), NbaStatsClient(load_settings()) as client:
    print(len(fetch_schedule(client, int(sys.argv[1]))))
"""


def test_nba_stats_calls_are_client_spans_of_the_command(receiver, migrated_db_url):
    from tests.helpers.fake_stats import FakeStats

    fake = FakeStats().start()
    try:
        env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                        NBA_STATS_BASE_URL=fake.base_url, NBA_STATS_REQUEST_DELAY_SECONDS="0")
        out = subprocess.run([sys.executable, "-c", STATS_PROBE, str(fake.season)],
                             capture_output=True, text=True, env=env, timeout=60)
    finally:
        fake.stop()
    assert out.returncode == 0 and int(out.stdout.split()[-1]) > 0, out.stderr
    spans = receiver.wait_for(lambda s: any(x.name == "sports-analytics sync" for x in s))
    root = _one(spans, "sports-analytics sync", spans[0].trace_id if spans else "")
    calls = [s for s in spans if s.scope == "opentelemetry.instrumentation.requests"]
    assert calls and all(s.parent_span_id == root.span_id for s in calls), spans
    assert calls[0].kind == "SPAN_KIND_CLIENT" and "scheduleleaguev2" in repr(calls[0].attributes)


def test_shutdown_flushes_queued_spans(serve_factory, receiver, migrated_db_url):
    # A schedule delay far beyond the test: spans can only leave through the shutdown flush.
    env = _base_env(migrated_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_BSP_SCHEDULE_DELAY="600000")
    served = serve_factory(env)
    for n in range(6):
        trace_id = f"{n + 1:032x}"
        assert httpx.get(served.base_url + "/version",
                         headers=_traceparent(trace_id=trace_id)).status_code == 200
    time.sleep(0.5)
    assert receiver.requests == 0
    assert served.terminate() == 0
    spans = receiver.wait_for(lambda s: len(s) >= 6, timeout=5)
    assert {s.trace_id for s in spans} >= {f"{n + 1:032x}" for n in range(6)}


def test_shutdown_is_bounded_when_the_collector_hangs(serve_factory, migrated_db_url):
    """A collector that accepts connections and never answers must not stall a shutdown."""
    hole = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        with contextlib.suppress(OSError):  # the listening socket closed: the test is over
            while True:
                held.append(hole.accept()[0])

    threading.Thread(target=hold, daemon=True).start()
    try:
        env = _base_env(migrated_db_url,
                        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{hole.getsockname()[1]}",
                        OTEL_EXPORTER_OTLP_TIMEOUT="60", OTEL_BSP_SCHEDULE_DELAY="600000")
        served = serve_factory(env)
        assert httpx.get(served.base_url + "/version", headers=_traceparent()).status_code == 200
        started = time.monotonic()
        assert served.terminate() == 0
        # GRACEFUL_TIMEOUT is 10 s; each worker gives its flush a third of it.
        assert time.monotonic() - started < 8, served.log_text()
        assert any(line.get("event") == "trace export did not finish before shutdown"
                   for line in served.log_lines())
    finally:
        hole.close()
        for conn in held:
            conn.close()


def _server_spans(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.kind == "SPAN_KIND_SERVER"]


def test_ratio_zero_traces_only_what_a_sampled_caller_asks_for(serve_factory, receiver,
                                                               shared_seeded_db_url):
    env = _base_env(shared_seeded_db_url, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_TRACES_SAMPLER_ARG="0")
    served = serve_factory(env)
    unsampled = {"traceparent": f"00-{'5' * 32}-{PARENT_ID}-00"}
    for n in range(10):
        assert httpx.get(f"{served.base_url}/api/v1/games/{n + 1}").status_code == 200
        assert httpx.get(f"{served.base_url}/api/v1/games/{n + 1}",
                         headers=unsampled).status_code == 200
    assert httpx.get(f"{served.base_url}/api/v1/games/{GAME_ID}",
                     headers=_traceparent()).status_code == 200
    assert served.terminate() == 0
    spans = receiver.wait_for(lambda s: any(x.trace_id == TRACE_ID for x in s))
    time.sleep(0.3)  # anything else the workers flushed on the way out has arrived too
    spans = receiver.snapshot()
    # The sampled caller's request is traced in full (server span and its statements) ...
    box = _one(spans, "GET /api/v1/games/{game_id}", TRACE_ID)
    assert box.parent_span_id == PARENT_ID
    assert [s for s in _children(spans, box) if s.attributes.get("db.system") == "postgresql"]
    # ... and nothing else: no root traces at ratio 0, no trace the caller chose not to sample.
    assert {s.trace_id for s in spans} == {TRACE_ID}, {(s.name, s.trace_id) for s in spans}
    started = [line for line in served.log_lines() if line.get("event") == "tracing enabled"]
    assert started and all("TraceIdRatioBased{0.0}" in line["sampler"] for line in started)


def test_default_sampling_keeps_about_a_tenth_of_new_traces(serve_factory, receiver,
                                                            migrated_db_url):
    served = serve_factory(_base_env(migrated_db_url,
                                     OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint))
    with httpx.Client(base_url=served.base_url) as client:
        for _ in range(400):
            assert client.get("/version").status_code == 200
    assert served.terminate() == 0
    time.sleep(0.5)
    traced = _server_spans(receiver.snapshot())
    # Binomial(400, 0.1): mean 40, standard deviation 6; 1.0 or 0 would be far outside.
    assert 15 <= len(traced) <= 75, len(traced)
    assert all(not s.parent_span_id and s.name == "GET /version" for s in traced)
    started = [line for line in served.log_lines() if line.get("event") == "tracing enabled"]
    assert started and {line["sampler"].split(",")[0] for line in started} == {
        "ParentBased{root:TraceIdRatioBased{0.1}"}


def test_a_collector_that_never_answers_does_not_slow_requests(serve_factory, migrated_db_url):
    """Spans leave from the batch processor's thread: a stuck export never blocks a request.

    Every request is sampled and the batch is one span, so the exporter thread is stuck in its
    first POST (timeout 60 s) from the first request on; an exporter on the request path would
    hold that request for the whole timeout.
    """
    hole = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def hold() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(hole.accept()[0])

    threading.Thread(target=hold, daemon=True).start()
    try:
        env = _base_env(migrated_db_url,
                        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{hole.getsockname()[1]}",
                        OTEL_EXPORTER_OTLP_TIMEOUT="60", OTEL_TRACES_SAMPLER_ARG="1",
                        OTEL_BSP_SCHEDULE_DELAY="10", OTEL_BSP_MAX_EXPORT_BATCH_SIZE="1")
        served = serve_factory(env)
        slowest = 0.0
        with httpx.Client(base_url=served.base_url, timeout=30) as client:
            for _ in range(40):
                started = time.monotonic()
                assert client.get("/version").status_code == 200
                slowest = max(slowest, time.monotonic() - started)
        deadline = time.monotonic() + 5
        while not held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held, "the exporter never connected to the collector"
        assert slowest < 2.0, slowest
        served.kill()
    finally:
        hole.close()
        for conn in held:
            conn.close()


@pytest.mark.parametrize(("env", "default", "expected"), [
    ({}, 0.1, "ParentBased{root:TraceIdRatioBased{0.1}"),
    ({}, 1.0, "ParentBased{root:TraceIdRatioBased{1.0}"),
    ({"OTEL_TRACES_SAMPLER_ARG": "0.25"}, 0.1, "ParentBased{root:TraceIdRatioBased{0.25}"),
    ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, 0.1,
     "ParentBased{root:TraceIdRatioBased{0.0}"),
    ({"OTEL_TRACES_SAMPLER_ARG": "1.5"}, 0.1, "ParentBased{root:TraceIdRatioBased{0.1}"),
    ({"OTEL_TRACES_SAMPLER_ARG": "a tenth"}, 0.1, "ParentBased{root:TraceIdRatioBased{0.1}"),
    ({"OTEL_TRACES_SAMPLER": "always_off"}, 0.1, None),
], ids=["default", "command-default", "ratio", "ratio-zero", "above-one", "not-a-number",
        "other-sampler"])
def test_sampler_from_the_environment(env, default, expected):
    from sports_analytics.telemetry import make_sampler

    sampler = make_sampler(default, env)
    if expected is None:
        assert sampler is None  # the SDK builds the named sampler itself
    else:
        assert sampler.get_description().split(",")[0] == expected
