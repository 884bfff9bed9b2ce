"""Review of issue 14's booking flow: holes found by attacking the new pages, each closed with a test that fails
without its fix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carenet.booking.models import Appointment
from carenet.portal.tests.booking_world import World, booked, build_world, url
from carenet.staff.tests.test_reception import NOW, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(time_machine: Any) -> World:
    time_machine.move_to(NOW, tick=False)
    return build_world()


def _patient(world: World) -> Client:
    client = Client()
    client.force_login(world.patient_a.user)
    return client


# --- A confirmation step for a service the slot does not offer -------------------------------------------------


def test_the_confirmation_step_does_not_offer_a_service_the_slot_does_not_have(world: World) -> None:
    """``?service=`` edited to another service (an ultrasound on a consultation's time) showed that service's price
    and coverage on the confirmation step, which the booking then refused: the offer does not exist (BKG-3)."""
    client = _patient(world)
    slot = world.slots[0]
    target = url("portal:book", slot.pk) + f"?service={world.ultrasound.code}"
    assert client.get(target).status_code == 404
    assert client.post(target, {"accept_price": "on"}).status_code == 404
    assert not Appointment.objects.exists()
    # The slot's own service is offered as before.
    assert client.get(url("portal:book", slot.pk) + f"?service={world.consultation.code}").status_code == 200
    staff = client_for(world, "call_centre")
    staff_target = url("staff:book", world.patient_a.pk, slot.pk) + f"?service={world.ultrasound.code}"
    assert staff.get(staff_target).status_code == 404


def test_a_reschedule_to_a_slot_of_another_service_is_no_offer(world: World) -> None:
    """The reschedule's confirmation, opened on a slot whose schedule does not offer the booked service (an edited
    address), showed the booked service at that slot; now there is no such offer (SCH-2, issue 14)."""
    visit = booked(world.patient_a, world.slots[0])
    client = _patient(world)
    assert client.get(url("portal:reschedule_confirm", visit.pk, world.paid_slot.pk)).status_code == 404
    assert client.get(url("portal:reschedule_confirm", visit.pk, world.slots[1].pk)).status_code == 200
