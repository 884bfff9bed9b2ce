"""NET-3 pure rules: what a closure may be, when a moved patient is called, how far an alternative is."""

from __future__ import annotations

import datetime as dt

from carenet.closures.policies import (
    ClosureRefusal,
    Place,
    call_due,
    closure_in_force,
    closure_problem,
    distance_km,
    nearest_first,
    reopen_problem,
)

NOW = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_a_closure_needs_a_reason_and_a_sane_future_period() -> None:
    ok = {"starts_at": NOW, "ends_at": NOW + HOUR, "reason": "Kwarantanna", "now": NOW}
    assert closure_problem(**ok) is None  # type: ignore[arg-type]
    assert closure_problem(**{**ok, "reason": " "}) is ClosureRefusal.REASON_MISSING  # type: ignore[arg-type]
    assert closure_problem(**{**ok, "reason": "x" * 201}) is ClosureRefusal.REASON_TOO_LONG  # type: ignore[arg-type]
    assert closure_problem(**{**ok, "ends_at": NOW}) is ClosureRefusal.ENDS_BEFORE_START  # type: ignore[arg-type]
    past = {**ok, "starts_at": NOW - 3 * HOUR, "ends_at": NOW}
    assert closure_problem(**past) is ClosureRefusal.ALREADY_ENDED  # type: ignore[arg-type]
    long = {**ok, "ends_at": NOW + dt.timedelta(days=367)}
    assert closure_problem(**long) is ClosureRefusal.TOO_LONG  # type: ignore[arg-type]


def test_reopening_once_while_in_force() -> None:
    assert reopen_problem(ends_at=NOW + HOUR, reopened_at=None, now=NOW) is None
    assert reopen_problem(ends_at=NOW + HOUR, reopened_at=NOW, now=NOW) is ClosureRefusal.ALREADY_REOPENED
    assert reopen_problem(ends_at=NOW, reopened_at=None, now=NOW) is ClosureRefusal.ALREADY_ENDED
    assert closure_in_force(starts_at=NOW - HOUR, ends_at=NOW + HOUR, reopened_at=None, now=NOW)
    assert not closure_in_force(starts_at=NOW - HOUR, ends_at=NOW + HOUR, reopened_at=NOW, now=NOW)


def test_the_call_centre_calls_after_a_day() -> None:
    day = dt.timedelta(days=1)
    assert not call_due(notified_at=NOW, now=NOW + day - dt.timedelta(seconds=1), after=day)
    assert call_due(notified_at=NOW, now=NOW + day, after=day)


def test_distance_and_the_nearest_first() -> None:
    mokotow, wola, krakow = Place(52.19, 21.02), Place(52.23, 20.98), Place(50.06, 19.94)
    near, far = distance_km(mokotow, wola), distance_km(mokotow, krakow)
    assert near is not None and far is not None and near < 10 < 240 < far < 260
    assert distance_km(mokotow, Place(None, None)) is None
    assert nearest_first({1: far, 2: None, 3: near}) == [3, 1, 2]
