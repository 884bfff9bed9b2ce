"""Pure rules about the network (NET-1, NET-3). No Django imports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class VisitLanguage(StrEnum):
    """NET-4: the languages a visit can be held in (ISO 639-1): the ``Language`` catalogue's codes are among them,
    and a slot search names one of them or none (issue 10: not any string)."""

    PL = "pl"
    EN = "en"
    DE = "de"
    UK = "uk"
    RU = "ru"
    BE = "be"
    CS = "cs"
    SK = "sk"
    LT = "lt"
    FR = "fr"
    ES = "es"
    IT = "it"
    PT = "pt"
    VI = "vi"
    AR = "ar"
    ZH = "zh"


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class HoursProblem:
    """One thing wrong with opening hours: a stable code and the values a message needs."""

    code: str
    day: str = ""
    value: str = ""
    opens: str = ""
    closes: str = ""


def opening_hours_problems(hours: Any) -> list[HoursProblem]:
    """NET-1: opening hours are ``{"mon": [["07:00", "20:00"]], ...}``; ranges ordered and not overlapping.

    Returns the problems (empty when valid), each naming the day and the range.
    """
    if not isinstance(hours, Mapping):
        return [HoursProblem("not_a_mapping")]
    problems: list[HoursProblem] = []
    for day, ranges in hours.items():
        if day not in WEEKDAY_KEYS:
            problems.append(HoursProblem("unknown_weekday", day=str(day)))
            continue
        if not isinstance(ranges, list):
            problems.append(HoursProblem("not_a_list", day=day))
            continue
        previous_close = ""
        for pair in ranges:
            if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
                problems.append(HoursProblem("not_a_pair", day=day, value=repr(pair)))
                continue
            opens, closes = pair
            if not (_HHMM.match(opens) and _HHMM.match(closes)):
                problems.append(HoursProblem("bad_time", day=day, opens=opens, closes=closes))
            elif opens >= closes:
                problems.append(HoursProblem("closes_before_opening", day=day, opens=opens, closes=closes))
            elif previous_close and opens < previous_close:
                problems.append(HoursProblem("overlapping_ranges", day=day, opens=opens, closes=closes))
            else:
                previous_close = closes
    return problems


def is_open_at(hours: Mapping[str, list[list[str]]], moment: dt.datetime) -> bool:
    """Whether a facility is open at a local (Warsaw wall-clock) moment."""
    ranges = hours.get(WEEKDAY_KEYS[moment.weekday()], [])
    hhmm = moment.strftime("%H:%M")
    return any(opens <= hhmm < closes for opens, closes in ranges)


def closures_overlap(
    closures: list[tuple[dt.datetime, dt.datetime]], starts_at: dt.datetime, ends_at: dt.datetime
) -> bool:
    """NET-3: whether a moment range falls into any closure (half-open intervals)."""
    return any(c_start < ends_at and starts_at < c_end for c_start, c_end in closures)
