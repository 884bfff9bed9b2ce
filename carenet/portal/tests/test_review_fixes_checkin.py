"""CHK-4 review fix: the "jestem" page counts WRONG entrance codes per client address too
(``CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR``), so rotating device cookies and phone numbers from one
address no longer gives unlimited guesses at the 6-digit code. Only wrong codes count per address (a waiting room
shares one); other addresses are not affected; the address is the one ``client_ip`` trusts (proxy count)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from carenet.api.tests.factories import RoomFactory, make_slot
from carenet.arrival import policies as checkin_policies
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment, CheckInAttempt
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db
Status = Appointment.Status

TODAY = dt.date(2026, 3, 3)
START = clock.at_warsaw(TODAY, dt.time(10))
NOW = START - dt.timedelta(minutes=10)
LIMIT = 4


@pytest.fixture
def world(time_machine: Any, settings: Any) -> World:
    settings.CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR = LIMIT
    time_machine.move_to(NOW, tick=False)
    return build_world()


@pytest.fixture
def visit(world: World) -> Appointment:
    slot = make_slot(
        starts_at=START,
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        room=RoomFactory(facility=world.centre, number="12"),
    )
    return booked(world.patient_a, slot)


def code_for(facility_id: int) -> str:
    return checkin_policies.current_premises_code(secret=arrival.premises_secret(), facility_id=facility_id, now=NOW)


def guess(address: str, number: int, **extra: str) -> Any:
    """A fresh device cookie (a GET hands one out) and a new phone each time: only the address stays the same."""
    client = Client(REMOTE_ADDR=address, **extra)
    client.get(url("portal:checkin"))
    return client.post(
        url("portal:checkin"), {"phone": f"+486001112{number:02d}", "pesel": "85010100000", "code": "000000"}
    )


def real_patient(world: World, address: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    client.get(url("portal:checkin"))
    data = {"phone": world.patient_a.mobile, "pesel": world.patient_a.pesel, "code": code_for(world.centre.pk)}
    return client.post(url("portal:checkin"), data)


def test_rotating_cookies_and_phones_from_one_address_are_refused_after_the_limit(world: World) -> None:
    for number in range(LIMIT):
        assert guess("10.5.5.5", number).context["result"].answer == "wrong_code"
    refused = guess("10.5.5.5", 99)
    assert refused.status_code == 429 and refused.context["result"].answer == "too_many_attempts"
    assert CheckInAttempt.objects.count() == LIMIT  # the refused try is not even recorded
    assert set(CheckInAttempt.objects.values_list("address", flat=True)) == {"10.5.5.5"}
    assert all(CheckInAttempt.objects.values_list("wrong_code", flat=True))


def test_other_addresses_are_not_affected(world: World, visit: Appointment) -> None:
    for number in range(LIMIT):
        guess("10.5.5.5", number)
    assert guess("10.6.6.6", 50).context["result"].answer == "wrong_code"
    assert real_patient(world, "10.7.7.7").context["result"].answer == "checked_in"


def test_a_correct_code_from_the_same_address_works_until_the_wrong_code_limit(
    world: World, visit: Appointment
) -> None:
    """A waiting room shares the address: right codes never count against it; once the wrong codes reach the limit
    the address is refused for everyone (the documented trade-off) — the patient then goes to reception."""
    for number in range(LIMIT - 1):
        guess("10.5.5.5", number)
    assert real_patient(world, "10.5.5.5").context["result"].answer == "checked_in"
    Appointment.objects.filter(pk=visit.pk).update(status=Status.BOOKED, checked_in_at=None)
    # Right codes (the patient's, and other people's with no visit) do not use up the address's allowance.
    for _ in range(3):
        assert real_patient(world, "10.5.5.5").context["result"].answer in ("checked_in", "already_checked_in")
    Appointment.objects.filter(pk=visit.pk).update(status=Status.BOOKED, checked_in_at=None)
    guess("10.5.5.5", 40)  # the LIMIT-th wrong code
    refused = real_patient(world, "10.5.5.5")
    assert refused.status_code == 429
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_the_address_behind_a_trusted_proxy_counts(world: World, settings: Any) -> None:
    settings.CARENET_TRUSTED_PROXY_COUNT = 1
    for number in range(LIMIT):
        guess("10.0.0.1", number, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert guess("10.0.0.1", 60, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert guess("10.0.0.1", 61, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 422


def test_wrong_codes_older_than_an_hour_do_not_count(world: World, time_machine: Any) -> None:
    for number in range(LIMIT):
        guess("10.5.5.5", number)
    time_machine.move_to(NOW + dt.timedelta(minutes=61), tick=False)
    assert guess("10.5.5.5", 70).status_code == 422
