"""The check-in page "jestem" (CHK-4) and the no-show summary on "Moje wizyty" (BKG-5): phone + PESEL + the
entrance code; only in the window and only at the visit's facility; 5 attempts per phone and per device an hour;
no leak of whether a person exists; a refused attempt changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.api.tests.factories import RoomFactory, make_slot
from carenet.arrival import policies as checkin_policies
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment, CheckInAttempt
from carenet.core import clock
from carenet.portal.arrival import DEVICE_COOKIE
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db
Status = Appointment.Status

TODAY = dt.date(2026, 3, 3)
START = clock.at_warsaw(TODAY, dt.time(10))
NOW = START - dt.timedelta(minutes=10)


@pytest.fixture
def world(time_machine: Any) -> World:
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


def code_for(facility_id: int, now: dt.datetime = NOW) -> str:
    return checkin_policies.current_premises_code(secret=arrival.premises_secret(), facility_id=facility_id, now=now)


def post(client: Client, **data: str) -> Any:
    return client.post(url("portal:checkin"), data)


def answer(response: Any) -> str:
    result = response.context["result"]
    return str(result.answer) if result else ""


def test_polish_path_is_translatable_and_english_path_works() -> None:
    with translation.override("en"):
        assert reverse("portal:checkin") == "/en/check-in/"


def test_anyone_opens_the_page(world: World) -> None:
    assert Client().get(url("portal:checkin")).status_code == 200
    for user in (world.patient_a.user, world.staff["receptionist"]):
        client = Client()
        client.force_login(user)
        assert client.get(url("portal:checkin")).status_code == 200


def test_confirms_in_the_window_and_answers_with_the_room(world: World, visit: Appointment) -> None:
    client = Client()
    response = post(client, phone="501 000 000", pesel="x", code="1")  # form invalid: nothing counted
    assert response.status_code == 422 and not CheckInAttempt.objects.exists()
    patient = world.patient_a
    response = post(client, phone=patient.mobile, pesel=patient.pesel, code=code_for(world.centre.pk))
    assert response.status_code == 200 and answer(response) == "checked_in"
    assert "12" in response.context["text"]
    visit.refresh_from_db()
    assert (visit.status, visit.check_in_channel) == (Status.CHECKED_IN, "checkin_page")
    assert CheckInAttempt.objects.get().ok
    again = post(client, phone=patient.mobile, pesel=patient.pesel, code=code_for(world.centre.pk))
    assert answer(again) == "already_checked_in"


def test_previous_code_still_accepted(world: World, visit: Appointment, time_machine: Any) -> None:
    old = code_for(world.centre.pk, NOW - dt.timedelta(minutes=10))
    response = post(Client(), phone=world.patient_a.mobile, pesel=world.patient_a.pesel, code=old)
    assert answer(response) == "checked_in"


def test_wrong_or_other_facility_code_changes_nothing(world: World, visit: Appointment) -> None:
    patient = world.patient_a
    wrong = post(Client(), phone=patient.mobile, pesel=patient.pesel, code="000000")
    assert wrong.status_code == 422 and answer(wrong) == "wrong_code"
    other = post(Client(), phone=patient.mobile, pesel=patient.pesel, code=code_for(world.other_centre.pk))
    assert answer(other) == "no_visit"
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_unknown_person_and_no_visit_get_the_same_answer(world: World, visit: Appointment) -> None:
    code = code_for(world.centre.pk)
    unknown = post(Client(), phone="+48600999888", pesel="85010100000", code=code)
    wrong_pesel = post(Client(), phone=world.patient_a.mobile, pesel=world.patient_b.pesel, code=code)
    no_visit = post(Client(), phone=world.patient_b.mobile, pesel=world.patient_b.pesel, code=code)
    texts = {response.context["text"] for response in (unknown, wrong_pesel, no_visit)}
    assert len(texts) == 1
    assert {response.status_code for response in (unknown, wrong_pesel, no_visit)} == {422}
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_outside_the_window_tells_the_window(world: World, visit: Appointment, time_machine: Any) -> None:
    early = START - dt.timedelta(minutes=40)
    time_machine.move_to(early, tick=False)
    response = post(
        Client(), phone=world.patient_a.mobile, pesel=world.patient_a.pesel, code=code_for(world.centre.pk, early)
    )
    assert answer(response) == "outside_window"
    assert "09:45" in response.context["text"] and "10:00" in response.context["text"]
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_five_attempts_per_phone_an_hour(world: World, visit: Appointment) -> None:
    patient = world.patient_a
    for number in range(5):
        client = Client()  # a new device each time
        client.cookies.clear()
        client.defaults["REMOTE_ADDR"] = f"10.0.0.{number}"
        post(client, phone=patient.mobile, pesel=patient.pesel, code="000000")
    client = Client(REMOTE_ADDR="10.0.1.1")
    sixth = post(client, phone=patient.mobile, pesel=patient.pesel, code=code_for(world.centre.pk))
    assert sixth.status_code == 429 and answer(sixth) == "too_many_attempts"
    assert CheckInAttempt.objects.count() == 5
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_five_attempts_per_device_an_hour(world: World, visit: Appointment) -> None:
    client = Client()
    client.get(url("portal:checkin"))  # the device cookie
    assert DEVICE_COOKIE in client.cookies
    for number in range(5):
        post(client, phone=f"+4860011122{number}", pesel="85010100000", code="000000")
    sixth = post(client, phone=world.patient_a.mobile, pesel=world.patient_a.pesel, code=code_for(world.centre.pk))
    assert answer(sixth) == "too_many_attempts"
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_without_the_cookie_the_address_counts(world: World, visit: Appointment) -> None:
    client = Client(REMOTE_ADDR="10.9.9.9")
    for number in range(5):
        client.cookies.clear()
        post(client, phone=f"+4860011133{number}", pesel="85010100000", code="000000")
    client.cookies.clear()
    sixth = post(client, phone=world.patient_a.mobile, pesel=world.patient_a.pesel, code=code_for(world.centre.pk))
    assert answer(sixth) == "too_many_attempts"


def test_attempts_older_than_an_hour_do_not_count(world: World, visit: Appointment, time_machine: Any) -> None:
    patient = world.patient_a
    for _ in range(5):
        post(Client(), phone=patient.mobile, pesel=patient.pesel, code="000000")
    later = NOW + dt.timedelta(minutes=61)
    time_machine.move_to(later, tick=False)
    Appointment.objects.filter(pk=visit.pk).update(status=Status.BOOKED)
    response = post(Client(), phone=patient.mobile, pesel=patient.pesel, code="000000")
    assert answer(response) == "wrong_code"


# --- "Moje wizyty": no-shows and blocks (BKG-5) -------------------------------------------------------------------


def test_my_visits_shows_the_no_show_count_and_the_block(world: World) -> None:
    for days in (10, 3):
        slot = make_slot(
            starts_at=NOW - dt.timedelta(days=days),
            facility=world.centre,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
        )
        booked(world.patient_a, slot, status=Status.NO_SHOW)
    client = Client()
    client.force_login(world.patient_a.user)
    html = client.get(url("portal:visits")).content.decode()
    assert 'data-no-show-count="2"' in html
    assert 'data-block="interna"' in html
    until = clock.local(NOW - dt.timedelta(days=3) + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    assert until in html
    other = Client()
    other.force_login(world.patient_b.user)
    html_b = other.get(url("portal:visits")).content.decode()
    assert 'data-no-show-count="0"' in html_b and "data-block=" not in html_b
