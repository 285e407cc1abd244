"""The NBA stats API through the ``nba_api`` package: base URL, timeout, politeness, retries.

``nba_api`` sends the request headers stats.nba.com expects and parses its documents; this
module adds what it lacks for a nightly job:

* ``NBA_STATS_BASE_URL`` redirects every endpoint (``NBAStatsHTTP.base_url`` is a class
  attribute), for a proxy, a mirror or a local fake;
* retries live in the ``requests`` session nba_api uses (``NBAHTTP.set_session``): a urllib3
  ``Retry`` with exponential backoff and jitter on 429 and 5xx, honouring ``Retry-After``;
* nba_api does not raise on HTTP errors, so the status of each response is taken from a
  session response hook, and anything but 200 after the retries is an :class:`UpstreamError`;
* a delay between calls (``NBA_STATS_REQUEST_DELAY_SECONDS``) and one log line per call.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import structlog
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from sports_analytics.config import Settings
from sports_analytics.exceptions import UpstreamError

log = structlog.get_logger(__name__)

DEFAULT_HOST = "stats.nba.com"
RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_FACTOR = 0.5  # 0.5 s, 1 s, 2 s, ... between retries
BACKOFF_JITTER = 0.25
BACKOFF_MAX = 30.0


RETRY_AFTER_MAX = 120.0  # a Retry-After of hours would outlast the job's deadline


class _Retry(Retry):
    """urllib3's Retry, with the server's ``Retry-After`` honoured up to RETRY_AFTER_MAX."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, RETRY_AFTER_MAX)


def season_string(season: int) -> str:
    """2025 -> "2025-26", the API's way of naming a season."""
    return f"{season}-{(season + 1) % 100:02d}"


class _StatusRecorder:
    """A ``requests`` response hook: remembers the last status (nba_api keeps it private)."""

    def __init__(self) -> None:
        self.status: int | None = None

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.status = response.status_code


