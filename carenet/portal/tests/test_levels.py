"""ACC-3, ACC-4 on every door: a level I account books, lists and cancels its planned visits; the E-Karta (page and
PDF, own and children's), visit history (the list and a past visit's page) and the API's history answer only for
level II. A level I patient gets a friendly page that explains how to confirm identity, with a link to it; the API
answers 403 with the stable code ``level_two_required``. Staff are not subject to levels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from carenet.accounts.models import Patient
from carenet.api.tests.factories import make_slot
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def logged_in(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def past_visit(world: World, patient: Patient) -> Appointment:
    slot = make_slot(
        starts_at=clock.now() - dt.timedelta(days=3),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.consultation.specialty,
        services=[world.consultation],
    )
    return booked(patient, slot, status=Appointment.Status.COMPLETED)


@pytest.mark.parametrize("page", ["portal:ecard", "portal:ecard_pdf"])
def test_level_one_gets_the_explanation_with_a_link_to_confirm_identity(world: World, page: str) -> None:
    """ACC-4: the E-Karta is level II; level I sees why and where to go — not the card, not a bare error."""
    response = logged_in(world.level_one).get(url(page))
    assert response.status_code == 403
    content = response.content.decode()
    assert 'id="level-two-required"' in content
    assert url("portal:identity") in content
    assert world.level_one.enrolments.get().ecard_number not in content
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("page", ["portal:ecard", "portal:ecard_pdf"])
def test_level_two_sees_the_card(world: World, page: str) -> None:
    assert logged_in(world.patient_a).get(url(page)).status_code == 200


def test_a_level_one_guardian_cannot_open_the_childs_card(world: World) -> None:
    Patient.objects.filter(pk=world.patient_a.pk).update(account_level=1)
    client = logged_in(world.patient_a)
    for page in ("portal:ecard", "portal:ecard_pdf"):
        response = client.get(url(page) + f"?for={world.child.pk}")
        assert response.status_code == 403
        assert world.child.enrolments.get().ecard_number not in response.content.decode()


def test_level_one_sees_planned_visits_but_not_the_history(world: World) -> None:
    """ACC-3: level I lists its bookings; ACC-4: the history is level II — a note with a link instead."""
    planned = booked(world.level_one, world.slots[0])
    past = past_visit(world, world.level_one)
    response = logged_in(world.level_one).get(url("portal:visits"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-appointment="{planned.pk}"' in content
    assert 'id="history-level-two"' in content and url("portal:identity") in content
    assert past.pk not in [appointment.pk for appointment in response.context["past_page"]]
    assert len(response.context["past_page"]) == 0


def test_level_two_sees_the_history(world: World) -> None:
    past = past_visit(world, world.patient_a)
    response = logged_in(world.patient_a).get(url("portal:visits"))
    assert 'id="history-level-two"' not in response.content.decode()
    assert [appointment.pk for appointment in response.context["past_page"]] == [past.pk]


def test_a_past_visits_page_is_history(world: World) -> None:
    """ACC-4: a visit that is over is history — level I gets the explanation; its planned visit still opens."""
    past = past_visit(world, world.level_one)
    planned = booked(world.level_one, world.slots[0])
    client = logged_in(world.level_one)
    assert client.get(url("portal:visit", past.pk)).status_code == 403
    assert client.get(url("portal:visit", planned.pk)).status_code == 200
    assert logged_in(world.patient_a).get(url("portal:visit", past_visit(world, world.patient_a).pk)).status_code == 200


def test_level_one_still_books_and_cancels(world: World) -> None:
    """ACC-3: booking and cancelling stay open to level I."""
    client = logged_in(world.level_one)
    assert client.get(url("portal:search")).status_code == 200
    appointment = booked(world.level_one, world.slots[0])
    assert client.post(url("portal:cancel", appointment.pk)).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


# --- The JSON API ----------------------------------------------------------------------------------------------


def test_the_api_refuses_history_to_level_one_with_a_stable_code(world: World) -> None:
    """ACC-4 in the API: GET /appointments?upcoming=false and a past visit answer 403 level_two_required."""
    past = past_visit(world, world.level_one)
    planned = booked(world.level_one, world.slots[0])
    client = logged_in(world.level_one)
    history = client.get("/api/v1/appointments", {"upcoming": "false"})
    assert history.status_code == 403 and history.json()["code"] == "level_two_required"
    one = client.get(f"/api/v1/appointments/{past.pk}")
    assert one.status_code == 403 and one.json()["code"] == "level_two_required"
    upcoming = client.get("/api/v1/appointments")
    assert upcoming.status_code == 200 and [row["id"] for row in upcoming.json()["results"]] == [planned.pk]
    assert client.get(f"/api/v1/appointments/{planned.pk}").status_code == 200


def test_the_api_gives_history_to_level_two_and_to_staff(world: World) -> None:
    past = past_visit(world, world.level_one)
    mine = past_visit(world, world.patient_a)
    answer = logged_in(world.patient_a).get("/api/v1/appointments", {"upcoming": "false"})
    assert answer.status_code == 200 and mine.pk in [row["id"] for row in answer.json()["results"]]
    operator = Client()
    operator.force_login(world.staff["call_centre"])
    staff_answer = operator.get("/api/v1/appointments", {"upcoming": "false", "patient_id": world.level_one.pk})
    assert staff_answer.status_code == 200 and [row["id"] for row in staff_answer.json()["results"]] == [past.pk]
