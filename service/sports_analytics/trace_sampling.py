"""Head sampling of requests, decided once before FastAPI's tracing integration runs.

FastAPI's integration (``FastAPI(telemetry=...)``) starts a span for every request and lets the
SDK's sampler decide inside ``start_span``: a request that is not sampled still pays for the
header extraction, the attribute dict, a non-recording span and its context switches. Here the
same sampler decides first, from the ``exclude`` hook the integration calls before anything
else (:class:`HeadSampling`); a request it drops, or whose path is excluded, skips the
integration entirely: no span, no context of its own, and the client instrumentations are
suppressed inside it (``telemetry.UnsampledRequests``).

The decision is the SDK's own: the provider's sampler is asked with the parent extracted by the
global propagators (W3C ``traceparent`` by default) exactly as the integration would extract it.
A sampled parent is followed, an unsampled one is not, and a request without a parent is
decided on a fresh trace id. For that last case the span the integration then starts must
carry the very id the decision was made on (a ratio sampler decides on the trace id; a second
id would be a second draw, and a tenth of a tenth would be kept): :class:`PresetTraceIds`, the
provider's id generator, hands that id to the next new trace in the same context.

This module is imported only when tracing is on (``telemetry.setup``/``fastapi_config``).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

# The trace id a kept request's server span starts with; 0: none waiting.
_preset_trace_id: ContextVar[int] = ContextVar("sports_analytics_preset_trace_id", default=0)
# What the integration extracts from a request without propagation headers: no parent, whatever
# context the server runs the request in.
_NO_PARENT = Context()


class PresetTraceIds(RandomIdGenerator):
    """Random ids, except that a new trace takes the id head sampling kept it on, once."""

    def generate_trace_id(self) -> int:
        preset = _preset_trace_id.get()
        if preset:
            _preset_trace_id.set(0)
            return preset
        return super().generate_trace_id()

    def random_trace_id(self) -> int:
        return super().generate_trace_id()


class _Active:
    """The sampler and id generator of this process's tracer provider, once tracing is set up."""

    sampler: Any = None
    ids: PresetTraceIds | None = None


_active = _Active()


def activate(provider: Any) -> None:
    """Decide with ``provider``'s sampler from now on (it must be the global provider and use
    :class:`PresetTraceIds`, or requests are left to the integration as they are)."""
    ids, sampler = getattr(provider, "id_generator", None), getattr(provider, "sampler", None)
    if trace.get_tracer_provider() is provider and isinstance(ids, PresetTraceIds):
        _active.sampler, _active.ids = sampler, ids


def deactivate() -> None:
    _active.sampler = _active.ids = None


class HeadSampling:
    """The integration's ``exclude`` hook: True skips FastAPI's tracing for the request.

    ``excluded_path`` is the path exclusion (the probes and ``/metrics`` by default), or None.
    Until :func:`activate` has run (tracing not set up in this process) only that applies.
    """

    def __init__(self, excluded_path: Callable[[str], bool] | None) -> None:
        self.excluded_path = excluded_path
        self.fields = frozenset(f.encode("latin-1") for f in propagate.get_global_textmap().fields)

    def __call__(self, scope: MutableMapping[str, Any]) -> bool:
        if self.excluded_path is not None and self.excluded_path(scope.get("path", "")):
            return True
        sampler, ids = _active.sampler, _active.ids
        if sampler is None or ids is None or scope["type"] != "http":
            return False
        parent = _NO_PARENT
        for name, _ in scope["headers"]:
            if name in self.fields:
                parent = propagate.extract(_carrier(scope["headers"]))
                break
        context = trace.get_current_span(parent).get_span_context()
        new_trace = not context.is_valid
        trace_id = ids.random_trace_id() if new_trace else context.trace_id
        decision = sampler.should_sample(parent, trace_id, scope.get("method", "HTTP"),
                                         trace.SpanKind.SERVER).decision
        if not decision.is_recording():
            return True
        if new_trace:
            _preset_trace_id.set(trace_id)
        return False


def _carrier(headers: list[tuple[bytes, bytes]]) -> dict[str, list[str]]:
    """ASGI headers as the propagators' default getter reads them: every value of a name."""
    carrier: dict[str, list[str]] = {}
    for name, value in headers:
        carrier.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    return carrier


class UnsampledRequests:
    """Pure ASGI middleware: a request that records no span (dropped by head sampling, an
    excluded path) runs with the client instrumentations suppressed.

    Its statements and outgoing calls would only make non-recording spans (or, without a span
    of the request's own, root traces of their own), yet the psycopg, httpx and requests
    wrappers would still parse each statement, consult the sampler and switch contexts first.
    With the suppression flag set they return at the first check. The price: an unsampled
    request does not pass its "not sampled" decision on to the APIs it calls (Gemini, the NBA
    stats API), which are outside these traces anyway.
    """

    def __init__(self, app: Any) -> None:
        from opentelemetry.instrumentation.utils import suppress_instrumentation

        self.app = app
        self._suppressed = suppress_instrumentation

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan" or trace.get_current_span().is_recording():
            await self.app(scope, receive, send)
            return
        with self._suppressed():
            await self.app(scope, receive, send)
