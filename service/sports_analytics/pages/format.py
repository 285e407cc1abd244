"""How numbers, dates and times read on the pages (Jinja2 filters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
DASH = "\u2013"  # shown where a value does not exist (yet)


def pct(value: float | None, digits: int = 0) -> str:
    return DASH if value is None else f"{100 * value:.{digits}f}%"


def odds(value: float | None, digits: int = 0, *, certain: bool = False) -> str:
    """A simulated probability. Only a ``certain`` one (a clinched or eliminated team) reads
    100 % or 0 %: a share of simulations that rounds to an end shows as ">99%" or "<1%", since
    a few thousand simulated seasons cannot show that something is sure to happen or not."""
    if value is None:
        return DASH
    shown = round(100 * value, digits)
    if not certain and (shown >= 100 or shown <= 0):
        edge = 10.0 ** -digits
        return f">{100 - edge:.{digits}f}%" if value >= 0.5 else f"<{edge:.{digits}f}%"
    return f"{shown:.{digits}f}%"


def num(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:+.{digits}f}"


def win_pct(value: float | None) -> str:
    """.625, as standings print it."""
    return DASH if value is None else f"{value:.3f}".removeprefix("0")


def season_label(season: int | None) -> str:
    return DASH if season is None else f"{season}-{(season + 1) % 100:02d}"


def as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def tipoff_et(value: Any) -> str:
    """A UTC instant as the league's clock: ``7:30 PM ET``; ``TBD`` when unknown."""
    moment = as_datetime(value)
    if moment is None:
        return "TBD"
    local = moment.astimezone(EASTERN)
    return f"{local:%I:%M %p}".lstrip("0") + " ET"


def long_date(value: Any) -> str:
    day = as_date(value)
    return DASH if day is None else f"{day:%A, %B} {day.day}, {day.year}"


def short_date(value: Any) -> str:
    day = as_date(value)
    return DASH if day is None else f"{day:%b} {day.day}"


def timestamp(value: Any) -> str:
    """A stored UTC instant, in UTC to the minute (servers and readers may be anywhere)."""
    moment = as_datetime(value)
    return DASH if moment is None else f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


FILTERS: dict[str, Callable[..., str]] = {
    "pct": pct, "odds": odds, "num": num, "signed": signed, "win_pct": win_pct,
    "season": season_label,
    "tipoff": tipoff_et, "long_date": long_date, "short_date": short_date,
    "timestamp": timestamp, "duration": duration,
}
