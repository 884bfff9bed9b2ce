"""How a value is marked against its range and how one analyte's history is drawn (CLN-3): pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carenet.results.presentation import (
    CHART_HEIGHT,
    CHART_WIDTH,
    ChartValue,
    Mark,
    history_chart,
    observation_mark,
)

D = Decimal
LOW, HIGH = D("12.0"), D("16.0")


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("H", D("13"), Mark.HIGH),  # the laboratory's flag decides, even against the numbers
        ("HH", None, Mark.HIGH),
        (">", None, Mark.HIGH),
        ("l", D("13"), Mark.LOW),  # read in any case
        ("LL", None, Mark.LOW),
        ("A", None, Mark.ABNORMAL),
        ("N", D("30"), Mark.NORMAL),
        ("", D("16.1"), Mark.HIGH),  # no flag: the value against the limits
        ("", D("11.9"), Mark.LOW),
        ("", D("16.0"), Mark.NORMAL),  # the limits are in range
        ("", D("12.0"), Mark.NORMAL),
        ("U", D("20"), Mark.HIGH),  # a flag that does not decide leaves it to the value
        ("", None, Mark.UNKNOWN),  # a text value without a flag
    ],
)
def test_a_value_is_marked_by_the_flag_or_by_its_range(flag: str, value: Decimal | None, expected: Mark) -> None:
    assert observation_mark(flag=flag, value=value, low=LOW, high=HIGH) is expected


def test_without_a_range_or_a_flag_nothing_is_claimed() -> None:
    assert observation_mark(flag="", value=D("5"), low=None, high=None) is Mark.UNKNOWN
    assert observation_mark(flag="", value=D("5"), low=None, high=D("4")) is Mark.HIGH  # "< 4" style ranges


def test_out_of_range_marks_carry_an_arrow_never_only_a_colour() -> None:
    assert (Mark.HIGH.arrow, Mark.LOW.arrow) == ("↑", "↓")
    assert Mark.ABNORMAL.arrow and Mark.ABNORMAL.out_of_range
    assert not Mark.NORMAL.out_of_range and not Mark.UNKNOWN.out_of_range


def _at(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(days=day)


def test_the_chart_runs_oldest_to_newest_inside_its_box_with_the_range_shaded() -> None:
    values = [
        ChartValue(at=_at(60), value=D("17.0"), mark=Mark.HIGH),
        ChartValue(at=_at(0), value=D("13.0"), mark=Mark.NORMAL),
        ChartValue(at=_at(30), value=D("11.0"), mark=Mark.LOW),
    ]
    chart = history_chart(values, low=LOW, high=HIGH)
    assert chart is not None
    assert [point.value for point in chart.points] == [D("13.0"), D("11.0"), D("17.0")]
    xs = [point.x for point in chart.points]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.right
    for point in chart.points:
        assert 0 <= point.x <= CHART_WIDTH and 0 <= point.y <= CHART_HEIGHT
    high_point, low_point = chart.points[2], chart.points[1]
    assert chart.band is not None
    # Above the band is higher on the screen (smaller y), below it lower.
    assert high_point.y < chart.band.y < chart.band.y + chart.band.height < low_point.y
    assert [label.text for label in chart.labels] == ["16", "12"]
    assert chart.polyline.count(",") == 3 and (chart.first_at, chart.last_at) == (_at(0), _at(60))


def test_one_value_alone_is_drawn_in_the_middle() -> None:
    chart = history_chart([ChartValue(at=_at(0), value=D("5"), mark=Mark.UNKNOWN)], low=None, high=None)
    assert chart is not None and chart.band is None
    point = chart.points[0]
    assert chart.left < point.x < chart.right and 0 < point.y < CHART_HEIGHT
    assert [label.text for label in chart.labels] == ["5"]


def test_no_value_no_chart() -> None:
    assert history_chart([], low=LOW, high=HIGH) is None


def test_zero_and_negative_values_keep_a_scale() -> None:
    chart = history_chart(
        [ChartValue(at=_at(0), value=D("0"), mark=Mark.NORMAL), ChartValue(at=_at(1), value=D("0"), mark=Mark.NORMAL)],
        low=None,
        high=None,
    )
    assert chart is not None and all(0 < point.y < CHART_HEIGHT for point in chart.points)
    chart = history_chart([ChartValue(at=_at(0), value=D("-3.5"), mark=Mark.NORMAL)], low=D("-5"), high=D("-1"))
    assert chart is not None and chart.band is not None
