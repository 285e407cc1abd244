"""OpenTelemetry traces: off by default, on when an OTLP endpoint is configured.

Configuration is the standard ``OTEL_*`` environment and nothing else; the SDK reads it:

* ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) turns tracing on;
  without either, or with ``OTEL_SDK_DISABLED=true``, nothing is set up: no provider, no
  exporter thread, no instrumentation.
* ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` -> :meth:`Resource.create` (the service
  name defaults to ``sports-analytics``; ``process.pid`` tells the gunicorn workers apart).
* sampling is head-based and follows the caller: ``parentbased_traceidratio``. A request that
  carries a sampled ``traceparent`` is traced, one that carries an unsampled one is not, and a
  trace that starts here is kept with probability ``OTEL_TRACES_SAMPLER_ARG``, by default
  :data:`REQUEST_SAMPLE_RATIO` (0.1) in the server and :data:`COMMAND_SAMPLE_RATIO` (1.0) for a
  batch command (one trace per run, rare and worth keeping). Any other ``OTEL_TRACES_SAMPLER``
  (``parentbased_always_on``, ``always_off``, ...) is built by the SDK with its standard meaning.
  The decision is made once per request, before FastAPI's integration runs
  (:mod:`sports_analytics.trace_sampling`): a request that is not sampled gets no span at all,
  not even a non-recording one (measured in docs/benchmarks.md, "Tracing").
* Spans leave over OTLP HTTP/protobuf (``OTLPSpanExporter()`` reads its endpoint, headers,
  timeout and compression from the environment) through a ``BatchSpanProcessor``.

Process model: :func:`setup` runs in each gunicorn worker after the fork (``post_fork`` in
gunicorn_conf.py) and again, as a no-op, in the app's lifespan; never in the master, which
only imports this module. :func:`shutdown` flushes within a bound that fits inside the
graceful timeout (lifespan shutdown and ``worker_exit``).

What is traced:

* one server span per sampled request from FastAPI's own OpenTelemetry integration
  (``FastAPI(telemetry=...)``, :func:`fastapi_config`), named ``METHOD /route/{template}`` once
  the router has matched (it reuses the router's match rather than matching every route a
  second time, as the contrib ASGI instrumentation did); a path that matches no route gets the
  bare method as its name and an unknown verb ``HTTP``, so names stay bounded. W3C
  ``traceparent``/``tracestate`` are extracted from the request (the default propagators).
  FastAPI's per-operation spans, metrics and log records stay off: one span per request, and
  Prometheus and structlog already cover the rest. The probes and ``/metrics`` are not traced
  unless ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`` (or ``OTEL_PYTHON_EXCLUDED_URLS``) says
  otherwise: comma-separated regexes searched in the request path; an empty value traces them
  too;
* every psycopg statement: ``PsycopgInstrumentor`` wraps ``psycopg.connect`` (used by the
  SQLAlchemy engine) and ``psycopg.AsyncConnection.connect`` (used by the read pool of the data
  routes). ``db.statement`` is the SQL text with its ``%(name)s`` placeholders; parameter
  values are never captured (``capture_parameters`` stays off);
* outgoing HTTP: google-genai 3.x sends through **httpx2** (``_DEFAULT_HTTP_CLIENT_BACKEND``
  in ``google/genai/_api_client.py``), not httpx, so ``HTTPX2ClientInstrumentor`` is the one
  that sees Gemini calls; ``HTTPXClientInstrumentor`` covers ``GOOGLE_GENAI_HTTP_CLIENT=httpx``.
  Neither records headers (the ``x-goog-api-key``) or bodies (the prompt). The NBA stats client
  (nba_api) uses requests, covered by ``RequestsInstrumentor``;
* batch commands: :func:`command_span` gives each CLI command one root span.

Inside a request that records nothing (not sampled, or an untraced path) the client
instrumentations are suppressed (``trace_sampling.UnsampledRequests``): its statements make no
spans, not even root spans of their own, and cost one context lookup each.

Logs join traces through :func:`add_trace_ids`, a structlog processor that adds ``trace_id``
and ``span_id`` to every line written while a sampled span is current.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from opentelemetry import trace

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

log = structlog.get_logger(__name__)

DEFAULT_SERVICE_NAME = "sports-analytics"
ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Commands that do not get a root span: ``serve`` becomes the gunicorn master (os.execv).
UNTRACED_COMMANDS = frozenset({"serve"})
FLUSH_TIMEOUT_S = 5.0
# Share of the traces starting in the server that are kept: every request costs the same, so a
# tenth keeps the overhead low (docs/benchmarks.md) and still shows every route within minutes.
REQUEST_SAMPLE_RATIO = 0.1
# A batch command is one trace per run: rare, long, and the one record of what the run did.
COMMAND_SAMPLE_RATIO = 1.0
RATIO_SAMPLER = "parentbased_traceidratio"
# Kubelet probes and Prometheus scrapes: frequent, uniform, not worth a trace each.
DEFAULT_EXCLUDED_URLS = "/healthz$,/readyz$,/metrics$"
EXCLUDED_URLS_VARS = ("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", "OTEL_PYTHON_EXCLUDED_URLS")

_provider: Any = None  # the SDK TracerProvider once set up in this process, else None
_provider_pid = 0
_lock = threading.Lock()


def enabled(environ: MutableMapping[str, str] | None = None) -> bool:
    """True when an OTLP endpoint is set and the SDK is not disabled."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(env.get(name, "").strip() for name in ENDPOINT_VARS)


