"""The Gemini writer: google-genai client, bounded retries, a circuit breaker, metrics.

One :class:`GeminiBriefer` per app (cached on ``app.state``), holding one long-lived
``genai.Client``: a temporary client is closed under the request's feet.

Failure policy, all of it ending in ``BriefAttempt(brief=None, reason=...)`` so the caller
answers with the rule-based brief:

* no key configured -> ``no_api_key`` (no request is made);
* circuit open -> ``breaker_open`` (no request is made);
* too many briefs in flight in this process -> ``busy`` (protects the thread pool);
* HTTP 429 or 5xx -> retried at most ``GEMINI_MAX_RETRIES`` times with exponential backoff
  and jitter, then ``rate_limited`` / ``server_error``;
* other 4xx -> ``client_error`` (not retried: a bad key or request stays bad);
* timeout (``GEMINI_TIMEOUT_SECONDS`` per attempt) -> ``timeout``, not retried, so the
  worst case stays about one timeout plus two short failures;
* a body that is not JSON, a text that is not JSON, or JSON that does not match the brief
  schema -> ``invalid_json`` / ``schema_mismatch``.

Every generation that ends in a failure counts once toward the breaker; after
``GEMINI_BREAKER_FAILURES`` in a row Gemini is skipped for ``GEMINI_BREAKER_COOLDOWN_SECONDS``,
then one trial request (half-open) decides between closing and another cool-down.

The API key is read from the SecretStr only to build the client and is never formatted
into a log line, an error message or a metric label.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import structlog
from pydantic import ValidationError

from sports_analytics import metrics
from sports_analytics.config import Settings
from sports_analytics.insights.schemas import RESPONSE_JSON_SCHEMA, BriefContent

log = structlog.get_logger(__name__)

SYSTEM_INSTRUCTION = """\
You are a basketball analyst writing a short brief about one game for other analysts.
Use ONLY the facts in the JSON the user sends: teams, records before tip-off, pre-game
features (rolling form, ratings, rest, streaks, head-to-head), model predictions and, for a
final game, the box score and top scorers. Never invent players, injuries, quotes, trades or
numbers that are not in the facts. Percentages in the facts are fractions (0.62 = 62%).
Return JSON with: headline (one line), key_factors (3 to 5 short factors, each citing a
number from the facts), prediction_take (one or two sentences on the elo_v1 win
probability, versus the home_always baseline, and whether it was right if the game is
final), confidence (low, medium or high: how much the facts support the take)."""

MAX_IN_FLIGHT = 8


@dataclass
class BriefAttempt:
    brief: BriefContent | None
    reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    attempts: int = 0


class CircuitBreaker:
    """Consecutive-failure breaker: closed -> open (cool-down) -> half-open (one trial)."""

    def __init__(self, failures: int, cooldown_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.cooldown = cooldown_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self.clock() - self._opened_at >= self.cooldown:
                return "half_open"
            return "open"

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if self.clock() - self._opened_at < self.cooldown or self._trial_in_flight:
                return False
            self._trial_in_flight = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_in_flight = False
            if self._opened_at is not None or self._failures >= self.threshold:
                self._opened_at = self.clock()


# google-genai 3.x sends its requests with httpx2 (its runtime dependency; the image carries no
# plain httpx), and a timeout surfaces as httpx2's TimeoutException, not as a genai APIError: it
# is caught here so that a timeout is counted as one (and never retried) rather than reported as
# an internal error.
TIMEOUT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, httpx2.TimeoutException)


class GeminiBriefer:
    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 backoff_base_seconds: float = 0.5) -> None:
        self.model = settings.gemini_model
        self.max_retries = settings.gemini_max_retries
        self.timeout_seconds = settings.gemini_timeout_seconds
        self.breaker = CircuitBreaker(settings.gemini_breaker_failures,
                                      settings.gemini_breaker_cooldown_seconds)
        self.backoff_base_seconds = backoff_base_seconds
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._client: Any = None
        self._disabled_reason = "no_api_key"
        key = settings.gemini_api_key.get_secret_value().strip() if settings.gemini_api_key else ""
        if key:
            try:
                self._client = self._make_client(key, settings)
            except Exception as exc:  # e.g. a malformed GEMINI_BASE_URL: fall back, don't crash
                self._disabled_reason = f"client_init_failed ({type(exc).__name__})"

    @staticmethod
    def _make_client(key: str, settings: Settings) -> Any:
        from google import genai
        from google.genai import types

        options = types.HttpOptions(
            timeout=max(1, int(settings.gemini_timeout_seconds * 1000)),  # milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),  # retries are ours, counted
        )
        if settings.gemini_base_url:
            options.base_url = settings.gemini_base_url
        return genai.Client(api_key=key, http_options=options)

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # shutting down; nothing to do about it
                self._client.close()

    def _backoff(self, attempt: int) -> float:
        return self.backoff_base_seconds * (2 ** attempt) * (0.5 + random.random() / 2)

    def generate(self, facts: dict[str, Any]) -> BriefAttempt:
        if self._client is None:
            return BriefAttempt(None, self._disabled_reason)
        if not self._slots.acquire(blocking=False):
            metrics.gemini_requests_total.labels(outcome="busy").inc()
            return BriefAttempt(None, "busy")
        try:
            if not self.breaker.allow():
                metrics.gemini_requests_total.labels(outcome="breaker_open").inc()
                return BriefAttempt(None, "breaker_open")
            started = time.perf_counter()
            try:
                result = self._generate_with_retries(facts)
            finally:
                metrics.gemini_request_duration_seconds.observe(time.perf_counter() - started)
            if result.brief is None:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            return result
        finally:
            self._slots.release()

    def _generate_with_retries(self, facts: dict[str, Any]) -> BriefAttempt:
        from google.genai import errors, types

        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_json_schema=RESPONSE_JSON_SCHEMA,
            temperature=0.2,
            max_output_tokens=1024,
        )
        contents = "Game facts (JSON):\n" + json.dumps(facts, sort_keys=True, default=str)
        attempts = 1 + self.max_retries
        reason = "error"
        for attempt in range(attempts):
            try:
                response = self._client.models.generate_content(
                    model=self.model, contents=contents, config=config)
            except errors.APIError as exc:
                code = int(getattr(exc, "code", 0) or 0)
                outcome = ("rate_limited" if code == 429 else
                           "server_error" if code >= 500 else "client_error")
                metrics.gemini_requests_total.labels(outcome=outcome).inc()
                reason = f"{outcome} (HTTP {code})"
                if outcome != "client_error" and attempt + 1 < attempts:
                    delay = self._backoff(attempt)
                    log.info("gemini request failed, retrying", reason=reason,
                             attempt=attempt + 1, retry_in_s=round(delay, 2))
                    self._sleep(delay)
                    continue
                return BriefAttempt(None, reason, attempts=attempt + 1)
            except TIMEOUT_ERRORS:
                metrics.gemini_requests_total.labels(outcome="timeout").inc()
                return BriefAttempt(None, f"timeout (> {self.timeout_seconds:g}s)",
                                    attempts=attempt + 1)
            except json.JSONDecodeError:
                metrics.gemini_requests_total.labels(outcome="invalid_json").inc()
                return BriefAttempt(None, "invalid_json (response body)", attempts=attempt + 1)
            except Exception as exc:  # transport errors: refused, reset, DNS, TLS, ...
                metrics.gemini_requests_total.labels(outcome="transport_error").inc()
                return BriefAttempt(None, f"transport_error ({type(exc).__name__})",
                                    attempts=attempt + 1)
            return self._parse(response, attempt + 1)
        return BriefAttempt(None, reason, attempts=attempts)

    def _parse(self, response: Any, attempts: int) -> BriefAttempt:
        usage = getattr(response, "usage_metadata", None)
        prompt = getattr(usage, "prompt_token_count", None) if usage else None
        output = getattr(usage, "candidates_token_count", None) if usage else None
        total = getattr(usage, "total_token_count", None) if usage else None
        for kind, value in (("prompt", prompt), ("candidates", output), ("total", total)):
            if value:
                metrics.gemini_tokens_total.labels(kind=kind).inc(value)
        try:
            text = response.text
        except Exception:
            text = None
        if not text:
            metrics.gemini_requests_total.labels(outcome="invalid_json").inc()
            return BriefAttempt(None, "invalid_json (empty response)", prompt, output, attempts)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            metrics.gemini_requests_total.labels(outcome="invalid_json").inc()
            return BriefAttempt(None, "invalid_json (response text)", prompt, output, attempts)
        try:
            brief = BriefContent.model_validate(data)
        except ValidationError as exc:
            metrics.gemini_requests_total.labels(outcome="schema_mismatch").inc()
            fields = sorted({".".join(str(p) for p in e["loc"]) or "root"
                             for e in exc.errors(include_input=False, include_url=False)})
            return BriefAttempt(None, f"schema_mismatch ({', '.join(fields)[:200]})",
                                prompt, output, attempts)
        metrics.gemini_requests_total.labels(outcome="ok").inc()
        return BriefAttempt(brief, None, prompt, output, attempts)