class NbaStatsClient:
    """Use as a context manager: installs the base URL and session, restores them after."""

    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.nba_stats_base_url.rstrip("/")
        self.timeout = settings.nba_stats_timeout_seconds
        self.delay = settings.nba_stats_request_delay_seconds
        self.max_retries = settings.nba_stats_max_retries
        self._status = _StatusRecorder()
        # Of the data received, in call order; not the raw bodies (their "meta" has a time).
        self.fingerprint = hashlib.sha256()
        self._last_call: float | None = None
        self._saved: tuple[str, Any] | None = None

    def _session(self) -> requests.Session:
        retry = _Retry(
            total=self.max_retries, connect=self.max_retries, read=self.max_retries,
            status=self.max_retries, other=0, allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES, backoff_factor=BACKOFF_FACTOR,
            backoff_jitter=BACKOFF_JITTER, backoff_max=BACKOFF_MAX,
            respect_retry_after_header=True, raise_on_status=False,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.hooks["response"].append(self._status)
        return session

    def __enter__(self) -> NbaStatsClient:
        from nba_api.stats.library.http import NBAStatsHTTP

        self._saved = (NBAStatsHTTP.base_url, NBAStatsHTTP._session)
        NBAStatsHTTP.base_url = self.base_url + "/{endpoint}"
        NBAStatsHTTP.set_session(self._session())
        return self

    def __exit__(self, *exc: object) -> None:
        from nba_api.stats.library.http import NBAStatsHTTP

        assert self._saved is not None
        session = NBAStatsHTTP.get_session()
        NBAStatsHTTP.base_url, saved_session = self._saved
        NBAStatsHTTP.set_session(saved_session)
        session.close()

    def digest(self, data: Any) -> None:
        self.fingerprint.update(json.dumps(data, sort_keys=True, default=str).encode())

    def headers(self) -> dict[str, str] | None:
        """nba_api's browser headers; without ``Host: stats.nba.com`` when redirected."""
        from nba_api.stats.library.http import STATS_HEADERS

        if DEFAULT_HOST in self.base_url:
            return None
        return {k: v for k, v in STATS_HEADERS.items() if k.lower() != "host"}

    def _pause(self) -> None:
        if self._last_call is not None and self.delay > 0:
            wait = self.delay - (time.monotonic() - self._last_call)
            if wait > 0:
                time.sleep(wait)

    @contextmanager
    def call(self, endpoint: str) -> Iterator[dict[str, Any]]:
        """Time one endpoint call; the caller sends it and fills ``info["rows"]``.

        Transport errors, HTTP errors after the retries and unparseable bodies become one
        :class:`UpstreamError` naming the endpoint.
        """
        self._pause()
        self._status.status = None
        info: dict[str, Any] = {"rows": 0}
        started = time.monotonic()
        try:
            yield info
        except requests.RequestException as exc:
            raise UpstreamError(endpoint, self._transport_reason(exc)) from None
        except json.JSONDecodeError as exc:
            raise UpstreamError(endpoint, self._bad_body(f"not valid JSON ({exc.msg} at "
                                                         f"char {exc.pos})")) from None
        except (KeyError, IndexError, TypeError) as exc:
            raise UpstreamError(endpoint, self._bad_body(
                f"unexpected document shape ({type(exc).__name__}: {exc})")) from None
        finally:
            self._last_call = time.monotonic()
        self._check_status(endpoint)
        log.info("nba stats call", endpoint=endpoint, rows=info["rows"], status=self._status.status,
                 seconds=round(time.monotonic() - started, 3))

    def _transport_reason(self, exc: requests.RequestException) -> str:
        """A short reason; never the URL (its query) or urllib3's nested repr."""
        cause: BaseException = exc
        if exc.args and isinstance(exc.args[0], MaxRetryError) and exc.args[0].reason:
            cause = exc.args[0].reason
        tries = f"{self.max_retries} retries"
        # urllib3's NewConnectionError (refused, unresolvable) subclasses ConnectTimeoutError,
        # so it is told apart before the timeouts are.
        if isinstance(cause, NewConnectionError):
            return f"connection failed ({tries})"
        if isinstance(cause, (requests.Timeout, TimeoutError, ReadTimeoutError,
                              ConnectTimeoutError)):
            return f"timed out after {self.timeout:g}s ({tries})"
        if isinstance(cause, (requests.ConnectionError, ConnectionError)):
            return f"connection failed ({tries})"
        return f"request failed: {type(cause).__name__} ({tries})"

    def _bad_body(self, what: str) -> str:
        status = self._status.status
        if status is not None and status != 200:
            return f"HTTP {status} after {self.max_retries} retries"
        return what

    def _check_status(self, endpoint: str) -> None:
        status = self._status.status
        if status is not None and status != 200:
            raise UpstreamError(endpoint, f"HTTP {status} after {self.max_retries} retries")


def fetch_game_log(client: NbaStatsClient, season: int, season_type: str,
                   player_or_team: str) -> tuple[list[str], list[list[Any]]]:
    """LeagueGameLog for one season: (headers, rows); "T" team lines, "P" player lines."""
    from nba_api.stats.endpoints import leaguegamelog

    endpoint = f"leaguegamelog[{player_or_team}]"
    with client.call(endpoint) as info:
        ep = leaguegamelog.LeagueGameLog(
            season=season_string(season), player_or_team_abbreviation=player_or_team,
            season_type_all_star=season_type, timeout=client.timeout,
            headers=client.headers(), get_request=False)
        ep.get_request()
        data = ep.league_game_log.get_dict()
        headers, rows = list(data["headers"]), list(data["data"])
        client.digest([headers, rows])
        info["rows"] = len(rows)
    return headers, rows


def fetch_player_index(client: NbaStatsClient, season: int) -> tuple[list[str], list[list[Any]]]:
    """PlayerIndex for one season: every player's position, jersey number and height."""
    from nba_api.stats.endpoints import playerindex

    with client.call("playerindex") as info:
        ep = playerindex.PlayerIndex(season=season_string(season), timeout=client.timeout,
                                     headers=client.headers(), get_request=False)
        ep.get_request()
        data = ep.data_sets[0].get_dict()
        headers, rows = list(data["headers"]), list(data["data"])
        client.digest([headers, rows])
        info["rows"] = len(rows)
    return headers, rows


def fetch_schedule(client: NbaStatsClient, season: int) -> list[dict[str, Any]]:
    """ScheduleLeagueV2 for one season: every game, flattened like nba_api's parser does
    (``homeTeam_teamTricode``, ...), each with the ``gameDate`` of its day.

    The request goes through nba_api (``NBAStatsHTTP``, its headers and parameters); the
    document is flattened here because nba_api's parser rescans every game for each game
    (about 9 s for a 1230-game season on the build machine).
    """
    from nba_api.stats.endpoints import scheduleleaguev2
    from nba_api.stats.library.http import NBAStatsHTTP

    with client.call("scheduleleaguev2") as info:
        ep = scheduleleaguev2.ScheduleLeagueV2(
            season=season_string(season), timeout=client.timeout, headers=client.headers(),
            get_request=False)
        ep.nba_response = NBAStatsHTTP().send_api_request(
            endpoint=ep.endpoint, parameters=ep.parameters, proxy=ep.proxy,
            headers=ep.headers, timeout=ep.timeout)
        games = _flatten_schedule(ep.nba_response.get_dict())
        client.digest(games)
        info["rows"] = len(games)
    return games


def _flatten_schedule(doc: dict[str, Any]) -> list[dict[str, Any]]:
    games = []
    for day in doc["leagueSchedule"]["gameDates"]:
        for game in day["games"]:
            row = {k: v for k, v in game.items() if not isinstance(v, (dict, list))}
            for side in ("homeTeam", "awayTeam"):
                row.update({f"{side}_{k}": v for k, v in game[side].items()})
            row["gameDate"] = day["gameDate"]
            games.append(row)
    return games
