"""HTTP caching for data that changes only when data is written.

Every write path (seed, ingest, features, predictions) bumps the data version inside its
transaction and once more after commit (db/writes.py). ETags embed that version, so a write
invalidates them all. Routes read it as ``max(version) FROM data_versions`` in the same
statement as the body: on a read replica that lags, body and version come from the same
snapshot, so a client never gets a 304 for data it has not seen, nor an old body under a newer
ETag.

Answering ``If-None-Match`` must not cost a database round trip, so each worker keeps:

* the current data version, as carried by the last query result, trusted for at most
  ``VERSION_TTL_SECONDS``; a conditional request arriving within that
  window after a write may still get a 304 for the previous version, never longer;
* the set of box-score ids it has served at that version, so a 304 is only ever given for a
  representation this process has actually produced.

The second bump after commit closes a race: a reader that saw the pre-commit version together
with the old rows would otherwise hand out an ETag that matches the new data.
"""

from __future__ import annotations

import time

VERSION_TTL_SECONDS = 1.0
FINAL_GAME_CACHE_CONTROL = "public, max-age=3600"
REVALIDATE_CACHE_CONTROL = "public, no-cache"


class DataVersionTracker:
    """Per worker: the last data version seen, and what was served at it."""

    def __init__(self, ttl: float = VERSION_TTL_SECONDS) -> None:
        self.ttl = ttl
        self.value: int | None = None
        self._fetched_at = 0.0
        # Resources this worker has served at ``value``, with their Cache-Control.
        self.known: dict[str, str] = {}

    def observe(self, version: int) -> None:
        """Record a version read from the database (a query result carries it for free)."""
        if version != self.value:
            self.value = version
            self.known = {}
        self._fetched_at = time.monotonic()

    def remember(self, key: str, cache_control: str) -> None:
        self.known[key] = cache_control

    def known_headers(self, key: str, etag: str) -> dict[str, str]:
        return {"ETag": etag, "Cache-Control": self.known[key]}

    def fresh(self) -> int | None:
        if self.value is not None and time.monotonic() - self._fetched_at < self.ttl:
            return self.value
        return None


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match requires; ``*`` matches any current entity."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False
