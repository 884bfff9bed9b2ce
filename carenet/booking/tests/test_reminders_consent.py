"""ACC-8 in the reminder task: a reminder is a notice — not made for a patient who withdrew the SMS-notices consent,
nor for a child whose guardian did; the booking confirmation (transactional) still goes."""

from __future__ import annotations

import datetime as dt

from carenet.accounts import contact
from carenet.booking.services import appointment_book, reminders_enqueue
from carenet.messaging.models import OutboundMessage

from .factories import NOW, PatientFactory, World


def test_reminders_skip_patients_without_the_sms_consent(world: World) -> None:
    withdrawn = world.patient
    kept = world.enrol()
    child = world.enrol(PatientFactory(child=True, guardian=withdrawn))
    visits = {}
    for name, patient, actor in (
        ("withdrawn", withdrawn, withdrawn.user),
        ("kept", kept, kept.user),
        ("child", child, withdrawn.user),
    ):
        visits[name] = appointment_book(
            actor=actor, patient=patient, slot_id=world.slot().pk, channel="portal", now=NOW
        )
    contact.consents_set(patient=withdrawn, by=withdrawn.user, decisions={"sms_notices": False}, now=NOW)

    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 1
    reminded = set(OutboundMessage.objects.filter(purpose="reminder").values_list("patient_id", flat=True))
    assert reminded == {kept.pk}
    # Transactional: every booking was confirmed whatever the consent.
    assert OutboundMessage.objects.filter(purpose="booking-confirmation").count() == 3

    # Given again: the next run makes the missing reminders (still once each).
    contact.consents_set(patient=withdrawn, by=withdrawn.user, decisions={"sms_notices": True}, now=NOW)
    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 2
    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 0


def test_a_new_number_waiting_for_its_code_gets_no_messages(world: World) -> None:
    """ACC-8: until the code is typed in, every SMS goes to the number in use."""
    old = world.patient.mobile
    contact.phone_change_request(patient=world.patient, new_mobile="600 111 222", now=NOW)
    appointment_book(
        actor=world.patient.user, patient=world.patient, slot_id=world.slot().pk, channel="portal", now=NOW
    )
    reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW)
    recipients = set(
        OutboundMessage.objects.filter(purpose__in=["booking-confirmation", "reminder"]).values_list(
            "recipient", flat=True
        )
    )
    assert recipients == {old}
