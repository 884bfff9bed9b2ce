"""ACC-4 review fix: a visit is history when it has ended OR is no longer upcoming (cancelled, no-show, refused,
expired …) — level I gets 403 on every page that shows one (the visit page, cancel, reschedule, the reschedule
confirmation) and in the API detail (``level_two_required``); level I still cancels and reschedules its own
upcoming portal visit (ACC-3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from carenet.accounts.models import Patient
from carenet.api.tests.factories import make_slot
from carenet.booking.models import Appointment
from carenet.booking.policies import appointment_is_history
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def world() -> World:
    return build_world()


def logged_in(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def past_visit(world: World, patient: Patient, status: str = Status.COMPLETED) -> Appointment:
    slot = make_slot(
        starts_at=clock.now() - dt.timedelta(days=3),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.consultation.specialty,
        services=[world.consultation],
    )
    return booked(patient, slot, status=status)


def _pages(appointment: Appointment, world: World) -> list[str]:
    return [
        url("portal:visit", appointment.pk),
        url("portal:cancel", appointment.pk),
        url("portal:reschedule", appointment.pk),
        url("portal:reschedule_confirm", appointment.pk, world.slots[1].pk),
    ]


def test_the_history_rule() -> None:
    """ACC-4: history = ended, or not in an upcoming status (held, booked, checked in)."""
    now = dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC)
    later, earlier = now + dt.timedelta(hours=1), now - dt.timedelta(minutes=1)
    assert not appointment_is_history(status="booked", ends_at=later, now=now)
    assert not appointment_is_history(status="held", ends_at=later, now=now)
    assert not appointment_is_history(status="checked_in", ends_at=later, now=now)
    assert appointment_is_history(status="booked", ends_at=earlier, now=now)
    assert appointment_is_history(status="booked", ends_at=now, now=now)
    for status in ("cancelled", "no_show", "refused_late", "expired", "completed"):
        assert appointment_is_history(status=status, ends_at=later, now=now)


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.NO_SHOW, Status.REFUSED_LATE])
def test_level_one_cannot_open_a_future_visit_that_is_no_longer_upcoming(world: World, status: str) -> None:
    """ACC-4: a cancelled (no-show, refused) visit is history even when its time has not come."""
    appointment = booked(world.level_one, world.slots[0], status=status)
    client = logged_in(world.level_one)
    for page in _pages(appointment, world):
        assert client.get(page).status_code == 403, page
    assert client.post(url("portal:cancel", appointment.pk)).status_code == 403
    answer = client.get(f"/api/v1/appointments/{appointment.pk}")
    assert answer.status_code == 403 and answer.json()["code"] == "level_two_required"


def test_level_one_cannot_open_a_past_visit_through_cancel_or_reschedule(world: World) -> None:
    past = past_visit(world, world.level_one)
    client = logged_in(world.level_one)
    for page in _pages(past, world):
        assert client.get(page).status_code == 403, page
    response = client.post(url("portal:reschedule_confirm", past.pk, world.slots[1].pk), {"accept_price": "on"})
    assert response.status_code == 403
    past.refresh_from_db()
    assert past.status == Status.COMPLETED
    assert not Appointment.objects.filter(rescheduled_from=past).exists()


def test_level_two_still_opens_history(world: World) -> None:
    cancelled = booked(world.patient_a, world.slots[0], status=Status.CANCELLED)
    past = past_visit(world, world.patient_a)
    client = logged_in(world.patient_a)
    assert client.get(url("portal:visit", cancelled.pk)).status_code == 200
    assert client.get(url("portal:visit", past.pk)).status_code == 200
    assert client.get(f"/api/v1/appointments/{cancelled.pk}").status_code == 200


def test_level_one_still_cancels_and_reschedules_its_upcoming_portal_visit(world: World) -> None:
    """ACC-3: the level check does not touch a planned visit."""
    client = logged_in(world.level_one)
    appointment = booked(world.level_one, world.slots[0])
    for page in _pages(appointment, world):
        assert client.get(page).status_code == 200, page
    assert client.get(f"/api/v1/appointments/{appointment.pk}").status_code == 200
    response = client.post(url("portal:reschedule_confirm", appointment.pk, world.slots[1].pk), {"accept_price": "on"})
    assert response.status_code == 302
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert client.post(url("portal:cancel", moved.pk)).status_code == 302
    moved.refresh_from_db()
    assert moved.status == Status.CANCELLED


def test_another_patients_visit_stays_404(world: World) -> None:
    other = booked(world.patient_b, world.slots[0], status=Status.CANCELLED)
    client = logged_in(world.level_one)
    for page in _pages(other, world):
        assert client.get(page).status_code == 404, page
