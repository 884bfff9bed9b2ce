"""ACC-8 in CHK-3: the check-in question is a notice — not for a patient who withdrew the SMS-notices consent."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts import contact
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment
from carenet.booking.tests.factories import NOW, AppointmentFactory, World
from carenet.messaging.models import OutboundMessage
from carenet.scheduling.models import Slot

pytestmark = pytest.mark.django_db

START = NOW + dt.timedelta(hours=2)


def visit(world: World, starts_at: dt.datetime, **fields: object) -> Appointment:
    slot = world.slot(starts_at=starts_at)
    appointment: Appointment = AppointmentFactory(slot=slot, service=world.consult, **fields)
    Slot.objects.filter(pk=slot.pk).update(is_free=False)
    return appointment


def test_no_question_without_the_consent(world: World) -> None:
    withdrawn = visit(world, START, patient=world.patient)
    kept = visit(world, START - dt.timedelta(minutes=5), patient=world.enrol())
    contact.consents_set(patient=world.patient, by=None, decisions={"sms_notices": False}, now=NOW)
    assert arrival.checkin_questions_enqueue(now=START - dt.timedelta(minutes=15)) == 1
    keys = set(OutboundMessage.objects.filter(purpose="checkin-question").values_list("key", flat=True))
    assert keys == {f"checkin-question:appointment:{kept.pk}"}
    withdrawn.refresh_from_db()
    assert withdrawn.checkin_asked_at is None
