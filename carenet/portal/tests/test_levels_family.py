"""Family (SPEC "People and roles", issue section 5): a guardian manages the visits of their children under 18 —
sees, books and cancels them, in the portal and the API; another patient cannot; a child who turned 18 is no longer
managed by the guardian. (Booking for a child and refusing patient B are also covered in test_booking_pages.py and
api/tests/test_authorization.py; these add seeing, cancelling and the 18th birthday.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def logged_in(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def turn_eighteen(child: Patient) -> None:
    today = clock.today()
    Patient.objects.filter(pk=child.pk).update(birth_date=latest_birth_date_of_age(18, today))


def test_the_guardian_sees_and_cancels_the_childs_visit_in_the_portal(world: World) -> None:
    visit = booked(world.child, world.slots[0], by=world.patient_a.user)
    client = logged_in(world.patient_a)
    assert f'data-appointment="{visit.pk}"' in client.get(url("portal:visits")).content.decode()
    assert client.post(url("portal:cancel", visit.pk)).status_code == 302
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_another_patient_neither_sees_nor_cancels_the_childs_visit(world: World) -> None:
    visit = booked(world.child, world.slots[0], by=world.patient_a.user)
    client = logged_in(world.patient_b)
    assert f'data-appointment="{visit.pk}"' not in client.get(url("portal:visits")).content.decode()
    assert client.get(url("portal:visit", visit.pk)).status_code == 404
    assert client.post(url("portal:cancel", visit.pk)).status_code == 404
    api = client.post(f"/api/v1/appointments/{visit.pk}/cancel", content_type="application/json")
    assert api.status_code == 404
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_the_guardian_sees_and_cancels_the_childs_visit_in_the_api(world: World) -> None:
    visit = booked(world.child, world.slots[0], by=world.patient_a.user)
    client = logged_in(world.patient_a)
    listed = client.get("/api/v1/appointments").json()["results"]
    assert visit.pk in [row["id"] for row in listed]
    response = client.post(f"/api/v1/appointments/{visit.pk}/cancel", content_type="application/json")
    assert response.status_code == 200, response.content
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_a_child_who_turned_eighteen_is_no_longer_offered_in_the_portal(world: World) -> None:
    turn_eighteen(world.child)
    client = logged_in(world.patient_a)
    page = url("portal:book", world.slots[0].pk) + f"?service=konsultacja-interna&for={world.child.pk}"
    assert client.get(page).status_code == 404
    assert client.post(page, {"accept_price": "on"}).status_code == 404
    assert client.get(url("portal:ecard") + f"?for={world.child.pk}").status_code == 404
    visit = booked(world.child, world.slots[1])
    assert f'data-appointment="{visit.pk}"' not in client.get(url("portal:visits")).content.decode()
    assert not Appointment.objects.filter(patient=world.child, slot=world.slots[0]).exists()


def test_a_child_who_turned_eighteen_cannot_be_cancelled_for_in_the_portal(world: World) -> None:
    visit = booked(world.child, world.slots[0], by=world.patient_a.user)
    turn_eighteen(world.child)
    assert logged_in(world.patient_a).post(url("portal:cancel", visit.pk)).status_code == 404
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_child_who_turned_eighteen_is_no_longer_managed_in_the_api(world: World) -> None:
    visit = booked(world.child, world.slots[0], by=world.patient_a.user)
    turn_eighteen(world.child)
    client = logged_in(world.patient_a)
    assert visit.pk not in [row["id"] for row in client.get("/api/v1/appointments").json()["results"]]
    booking = client.post(
        "/api/v1/appointments",
        {"slot_id": world.slots[1].pk, "patient_id": world.child.pk},
        content_type="application/json",
    )
    assert booking.status_code == 404
    assert client.post(f"/api/v1/appointments/{visit.pk}/cancel", content_type="application/json").status_code == 404


def test_the_eighteenth_birthday_is_the_boundary(world: World) -> None:
    """The day before the 18th birthday the guardian still books for the child."""
    today = clock.today()
    born = latest_birth_date_of_age(18, today) + dt.timedelta(days=1)
    Patient.objects.filter(pk=world.child.pk).update(birth_date=born)
    page = url("portal:book", world.slots[0].pk) + f"?service=konsultacja-interna&for={world.child.pk}"
    assert logged_in(world.patient_a).get(page).status_code == 200
