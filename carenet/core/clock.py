"""The one place CareNet reads the clock. Rules never call it: they take ``now`` as an argument."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

WARSAW = ZoneInfo("Europe/Warsaw")


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in Warsaw, the network's calendar."""
    return timezone.now().astimezone(WARSAW).date()


def local(value: dt.datetime) -> dt.datetime:
    """An aware instant shown on the Warsaw wall clock."""
    return value.astimezone(WARSAW)


def at_warsaw(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware instant of a Warsaw wall-clock time on a day (DST-correct)."""
    return dt.datetime.combine(day, time, tzinfo=WARSAW)