def active() -> bool:
    """True when this process has a tracer provider exporting spans."""
    return _provider is not None and _provider_pid == os.getpid()


def setup(default_ratio: float = REQUEST_SAMPLE_RATIO) -> Any:
    """Start tracing in this process if it is enabled; idempotent. Returns the provider or None.

    ``default_ratio`` is the share of new traces kept when ``OTEL_TRACES_SAMPLER_ARG`` is unset.
    """
    global _provider, _provider_pid
    if not enabled():
        return None
    with _lock:
        if active():
            return _provider
        provider = _make_provider(default_ratio)
        trace.set_tracer_provider(provider)
        _instrument_libraries(provider)
        _activate_head_sampling(provider)
        _provider, _provider_pid = provider, os.getpid()
    atexit.register(shutdown)
    log.info("tracing enabled", exporter="otlp/http+protobuf",
             service_name=provider.resource.attributes.get("service.name"),
             sampler=provider.sampler.get_description())
    return provider


def sample_ratio(default: float, environ: MutableMapping[str, str] | None = None) -> float:
    """``OTEL_TRACES_SAMPLER_ARG`` when it is a number from 0 to 1, else ``default``.

    A value outside that range is logged and ignored (as the SDK does) rather than failing the
    worker: tracing must never keep the service from starting.
    """
    env = os.environ if environ is None else environ
    raw = env.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if not raw:
        return default
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        log.warning("OTEL_TRACES_SAMPLER_ARG is not a ratio from 0 to 1; using the default",
                    value=raw[:32], ratio=default)
        return default
    return ratio


def make_sampler(default_ratio: float, environ: MutableMapping[str, str] | None = None) -> Any:
    """Parent-based ratio sampling unless ``OTEL_TRACES_SAMPLER`` names another sampler (None:
    the SDK builds that one from the environment)."""
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    env = os.environ if environ is None else environ
    name = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if name not in ("", RATIO_SAMPLER):
        return None
    return ParentBased(TraceIdRatioBased(sample_ratio(default_ratio, env)))


def _make_provider(default_ratio: float) -> Any:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from sports_analytics.trace_sampling import PresetTraceIds

    resource = Resource.create({"process.pid": os.getpid()})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    # sampler=None: the SDK reads OTEL_TRACES_SAMPLER(_ARG) itself.
    provider = TracerProvider(resource=resource, sampler=make_sampler(default_ratio),
                              id_generator=PresetTraceIds(), shutdown_on_exit=False)
    # Batch, never Simple: the exporter posts from the processor's own thread, off the request.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _activate_head_sampling(provider: Any) -> None:
    """Requests are sampled by ``provider``'s sampler before FastAPI's integration; None: no
    longer (the provider is shutting down)."""
    from sports_analytics import trace_sampling

    if provider is None:
        trace_sampling.deactivate()
    else:
        trace_sampling.activate(provider)


