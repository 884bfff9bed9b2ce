"""Input at the edge on the pages (issue 10, SEC): the search form, the check-in page "jestem" and the staff
E-Karta page answer a clear form error (or "invalid") to what would have failed in the database — NUL characters
(PostgreSQL), ids past 2^63−1 (SQLite), dates past 2100, non-ASCII digits — and change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from carenet.api.tests.factories import make_slot
from carenet.arrival import policies as checkin_policies
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment, CheckInAttempt
from carenet.core import clock
from carenet.core.validation import MAX_DB_ID
from carenet.coverage.tests.ecard_world import TODAY, build_ecard_world
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def world() -> World:
    return build_world()


def search_page(world: World, **extra: Any) -> Any:
    client = Client()
    client.force_login(world.patient_a.user)
    return client.get(url("portal:search"), world.search_params(**extra))


@pytest.mark.parametrize(
    "extra",
    [
        {"specialty": "a\x00b"},
        {"language": "e\x00n"},
        {"service": "x\x00"},
        {"city": "1\x00"},
        {"facility": str(MAX_DB_ID + 1)},
        {"city": str(MAX_DB_ID + 1)},
        {"clinician": "99999999999999999999999"},
        {"facility": "٣"},
        {"date_to": "9999-12-31"},
        {"date_from": "1000-01-01"},
    ],
)
def test_the_search_page_answers_a_form_error_not_a_server_error(world: World, extra: dict[str, str]) -> None:
    response = search_page(world, **extra)
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_valid()
    assert set(form.errors) & set(extra), form.errors
    assert response.context["results"] is None


def test_the_search_page_still_searches_good_input(world: World) -> None:
    response = search_page(world)
    assert response.status_code == 200 and response.context["form"].is_valid()
    assert response.context["results"] is not None


# --- "jestem" ---------------------------------------------------------------------------------------------------
START = clock.at_warsaw(dt.date(2026, 3, 3), dt.time(10))


@pytest.fixture
def visit(world: World, time_machine: Any) -> Appointment:
    time_machine.move_to(START - dt.timedelta(minutes=10), tick=False)
    slot = make_slot(
        starts_at=START,
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
    )
    return booked(world.patient_a, slot)


def checkin(**data: str) -> Any:
    return Client().post(url("portal:checkin"), data)


def test_a_code_in_arabic_indic_digits_is_a_wrong_code_and_is_counted(world: World, visit: Appointment) -> None:
    patient = world.patient_a
    code = checkin_policies.current_premises_code(
        secret=arrival.premises_secret(), facility_id=world.centre.pk, now=clock.now()
    )
    response = checkin(phone=patient.mobile, pesel=patient.pesel, code=code.translate(ARABIC_INDIC))
    assert response.status_code == 422
    assert str(response.context["result"].answer) == "wrong_code"
    [attempt] = CheckInAttempt.objects.all()
    assert attempt.wrong_code
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("field", ["phone", "pesel", "code"])
def test_a_nul_in_the_check_in_form_is_a_form_error_and_stores_nothing(
    world: World, visit: Appointment, field: str
) -> None:
    patient = world.patient_a
    data = {"phone": patient.mobile, "pesel": patient.pesel, "code": "123456"}
    data[field] = data[field][:5] + "\x00"
    response = checkin(**data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert "Remove the control characters from this field." in response.content.decode()
    assert not CheckInAttempt.objects.exists()


def test_the_form_error_is_in_polish_on_the_polish_page(world: World, visit: Appointment) -> None:
    with translation.override("pl"):
        path = reverse("portal:checkin")
    patient = world.patient_a
    response = Client().post(path, {"phone": patient.mobile, "pesel": patient.pesel, "code": "12\x00"})
    assert "Usuń z tego pola znaki sterujące." in response.content.decode()


# --- The staff E-Karta page -------------------------------------------------------------------------------------
@pytest.mark.parametrize("signature", ["é", "\x00", "٣"])
def test_the_staff_e_card_page_answers_invalid_to_a_signature_no_card_has(signature: str) -> None:
    cards = build_ecard_world()
    client = Client()
    client.force_login(cards.users["receptionist"])
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 +01:00", tick=False):
        query = urlencode({"number": cards.card_a.ecard_number, "signature": signature})
        response = client.get(f"{reverse('staff:ecard_verify')}?{query}")
    assert response.status_code == 200
    assert 'data-ecard-result="invalid"' in response.content.decode()
