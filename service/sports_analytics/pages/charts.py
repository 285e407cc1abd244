"""Chart geometry for server-rendered SVG: the templates draw, this module measures.

Charts are plain SVG written by the server: no chart library, no script, nothing to download,
and each chart's numbers are also on the page as a table. Positions use SVG attributes
(``x``, ``points``), never ``style``, which the Content-Security-Policy does not allow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 60, 12, 12, 28  # room for "100%" at 17 px
CAPTION_SPACE = 18  # below the x ticks, for the line that says what the axis spans
X_TICKS = 6


@dataclass
class Series:
    name: str
    points: str  # the polyline's ``points`` attribute
    last: tuple[float, float] | None = None


@dataclass
class LineChart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y position, label)
    x_ticks: list[tuple[float, str, str]] = field(default_factory=list)  # (x, label, anchor)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # x0, y0, x1, y1
    x_caption: str = ""  # what the x axis spans, written under its ticks


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    # no 2.5: its ticks (0.275) would print rounded in a format with one decimal fewer
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def tick_indexes(n: int, most: int = X_TICKS) -> list[int]:
    """Up to ``most`` evenly spread indexes of ``n`` points, always the first and the last."""
    if n <= 1:
        return list(range(n))
    count = min(n, most)
    return sorted({round(k * (n - 1) / (count - 1)) for k in range(count)})


def line_chart(named_values: Sequence[tuple[str, Sequence[float | None]]],
               x_labels: Sequence[str], y_format: str = "{:.0f}",
               y_min: float | None = None, y_max: float | None = None,
               x_values: Sequence[float] | None = None, x_caption: str = "") -> LineChart | None:
    """Lines over a shared x axis (one value per label; None leaves a gap at that point).

    The points are evenly spaced, or placed by ``x_values`` (for example day numbers, so that
    a break in the calendar shows). The axis runs from the first point to the last.
    """
    values = [v for _, vs in named_values for v in vs if v is not None]
    if not values or len(x_labels) < 2:
        return None
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    x0, y0, x1, y1 = PAD_LEFT, PAD_TOP, WIDTH - PAD_RIGHT, HEIGHT - PAD_BOTTOM
    n = len(x_labels)
    xs = list(x_values) if x_values is not None else list(range(n))
    first, span = xs[0], (xs[-1] - xs[0]) or 1

    def sx(i: int) -> float:
        return round(x0 + (x1 - x0) * (xs[i] - first) / span, 1)

    def sy(v: float) -> float:
        return round(y1 - (y1 - y0) * (v - lo) / (hi - lo), 1)

    series = []
    for name, vs in named_values:
        pts = [(sx(i), sy(v)) for i, v in enumerate(vs) if v is not None]
        series.append(Series(name, " ".join(f"{x},{y}" for x, y in pts), pts[-1] if pts else None))
    y_ticks = []
    tick = lo
    while tick <= hi + 1e-9:
        y_ticks.append((sy(tick), y_format.format(tick)))
        tick += step
    # The end labels stay inside the frame: anchored at their outer edge.
    anchors = {0: "start", n - 1: "end"}
    x_ticks = [(sx(i), x_labels[i], anchors.get(i, "middle")) for i in tick_indexes(n)]
    height = HEIGHT + (CAPTION_SPACE if x_caption else 0)
    return LineChart(WIDTH, height, series, y_ticks, x_ticks, (x0, y0, x1, y1), x_caption)


@dataclass
class Dot:
    x: float
    y: float
    r: float
    label: str


@dataclass
class Reliability:
    width: int
    height: int
    plot: tuple[float, float, float, float]
    dots: list[Dot]
    ticks: list[tuple[float, float, str]]  # (x position, y position, label) for 0, 0.5, 1


def reliability(buckets: Sequence[dict]) -> Reliability | None:
    """Predicted (x) against observed (y) home-win rate per bucket; dot area ~ games."""
    filled = [b for b in buckets if b.get("games") and b.get("mean_predicted") is not None]
    if not filled:
        return None
    size = 240
    x0, y0, x1, y1 = 40.0, 10.0, size - 10.0, size - 30.0
    most = max(b["games"] for b in filled)
    dots = [Dot(round(x0 + (x1 - x0) * b["mean_predicted"], 1),
                round(y1 - (y1 - y0) * b["observed_rate"], 1),
                round(2 + 8 * math.sqrt(b["games"] / most), 1),
                f"{b['lower']:.1f}-{b['upper']:.1f}: predicted {b['mean_predicted']:.2f}, "
                f"observed {b['observed_rate']:.2f}, {b['games']} games") for b in filled]
    ticks = [(x0 + (x1 - x0) * t, y1 - (y1 - y0) * t, f"{t:.1f}") for t in (0.0, 0.5, 1.0)]
    return Reliability(size, size, (x0, y0, x1, y1), dots, ticks)
