"""Pregnancy care rules without a database (BKG-7)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.pregnancy.policies import (
    RequestProblem,
    booking_place_problem,
    care_is_open,
    decline_problem,
    led_elsewhere,
    request_problem,
)

DAY = dt.date(2026, 5, 10)


@pytest.mark.parametrize(
    ("started_on", "ended_on", "open_"),
    [
        (DAY, None, True),
        (DAY - dt.timedelta(days=90), None, True),
        (DAY + dt.timedelta(days=1), None, False),  # not yet
        (DAY - dt.timedelta(days=90), DAY + dt.timedelta(days=1), True),  # ends tomorrow
        (DAY - dt.timedelta(days=90), DAY, False),  # ended today
    ],
)
def test_care_is_open(started_on: dt.date, ended_on: dt.date | None, open_: bool) -> None:
    assert care_is_open(started_on=started_on, ended_on=ended_on, day=DAY) is open_


def test_led_elsewhere_only_in_person_for_a_pregnancy_service_led_somewhere_else() -> None:
    base = {"pregnancy_service": True, "led_facility_ids": {3}, "slot_facility_id": 7, "remote": False}
    assert led_elsewhere(**base) is True  # type: ignore[arg-type]
    assert led_elsewhere(**{**base, "slot_facility_id": 3}) is False  # type: ignore[arg-type]
    assert led_elsewhere(**{**base, "remote": True}) is False  # type: ignore[arg-type]
    assert led_elsewhere(**{**base, "pregnancy_service": False}) is False  # type: ignore[arg-type]
    assert led_elsewhere(**{**base, "led_facility_ids": set()}) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"name": ""}, RequestProblem.NAME_REQUIRED),
        ({"name": "A" * 151}, RequestProblem.NAME_TOO_LONG),
        ({"phone_valid": False}, RequestProblem.PHONE_INVALID),
        ({"city_given": False}, RequestProblem.CITY_REQUIRED),
        ({"mode": "drone"}, RequestProblem.MODE_INVALID),
        ({"note": "x" * 501}, RequestProblem.NOTE_TOO_LONG),
        ({}, None),
        ({"mode": "telemedicine", "note": "x" * 500}, None),
    ],
)
def test_request_problem(changes: dict[str, object], problem: RequestProblem | None) -> None:
    facts: dict[str, object] = {
        "name": "Anna Nowak",
        "phone_valid": True,
        "city_given": True,
        "mode": "in_person",
        "note": "",
    } | changes
    assert request_problem(**facts) is problem  # type: ignore[arg-type]


def test_decline_problem() -> None:
    assert decline_problem(status="booked", reason="x") is RequestProblem.ALREADY_RESOLVED
    assert decline_problem(status="open", reason="") is RequestProblem.REASON_REQUIRED
    assert decline_problem(status="open", reason="x" * 501) is RequestProblem.REASON_TOO_LONG
    assert decline_problem(status="open", reason="Brak wolnych terminów") is None


def test_booking_place_problem() -> None:
    wrong = RequestProblem.WRONG_PLACE
    assert booking_place_problem(mode="in_person", wanted_city_id=1, slot_city_id=1, remote=False) is None
    assert booking_place_problem(mode="in_person", wanted_city_id=1, slot_city_id=2, remote=False) is wrong
    assert booking_place_problem(mode="in_person", wanted_city_id=1, slot_city_id=None, remote=True) is wrong
    assert booking_place_problem(mode="telemedicine", wanted_city_id=1, slot_city_id=None, remote=True) is None
    assert booking_place_problem(mode="telemedicine", wanted_city_id=1, slot_city_id=1, remote=False) is wrong
