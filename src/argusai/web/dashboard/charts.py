"""Bar charts as plain geometry, drawn as inline SVG by ``templates/chart.html``.

No JavaScript and no chart library: a chart is a handful of rectangles with a ``<title>``
each (the value on hover, read out by screen readers), axis labels and a table of the
same figures beside it. Pure code: numbers in, shapes out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 200
LEFT = 56  # room for the value axis labels
BOTTOM = 24  # room for the day labels
TOP = 8
GAP = 0.25  # of each slot, between bars


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    """What the template draws; ``rows`` is the same data as text (label, value)."""

    id: str
    title: str
    width: int
    height: int
    plot_left: int
    plot_bottom: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[XLabel, ...]
    rows: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        """True when every value is zero or there are no points."""
        return not self.bars


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (1 for nothing)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0):
        if value <= step * power:
            return step * power
    return 10.0 * power


def bar_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = WIDTH,
    height: int = HEIGHT,
    every: int | None = None,
    top: float | None = None,
) -> BarChart:
    """One bar per ``(label, value)`` up to ``top`` (else a round ceiling of the values);
    labels shown every ``every`` bars (about 8 in all)."""
    plot_w = width - LEFT - 4
    plot_h = height - TOP - BOTTOM
    bottom = TOP + plot_h
    top_value = top or nice_ceiling(max((v for _, v in points), default=0.0))
    slot = plot_w / max(1, len(points))
    bars = []
    labels = []
    step = every or max(1, math.ceil(len(points) / 8))
    for i, (label, value) in enumerate(points):
        x = LEFT + i * slot
        h = min(max(0.0, value), top_value) / top_value * plot_h
        if value > 0:
            bars.append(
                Bar(
                    round(x + slot * GAP / 2, 2),
                    round(bottom - h, 2),
                    round(slot * (1 - GAP), 2),
                    round(h, 2),
                    label,
                    fmt(value),
                )
            )
        if i % step == 0:
            labels.append(XLabel(round(x + slot / 2, 2), label))
    ticks = tuple(Tick(round(bottom - plot_h * f, 2), fmt(top_value * f)) for f in (0.0, 0.5, 1.0))
    return BarChart(
        id=chart_id,
        title=title,
        width=width,
        height=height,
        plot_left=LEFT,
        plot_bottom=bottom,
        bars=tuple(bars),
        ticks=ticks,
        labels=tuple(labels),
        rows=tuple((label, fmt(value)) for label, value in points),
    )


def money(value: float) -> str:
    """Dollars with cents, more digits under a cent."""
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def duration(ms: float | None) -> str:
    """Milliseconds as ``850 ms``, ``12.5 s`` or ``3.2 min``; an en dash for none."""
    if ms is None:
        return "–"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:.1f} min"
    return f"{ms / 3_600_000:.1f} h"


def percent(value: float | None) -> str:
    """A share as ``42 %``; an en dash for none."""
    return "–" if value is None else f"{value * 100:.0f} %"