def _instrument_libraries(provider: Any) -> None:
    from opentelemetry.instrumentation.httpx import (
        HTTPX2ClientInstrumentor,
        HTTPXClientInstrumentor,
    )
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor in (PsycopgInstrumentor(), HTTPX2ClientInstrumentor(),
                         HTTPXClientInstrumentor(), RequestsInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


def fastapi_config() -> TelemetryConfig:
    """``FastAPI(telemetry=...)``: a server span per request when tracing is on, nothing when off.

    With tracing off everything is switched off explicitly, so FastAPI does not look for global
    providers on every request (and does not trace because some other code set one). With it
    on, the ``exclude`` hook makes the sampling decision before the integration does any work
    (:class:`~sports_analytics.trace_sampling.HeadSampling`).
    """
    if not enabled():
        return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                "auto_configure": False}
    from sports_analytics.trace_sampling import HeadSampling

    return {"tracing": True, "metrics": False, "logs": False, "operation_spans": False,
            "auto_configure": False, "exclude": HeadSampling(_path_exclusion())}


def instrument_app(app: Any) -> None:
    """When tracing is on: no client spans inside a request that is not traced."""
    if enabled():
        from sports_analytics.trace_sampling import UnsampledRequests

        app.add_middleware(UnsampledRequests)


def _path_exclusion() -> Callable[[str], bool] | None:
    """True for a request path that is not traced; None when nothing is excluded."""
    from opentelemetry.util.http import parse_excluded_urls

    raw = next((os.environ[v] for v in EXCLUDED_URLS_VARS if v in os.environ),
               DEFAULT_EXCLUDED_URLS)
    if not raw.strip():
        return None
    return parse_excluded_urls(raw).url_disabled


def shutdown(timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
    """Flush and stop the exporter, waiting at most ``timeout_s``. True when it finished in time.

    ``TracerProvider.shutdown`` exports what is queued, but its own waits (exporter retries,
    thread join) can outlast a graceful timeout, so it runs in a daemon thread that is given up
    on after the bound; spans still unsent then are lost rather than the shutdown stalled.
    """
    global _provider
    with _lock:
        if not active():
            return True
        provider, _provider = _provider, None
        _activate_head_sampling(None)
    worker = threading.Thread(target=provider.shutdown, name="otel-shutdown", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout_s))
    if worker.is_alive():
        log.warning("trace export did not finish before shutdown", timeout_s=timeout_s)
        return False
    return True


def flush_timeout(graceful_timeout_s: float) -> float:
    """The share of the graceful timeout the exporter gets to flush on the way out."""
    return max(0.5, min(FLUSH_TIMEOUT_S, graceful_timeout_s / 3))


@contextmanager
def command_span(command: str) -> Iterator[None]:
    """One root span around a CLI command when tracing is enabled; a no-op otherwise."""
    if command in UNTRACED_COMMANDS or setup(COMMAND_SAMPLE_RATIO) is None:
        yield
        return
    tracer = trace.get_tracer("sports_analytics.cli")
    try:
        with tracer.start_as_current_span(
            f"sports-analytics {command}", context=trace.set_span_in_context(trace.INVALID_SPAN),
            kind=trace.SpanKind.INTERNAL, attributes={"sports_analytics.command": command},
        ):
            yield
    finally:
        shutdown()


def add_trace_ids(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
                  ) -> MutableMapping[str, Any]:
    """structlog processor: ``trace_id``/``span_id`` (hex) of the current span, if it is sampled
    (the request's access line comes after its span has ended, so "sampled", not "recording")."""
    if _provider is None:
        return event_dict
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid and ctx.trace_flags.sampled:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict
