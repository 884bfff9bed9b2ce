"""Closures' pure rules (NET-3): what a closure may be, whom the call centre calls, how far an alternative is.

No Django import; ``now`` is passed in."""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

#: The longest reason a coordinator writes (the closure's column), and the call centre's note.
REASON_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 500
#: A closure longer than this is a facility leaving the network, not a closure (the back office deactivates it).
LONGEST_CLOSURE = dt.timedelta(days=366)
#: Visits an SMS names one by one; more are counted ("i 2 inne").
SMS_VISITS_NAMED = 3


class ClosureRefusal(enum.StrEnum):
    """Why a closure (or its reopening) is refused; the stable codes of the API and the forms."""

    REASON_MISSING = "reason_missing"
    REASON_TOO_LONG = "reason_too_long"
    ENDS_BEFORE_START = "ends_before_start"
    ALREADY_ENDED = "already_ended"
    TOO_LONG = "closure_too_long"
    ALREADY_REOPENED = "already_reopened"
    NOTE_TOO_LONG = "note_too_long"
    ALREADY_REBOOKED = "already_rebooked"


def closure_problem(
    *, starts_at: dt.datetime, ends_at: dt.datetime, reason: str, now: dt.datetime
) -> ClosureRefusal | None:
    """NET-3: a closure has a reason and a period that ends after it starts, in the future, of at most a year."""
    if not reason.strip():
        return ClosureRefusal.REASON_MISSING
    if len(reason.strip()) > REASON_MAX_LENGTH:
        return ClosureRefusal.REASON_TOO_LONG
    if ends_at <= starts_at:
        return ClosureRefusal.ENDS_BEFORE_START
    if ends_at <= now:
        return ClosureRefusal.ALREADY_ENDED
    if ends_at - starts_at > LONGEST_CLOSURE:
        return ClosureRefusal.TOO_LONG
    return None


def reopen_problem(*, ends_at: dt.datetime, reopened_at: dt.datetime | None, now: dt.datetime) -> ClosureRefusal | None:
    """Only a closure still in force (or still to come) can be reopened, once."""
    if reopened_at is not None:
        return ClosureRefusal.ALREADY_REOPENED
    if ends_at <= now:
        return ClosureRefusal.ALREADY_ENDED
    return None


def closure_in_force(
    *, starts_at: dt.datetime, ends_at: dt.datetime, reopened_at: dt.datetime | None, now: dt.datetime
) -> bool:
    end = min(ends_at, reopened_at) if reopened_at is not None else ends_at
    return starts_at <= now < end


def call_due(*, notified_at: dt.datetime, now: dt.datetime, after: dt.timedelta) -> bool:
    """NET-3: a moved patient who has not rebooked ``after`` the SMS (a day by default) is called."""
    return now >= notified_at + after


@dataclass(frozen=True, slots=True)
class Place:
    latitude: float | None
    longitude: float | None


def distance_km(a: Place, b: Place) -> float | None:
    """The great-circle distance between two places (haversine), or ``None`` when one has no location."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def nearest_first(distances: dict[int, float | None]) -> list[int]:
    """Facility ids nearest first; those without a location last (by id, so the order is stable)."""
    return sorted(distances, key=lambda key: (distances[key] is None, distances[key] or 0.0, key))
