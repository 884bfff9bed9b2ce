"""How a result is shown (CLN-3): whether a value is out of its reference range, and the geometry of the small
chart of one analyte's values over time.

Pure Python, no Django: the portal, the consoles and the API take the same answer from here. Nothing here decides
who may see what (that is the permission table and :mod:`carenet.results.selectors`).

Out of range: the laboratory's abnormal flag (HL7 table 0078, OBX-8) when it sends one it can be read by — ``H``,
``HH``, ``>`` above; ``L``, ``LL``, ``<`` below; ``A``, ``AA`` abnormal; ``N`` normal — else the numeric value
compared with the reference range's limits. A value is never marked by colour only: pages show a word, an icon and
an arrow (↑ above, ↓ below).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

HIGH_FLAGS = frozenset({"H", "HH", ">", "HU"})
LOW_FLAGS = frozenset({"L", "LL", "<", "LU"})
ABNORMAL_FLAGS = frozenset({"A", "AA"})
NORMAL_FLAGS = frozenset({"N"})
#: Every flag that marks a value out of range by itself (the selectors' "any value out of range" uses it too).
OUT_OF_RANGE_FLAGS = HIGH_FLAGS | LOW_FLAGS | ABNORMAL_FLAGS
#: Flags that settle the question; any other flag (or none) leaves it to the value and the range.
DECIDING_FLAGS = OUT_OF_RANGE_FLAGS | NORMAL_FLAGS


class Mark(StrEnum):
    """Where a value lies against its reference range."""

    NORMAL = "normal"
    HIGH = "high"
    LOW = "low"
    ABNORMAL = "abnormal"  # the laboratory says abnormal without a direction (a qualitative result)
    UNKNOWN = "unknown"  # no range and no flag: nothing to compare with

    @property
    def out_of_range(self) -> bool:
        return self in (Mark.HIGH, Mark.LOW, Mark.ABNORMAL)

    @property
    def arrow(self) -> str:
        return {Mark.HIGH: "↑", Mark.LOW: "↓", Mark.ABNORMAL: "!"}.get(self, "")


def observation_mark(*, flag: str, value: Decimal | None, low: Decimal | None, high: Decimal | None) -> Mark:
    """CLN-3: the mark of one value — the laboratory's flag when it decides, else the value against the limits."""
    flag = flag.strip().upper()
    if flag in HIGH_FLAGS:
        return Mark.HIGH
    if flag in LOW_FLAGS:
        return Mark.LOW
    if flag in ABNORMAL_FLAGS:
        return Mark.ABNORMAL
    if flag in NORMAL_FLAGS:
        return Mark.NORMAL
    if value is None or (low is None and high is None):
        return Mark.UNKNOWN
    if high is not None and value > high:
        return Mark.HIGH
    if low is not None and value < low:
        return Mark.LOW
    return Mark.NORMAL


class MeasuredValue(Protocol):
    """What :func:`mark_of` reads of an observation (``results.models.Observation``)."""

    abnormal_flag: str
    numeric_value: Decimal | None
    range_low: Decimal | None
    range_high: Decimal | None


def mark_of(observation: MeasuredValue) -> Mark:
    return observation_mark(
        flag=observation.abnormal_flag,
        value=observation.numeric_value,
        low=observation.range_low,
        high=observation.range_high,
    )


@dataclass(frozen=True, slots=True)
class MarkedValue:
    """An observation with its mark, as a page's table row shows it."""

    observation: object
    mark: Mark


def marked(observations: Sequence[MeasuredValue]) -> list[MarkedValue]:
    return [MarkedValue(observation=observation, mark=mark_of(observation)) for observation in observations]


# --- The history chart of one analyte -----------------------------------------------------------------------------

#: The drawing's coordinate system (the SVG's viewBox); the page scales it to the screen's width.
CHART_WIDTH = 320
CHART_HEIGHT = 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True, slots=True)
class ChartValue:
    """One value to draw: when it was taken, the number, and its mark."""

    at: dt.datetime
    value: Decimal
    mark: Mark


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    at: dt.datetime
    value: Decimal
    mark: Mark


@dataclass(frozen=True, slots=True)
class Band:
    """The reference range as a shaded strip (``y`` is its top)."""

    y: float
    height: float


@dataclass(frozen=True, slots=True)
class AxisLabel:
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    plot_width: int
    bottom: float
    points: tuple[ChartPoint, ...]
    polyline: str
    band: Band | None
    labels: tuple[AxisLabel, ...]
    first_at: dt.datetime
    last_at: dt.datetime


def _number(value: Decimal) -> str:
    """A limit or a value as the axis prints it: no trailing zeros, no exponent."""
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def history_chart(values: Sequence[ChartValue], *, low: Decimal | None, high: Decimal | None) -> Chart | None:
    """The geometry of the history chart: the values left (oldest) to right (newest) by time, the reference range
    shaded, the vertical scale covering the values and the range with a little room. ``None`` without a value."""
    if not values:
        return None
    ordered = sorted(values, key=lambda item: item.at)
    numbers = [item.value for item in ordered] + [limit for limit in (low, high) if limit is not None]
    lowest, highest = min(numbers), max(numbers)
    # A single value (or all alike) gets a scale around it.
    spread = (highest - lowest) or abs(lowest) or Decimal(10)
    margin = spread / 10
    lowest, highest = lowest - margin, highest + margin
    plot_width = CHART_WIDTH - _LEFT - _RIGHT
    plot_height = CHART_HEIGHT - _TOP - _BOTTOM
    first, last = ordered[0].at, ordered[-1].at
    span = (last - first).total_seconds()

    def x_of(at: dt.datetime) -> float:
        if span <= 0:
            return round(_LEFT + plot_width / 2, 1)
        return round(_LEFT + plot_width * (at - first).total_seconds() / span, 1)

    def y_of(number: Decimal) -> float:
        share = float((number - lowest) / (highest - lowest))
        return round(_TOP + plot_height * (1 - share), 1)

    points = tuple(
        ChartPoint(x=x_of(item.at), y=y_of(item.value), at=item.at, value=item.value, mark=item.mark)
        for item in ordered
    )
    band = None
    if low is not None or high is not None:
        top = y_of(high) if high is not None else float(_TOP)
        bottom = y_of(low) if low is not None else float(_TOP + plot_height)
        band = Band(y=top, height=round(max(bottom - top, 1.0), 1))
    labels = [AxisLabel(y=y_of(limit), text=_number(limit)) for limit in (high, low) if limit is not None]
    if not labels:
        labels = [AxisLabel(y=y_of(highest - margin), text=_number(highest - margin))]
        if highest - margin != lowest + margin:
            labels.append(AxisLabel(y=y_of(lowest + margin), text=_number(lowest + margin)))
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=_LEFT,
        right=float(CHART_WIDTH - _RIGHT),
        plot_width=plot_width,
        bottom=float(_TOP + plot_height),
        points=points,
        polyline=" ".join(f"{point.x},{point.y}" for point in points),
        band=band,
        labels=tuple(labels),
        first_at=first,
        last_at=last,
    )
