"""Booking use cases against the database (BKG-1..6, CXL-1, CXL-2, PKG-4, PKG-5, NET-2, NET-3, SMS-1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import Patient, User
from carenet.booking import selectors
from carenet.booking.errors import BookingRefused, HoldExpired, NotHeld, SlotUnavailable
from carenet.booking.models import Appointment, SmsCancelPrompt
from carenet.booking.services import (
    OccupationalReferral,
    appointment_book,
    appointment_cancel,
    appointment_confirm,
    appointment_hold,
    appointment_reschedule,
    holds_expire,
    reminders_enqueue,
)
from carenet.clinical.models import Referral
from carenet.clinical.services import referral_issue
from carenet.core.errors import NotFound, PermissionDenied
from carenet.coverage.selectors import coverage_for
from carenet.messaging.models import InboundMessage, OutboundMessage
from carenet.messaging.services import inbound_receive
from carenet.network.models import FacilityClosure
from carenet.scheduling.models import Mode, Slot

from .factories import NOW, AppointmentFactory, PatientFactory, UserFactory, World

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def book(world: World, slot: Slot, **kwargs: object) -> Appointment:
    patient = kwargs.pop("patient", world.patient)
    actor = kwargs.pop("actor", patient.user)  # type: ignore[union-attr]
    kwargs.setdefault("channel", "portal")
    kwargs.setdefault("now", NOW)
    return appointment_book(actor=actor, patient=patient, slot_id=slot.pk, **kwargs)  # type: ignore[arg-type]


def refused(code: str, world: World, slot: Slot, **kwargs: object) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        book(world, slot, **kwargs)
    assert caught.value.code == code
    assert caught.value.status_code == 422
    return caught.value


# --- Booking --------------------------------------------------------------------------------------------------


def test_book_records_channel_actor_coverage_and_takes_the_slot(world: World) -> None:
    """BKG-1, BKG-2, SMS-1: channel and acting person recorded, slot no longer free, confirmation in the outbox."""
    slot = world.slot()
    appointment = book(world, slot)
    assert appointment.status == Status.BOOKED
    assert (appointment.channel, appointment.booked_by) == ("portal", world.patient.user)
    assert appointment.service == world.consult
    assert appointment.coverage_kind == "covered"
    assert appointment.price == Decimal("0")
    assert appointment.enrolment is not None
    slot.refresh_from_db()
    assert slot.is_free is False
    message = OutboundMessage.objects.get(key=f"booking-confirmation:appointment:{appointment.pk}")
    assert message.recipient == world.patient.mobile
    assert "03.03.2026 10:00" in message.body
    assert "CareNet Centrum Medyczne Mokotów, ul. Puławska 10, Warszawa" in message.body
    assert "Odpowiedz NIE, aby odwołać wizytę." in message.body
    assert "umówiono wizytę" in message.body


def test_a_taken_slot_answers_slot_taken(world: World) -> None:
    """BKG-2: the second booking of a slot loses with 409 slot_taken."""
    slot = world.slot()
    book(world, slot)
    other = world.enrol()
    with pytest.raises(SlotUnavailable) as caught:
        book(world, slot, patient=other)
    assert (caught.value.code, caught.value.status_code) == ("slot_taken", 409)


def test_confirmation_of_a_phone_consultation_says_teleconsultation(world: World) -> None:
    slot = world.slot(facility=None, room=None, mode=Mode.PHONE)
    appointment = book(world, slot)
    body = OutboundMessage.objects.get(key=f"booking-confirmation:appointment:{appointment.pk}").body
    assert "teleporada" in body
    assert "Lekarz zadzwoni do Ciebie." in body


def test_confirmation_carries_shortened_preparation(world: World) -> None:
    """SCH-4: preparation instructions in the confirmation."""
    slot = world.slot(services=[world.lab])
    referral = referral_issue(clinician=world.clinician, patient=world.patient, service=world.lab, now=NOW)
    appointment = book(world, slot, service_id=world.lab.pk, referral_id=referral.pk)
    body = OutboundMessage.objects.get(key=f"booking-confirmation:appointment:{appointment.pk}").body
    assert "Przygotowanie: Na czczo, rano." in body


def test_child_without_mobile_gets_messages_on_the_guardians_phone(world: World) -> None:
    """SMS-1: the guardian's number for a child without one; the guardian books for the child."""
    child = world.enrol(PatientFactory(child=True, guardian=world.patient))
    appointment = book(world, world.slot(), patient=child, actor=world.patient.user)
    message = OutboundMessage.objects.get(key=f"booking-confirmation:appointment:{appointment.pk}")
    assert message.recipient == world.patient.mobile


def test_no_recipient_no_message(world: World) -> None:
    patient = world.enrol(PatientFactory(mobile=""))
    book(world, world.slot(), patient=patient)
    assert not OutboundMessage.objects.exists()


def test_past_slot_is_refused(world: World) -> None:
    """BKG-3."""
    refused("slot_in_past", world, world.slot(starts_at=NOW - dt.timedelta(minutes=5)))


def test_partner_facility_is_refused_on_every_channel(world: World) -> None:
    """NET-2: partners are booked by phone or in person there, never through CareNet."""
    slot = world.slot(facility=world.partner, room=None)
    error = refused("facility_partner", world, slot)
    assert "+48 22 100 20 30" in str(error.message) or "telefon" in str(error.message).lower()
    refused("facility_partner", world, slot, actor=world.operator, channel="call_centre")
    assert Slot.objects.get(pk=slot.pk).is_free


def test_closed_facility_is_refused(world: World) -> None:
    """NET-3."""
    slot = world.slot()
    FacilityClosure.objects.create(
        facility=world.facility,
        starts_at=slot.starts_at - dt.timedelta(hours=1),
        ends_at=slot.starts_at + dt.timedelta(days=1),
        reason="kwarantanna",
    )
    refused("facility_closed", world, slot)


def test_no_entitlement_on_the_visit_day(world: World) -> None:
    """PKG-3, BKG-3."""
    stranger = PatientFactory()
    refused("no_entitlement", world, world.slot(), patient=stranger)


def test_age_outside_the_service_range(world: World) -> None:
    """PKG-4."""
    world.consult.min_age = 18
    world.consult.save()
    child = world.enrol(PatientFactory(child=True, guardian=world.patient))
    refused("age_not_allowed", world, world.slot(), patient=child, actor=world.patient.user)


def test_referral_required_consumed_and_freed_on_cancel(world: World) -> None:
    """BKG-4, CLN-1: a lab test needs a valid network referral; booking uses it, cancelling frees it."""
    slot = world.slot(services=[world.lab])
    refused("referral_required", world, slot, service_id=world.lab.pk)
    referral = referral_issue(clinician=world.clinician, patient=world.patient, service=world.lab, now=NOW)
    assert referral.valid_until == dt.date(2026, 6, 2)
    appointment = book(world, slot, service_id=world.lab.pk, referral_id=referral.pk)
    referral.refresh_from_db()
    assert referral.used_by == appointment
    second = world.slot(services=[world.lab])
    refused("referral_required", world, second, service_id=world.lab.pk, referral_id=referral.pk)
    appointment_cancel(actor=world.patient.user, appointment_id=appointment.pk, channel="portal", now=NOW)
    referral.refresh_from_db()
    assert referral.used_by is None
    assert book(world, second, service_id=world.lab.pk, referral_id=referral.pk).status == Status.BOOKED


def test_expired_or_foreign_referral_does_not_count(world: World) -> None:
    slot = world.slot(services=[world.lab])
    old = referral_issue(
        clinician=world.clinician,
        patient=world.patient,
        service=world.lab,
        valid_until=dt.date(2026, 2, 1),
        now=NOW - dt.timedelta(days=60),
    )
    refused("referral_required", world, slot, service_id=world.lab.pk, referral_id=old.pk)
    other = world.enrol()
    foreign = referral_issue(clinician=world.clinician, patient=other, service=world.lab, now=NOW)
    with pytest.raises(NotFound):
        book(world, slot, service_id=world.lab.pk, referral_id=foreign.pk)


def test_occupational_exam_needs_the_employers_referral(world: World) -> None:
    """BKG-6: the employer's name, NIP and referral number; they are stored as an employer referral."""
    slot = world.slot(specialty=world.occupational.specialty, services=[world.occupational])
    refused("occupational_referral_required", world, slot)
    refused(
        "occupational_referral_required",
        world,
        slot,
        occupational=OccupationalReferral(employer_name="ACME", employer_nip="", referral_number="7/2026"),
    )
    refused(
        "occupational_referral_required",
        world,
        slot,
        occupational=OccupationalReferral(employer_name="ACME", employer_nip="5260250275", referral_number="7/2026"),
    )
    data = OccupationalReferral(employer_name="ACME Sp. z o.o.", employer_nip="526-025-02-74", referral_number="7/2026")
    appointment = book(world, slot, occupational=data)
    referral = Referral.objects.get(used_by=appointment)
    assert (referral.source, referral.employer_nip, referral.issued_by) == ("employer", "5260250274", None)


def test_paid_service_needs_the_price_accepted(world: World) -> None:
    """PKG-4: not covered → bookable as paid, with the price accepted."""
    slot = world.slot(services=[world.paid])
    error = refused("price_not_accepted", world, slot)
    assert "180.00" in str(error.message)
    appointment = book(world, slot, accept_price=True)
    assert (appointment.price, appointment.coverage_kind) == (Decimal("180.00"), "not_covered")


def test_annual_limit_used_up_and_a_unit_comes_back_on_cancel(world: World) -> None:
    """PKG-5: 2 a year; the third is refused (or booked paid); cancelling gives the unit back."""
    first = book(world, world.slot(services=[world.physio]))
    book(world, world.slot(services=[world.physio]))
    assert first.limit_pool == "physio"
    third = world.slot(services=[world.physio])
    error = refused("limit_used", world, third)
    assert "120.00" in str(error.message)
    appointment_cancel(actor=world.patient.user, appointment_id=first.pk, channel="portal", now=NOW)
    decision = coverage_for(patient=world.patient, service=world.physio, day=dt.date(2026, 3, 3))
    assert (decision.kind, decision.left) == ("within_limit", 1)
    assert book(world, third).coverage_kind == "within_limit"


def test_limit_used_can_be_booked_as_paid(world: World) -> None:
    book(world, world.slot(services=[world.physio]))
    book(world, world.slot(services=[world.physio]))
    paid = book(world, world.slot(services=[world.physio]), accept_price=True)
    assert (paid.price, paid.limit_pool) == (Decimal("120.00"), "")


def test_level_one_cap_of_ten_portal_bookings(world: World) -> None:
    """ACC-3: at most 10 active portal bookings for level I; the call centre may book more."""
    world.patient.account_level = Patient.Level.BASIC
    world.patient.save()
    for _ in range(10):
        book(world, world.slot())
    refused("level_one_cap", world, world.slot())
    refused("level_one_cap", world, world.slot(), channel="mobile")
    assert book(world, world.slot(), actor=world.operator, channel="call_centre").status == Status.BOOKED


def test_no_show_block_for_that_specialty_only(world: World) -> None:
    """BKG-5: two no-shows within 30 days in internal medicine block it for 30 days; dermatology stays open."""
    for days_ago in (20, 5):
        past = world.slot(starts_at=NOW - dt.timedelta(days=days_ago))
        AppointmentFactory(patient=world.patient, slot=past, service=world.consult, status=Status.NO_SHOW)
    error = refused("no_show_block", world, world.slot())
    assert "27.03.2026" in str(error.message)
    derm = world.slot(specialty=world.other_specialty)
    assert book(world, derm).status == Status.BOOKED
    later = world.slot(starts_at=NOW + dt.timedelta(days=40))
    assert book(world, later, now=NOW + dt.timedelta(days=26)).status == Status.BOOKED


# --- Who may act ----------------------------------------------------------------------------------------------


def test_another_patient_cannot_book_for_me(world: World) -> None:
    """SEC: patient B booking for patient A → 404, nothing changed."""
    stranger = world.enrol()
    slot = world.slot()
    with pytest.raises(NotFound):
        book(world, slot, actor=stranger.user)
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=slot.pk).is_free


def test_receptionist_books_only_at_their_facility(world: World) -> None:
    own = book(world, world.slot(), actor=world.receptionist, channel="reception")
    assert own.channel == "reception"
    other_facility = world.slot(facility=world.partner, room=None)
    with pytest.raises(PermissionDenied):
        book(world, other_facility, actor=world.receptionist, channel="reception")
    with pytest.raises(PermissionDenied):
        book(world, world.slot(), actor=world.receptionist, channel="call_centre")


@pytest.mark.parametrize("role", [User.Role.CLINICIAN, User.Role.COORDINATOR])
def test_clinicians_and_coordinators_do_not_book(world: World, role: str) -> None:
    actor = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        book(world, world.slot(), actor=actor, channel="call_centre")


def test_access_appointment_by_role(world: World) -> None:
    """Visibility: own/child for patients, all for operator/admin, facility for reception, none for coordinators."""
    appointment = book(world, world.slot())
    clinician_user = UserFactory(role=User.Role.CLINICIAN)
    world.clinician.user = clinician_user
    world.clinician.save()
    other_reception = UserFactory(role=User.Role.RECEPTIONIST, facility=world.partner)
    allowed = [world.patient.user, world.operator, world.admin, world.receptionist, clinician_user]
    denied = [world.enrol().user, other_reception, UserFactory(role=User.Role.COORDINATOR)]
    for actor in allowed:
        assert selectors.access_appointment(actor=actor, appointment_id=appointment.pk) == appointment
    for actor in denied:
        with pytest.raises(NotFound):
            selectors.access_appointment(actor=actor, appointment_id=appointment.pk)
        with pytest.raises(NotFound):
            appointment_cancel(actor=actor, appointment_id=appointment.pk, channel="portal", now=NOW)
    assert Appointment.objects.get(pk=appointment.pk).status == Status.BOOKED


# --- Hold and confirm -----------------------------------------------------------------------------------------


def test_hold_then_confirm(world: World) -> None:
    """FHIR $hold / $confirm: the hold takes the slot at once; confirmation books it and sends the SMS."""
    slot = world.slot(services=[world.paid])
    held = appointment_hold(actor=world.patient.user, patient=world.patient, slot_id=slot.pk, channel="portal", now=NOW)
    assert held.status == Status.HELD
    assert held.hold_expires_at == NOW + dt.timedelta(minutes=5)
    assert not Slot.objects.get(pk=slot.pk).is_free
    assert not OutboundMessage.objects.exists()
    with pytest.raises(SlotUnavailable):
        book(world, slot, patient=world.enrol(), accept_price=True)
    with pytest.raises(BookingRefused) as caught:
        appointment_confirm(actor=world.patient.user, appointment_id=held.pk, now=NOW + dt.timedelta(minutes=1))
    assert caught.value.code == "price_not_accepted"
    booked = appointment_confirm(
        actor=world.patient.user, appointment_id=held.pk, accept_price=True, now=NOW + dt.timedelta(minutes=2)
    )
    assert (booked.status, booked.hold_expires_at, booked.price) == (Status.BOOKED, None, Decimal("180.00"))
    assert OutboundMessage.objects.filter(key=f"booking-confirmation:appointment:{held.pk}").exists()
    with pytest.raises(NotHeld):
        appointment_confirm(actor=world.patient.user, appointment_id=held.pk, now=NOW + dt.timedelta(minutes=3))


def test_confirming_an_expired_hold_expires_it_and_frees_the_slot(world: World) -> None:
    slot = world.slot()
    held = appointment_hold(actor=world.patient.user, patient=world.patient, slot_id=slot.pk, channel="portal", now=NOW)
    with pytest.raises(HoldExpired) as caught:
        appointment_confirm(actor=world.patient.user, appointment_id=held.pk, now=NOW + dt.timedelta(minutes=6))
    assert (caught.value.code, caught.value.status_code) == ("hold_expired", 409)
    assert Appointment.objects.get(pk=held.pk).status == Status.EXPIRED
    assert Slot.objects.get(pk=slot.pk).is_free


def test_an_expired_hold_gives_way_to_the_next_booking(world: World) -> None:
    slot = world.slot()
    held = appointment_hold(actor=world.patient.user, patient=world.patient, slot_id=slot.pk, channel="portal", now=NOW)
    other = world.enrol()
    booked = book(world, slot, patient=other, now=NOW + dt.timedelta(minutes=5))
    assert booked.status == Status.BOOKED
    assert Appointment.objects.get(pk=held.pk).status == Status.EXPIRED


def test_holds_expire_sweep(world: World) -> None:
    slots = [world.slot() for _ in range(3)]
    for index, slot in enumerate(slots):
        appointment_hold(
            actor=world.patient.user,
            patient=world.patient,
            slot_id=slot.pk,
            channel="portal",
            now=NOW + dt.timedelta(minutes=index * 10),
        )
    assert holds_expire(now=NOW + dt.timedelta(minutes=16)) == 2
    assert [Slot.objects.get(pk=s.pk).is_free for s in slots] == [True, True, False]
    assert holds_expire(now=NOW + dt.timedelta(minutes=16)) == 0


# --- Reschedule -----------------------------------------------------------------------------------------------


def test_reschedule_moves_the_visit_the_referral_and_the_limit_unit(world: World) -> None:
    """The new slot is taken, the old released, in one step; rescheduled_from recorded; no cancellation SMS."""
    book(world, world.slot(services=[world.physio]))
    old = book(world, world.slot(services=[world.physio]))  # the limit is now used up
    new_slot = world.slot(services=[world.physio])
    new = appointment_reschedule(
        actor=world.patient.user, appointment_id=old.pk, new_slot_id=new_slot.pk, channel="portal", now=NOW
    )
    old.refresh_from_db()
    assert (old.status, new.status, new.rescheduled_from) == (Status.CANCELLED, Status.BOOKED, old)
    assert (new.limit_pool, new.price) == ("physio", Decimal("0"))
    assert Slot.objects.get(pk=old.slot_id).is_free and not Slot.objects.get(pk=new_slot.pk).is_free
    assert not OutboundMessage.objects.filter(key=f"cancellation:appointment:{old.pk}").exists()
    assert OutboundMessage.objects.filter(key=f"booking-confirmation:appointment:{new.pk}").exists()


def test_reschedule_with_referral(world: World) -> None:
    referral = referral_issue(clinician=world.clinician, patient=world.patient, service=world.lab, now=NOW)
    old = book(world, world.slot(services=[world.lab]), service_id=world.lab.pk, referral_id=referral.pk)
    new = appointment_reschedule(
        actor=world.patient.user,
        appointment_id=old.pk,
        new_slot_id=world.slot(services=[world.lab]).pk,
        channel="portal",
        now=NOW,
    )
    referral.refresh_from_db()
    assert referral.used_by == new


def test_reschedule_to_a_taken_slot_keeps_the_old_visit(world: World) -> None:
    """The patient never ends up with neither."""
    old = book(world, world.slot())
    taken = world.slot()
    book(world, taken, patient=world.enrol())
    with pytest.raises(SlotUnavailable):
        appointment_reschedule(
            actor=world.patient.user, appointment_id=old.pk, new_slot_id=taken.pk, channel="portal", now=NOW
        )
    old.refresh_from_db()
    assert old.status == Status.BOOKED
    assert not Slot.objects.get(pk=old.slot_id).is_free


def test_reschedule_refused_keeps_the_old_visit(world: World) -> None:
    old = book(world, world.slot())
    partner = world.slot(facility=world.partner, room=None)
    with pytest.raises(BookingRefused):
        appointment_reschedule(
            actor=world.patient.user, appointment_id=old.pk, new_slot_id=partner.pk, channel="portal", now=NOW
        )
    assert Appointment.objects.get(pk=old.pk).status == Status.BOOKED
    assert Appointment.objects.count() == 1


# --- Cancel ---------------------------------------------------------------------------------------------------


def test_cancel_frees_the_slot_at_once_and_sends_the_cancellation(world: World) -> None:
    """CXL-1, SMS-1."""
    slot = world.slot()
    appointment = book(world, slot)
    cancelled = appointment_cancel(actor=world.patient.user, appointment_id=appointment.pk, channel="portal", now=NOW)
    assert (cancelled.status, cancelled.cancel_channel, cancelled.cancelled_by) == (
        Status.CANCELLED,
        "portal",
        world.patient.user,
    )
    assert Slot.objects.get(pk=slot.pk).is_free
    message = OutboundMessage.objects.get(key=f"cancellation:appointment:{appointment.pk}")
    assert "odwołano wizytę" in message.body
    assert book(world, slot, patient=world.enrol()).status == Status.BOOKED
    with pytest.raises(BookingRefused) as caught:
        appointment_cancel(actor=world.patient.user, appointment_id=appointment.pk, channel="portal", now=NOW)
    assert caught.value.code == "appointment_not_active"


def test_level_one_cancels_in_the_portal_only_portal_bookings(world: World) -> None:
    """ACC-3, CXL-1."""
    world.patient.account_level = Patient.Level.BASIC
    world.patient.save()
    by_phone = book(world, world.slot(), actor=world.operator, channel="call_centre")
    with pytest.raises(BookingRefused) as caught:
        appointment_cancel(actor=world.patient.user, appointment_id=by_phone.pk, channel="portal", now=NOW)
    assert caught.value.code == "level_one_not_portal"
    assert (
        appointment_cancel(actor=world.operator, appointment_id=by_phone.pk, channel="call_centre", now=NOW).status
        == Status.CANCELLED
    )


def test_cancel_of_a_started_visit_is_refused(world: World) -> None:
    appointment = book(world, world.slot())
    with pytest.raises(BookingRefused) as caught:
        appointment_cancel(
            actor=world.patient.user,
            appointment_id=appointment.pk,
            channel="portal",
            now=appointment.slot.starts_at + dt.timedelta(minutes=1),
        )
    assert caught.value.code == "slot_in_past"


def test_cancel_withdraws_a_pending_reminder(world: World) -> None:
    appointment = book(world, world.slot())
    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 1
    appointment_cancel(actor=world.patient.user, appointment_id=appointment.pk, channel="portal", now=NOW)
    reminder = OutboundMessage.objects.get(key=f"reminder:appointment:{appointment.pk}")
    assert reminder.status == OutboundMessage.Status.FAILED


# --- Reminders (SMS-1) ----------------------------------------------------------------------------------------


def test_reminders_room_reception_and_phone_once(world: World) -> None:
    """SMS-1: room number if the slot has one, otherwise "go to reception"; phone: the clinician calls."""
    with_room = book(world, world.slot())
    without_room = book(world, world.slot(room=None))
    by_phone = book(world, world.slot(facility=None, room=None, mode=Mode.PHONE))
    book(world, world.slot(starts_at=NOW + dt.timedelta(days=3)))  # another day
    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 3
    assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 0
    bodies = {m.key: m for m in OutboundMessage.objects.filter(purpose="reminder")}
    assert "Gabinet 12." in bodies[f"reminder:appointment:{with_room.pk}"].body
    assert "zgłoś się do recepcji" in bodies[f"reminder:appointment:{without_room.pk}"].body.lower()
    assert "Lekarz zadzwoni do Ciebie." in bodies[f"reminder:appointment:{by_phone.pk}"].body
    reminder = bodies[f"reminder:appointment:{with_room.pk}"]
    assert reminder.next_attempt_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # 10:00 Warsaw the day before


def test_reminders_read_the_day_in_one_query(world: World) -> None:
    """Set-based: one read of the day's visits with everything the text needs; the rest is the outbox's writes."""
    child = world.enrol(PatientFactory(child=True, guardian=world.patient))
    for index in range(5):
        book(world, world.slot(), patient=child if index % 2 else world.patient, actor=world.patient.user)
    with CaptureQueriesContext(connection) as queries:
        assert reminders_enqueue(day=dt.date(2026, 3, 3), now=NOW) == 5
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "booking_appointment"' in q["sql"]]
    assert len(reads) == 1
    assert not [q for q in queries.captured_queries if 'FROM "accounts_patient"' in q["sql"]]
    assert not [q for q in queries.captured_queries if 'FROM "scheduling_slot"' in q["sql"]]


# --- Lists ----------------------------------------------------------------------------------------------------


def test_appointment_list_for_patient_upcoming_and_past(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    """The list is one query on the appointments and their slots; what a row shows is attached by primary key in
    four more: slots with their details, services, who booked (the list's patient costs none)."""
    coming = [book(world, world.slot()) for _ in range(3)]
    cancelled = book(world, world.slot())
    appointment_cancel(actor=world.patient.user, appointment_id=cancelled.pk, channel="portal", now=NOW)
    with django_assert_num_queries(4):
        upcoming = selectors.appointment_details_load(
            selectors.appointment_list_for_patient(patient=world.patient, upcoming=True, now=NOW)
        )
        assert [str(a.slot.facility.city) for a in upcoming]
        assert [(a.patient, a.service.name, a.slot.clinician.last_name, a.booked_by) for a in upcoming]
        assert [(a.slot.room, a.slot.specialty) for a in upcoming]
    assert upcoming == coming
    past = list(selectors.appointment_list_for_patient(patient=world.patient, upcoming=False, now=NOW))
    assert past == [Appointment.objects.get(pk=cancelled.pk)]


# --- SMS NIE (CXL-2, SMS-2) -----------------------------------------------------------------------------------

_sms_ids = iter(range(1, 10_000))


def sms(sender: str, text: str) -> InboundMessage:
    return inbound_receive(
        provider="smsapi",
        provider_message_id=f"MO-{next(_sms_ids)}",
        sender=sender.removeprefix("+"),
        recipient="48799000000",
        text=text,
        received_at=NOW,
    )


@pytest.fixture
def at_now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def reply_to(message: InboundMessage) -> str:
    return OutboundMessage.objects.get(key=f"reply:{message.pk}").body


@pytest.mark.usefixtures("at_now")
def test_sms_nie_with_one_upcoming_visit_cancels_it(world: World) -> None:
    appointment = book(world, world.slot())
    message = sms(world.patient.mobile, "  Nie, dziękuję ")
    assert message.handler == "booking-cancel-no"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_channel) == (Status.CANCELLED, "sms")
    assert OutboundMessage.objects.filter(
        key=f"cancellation:appointment:{appointment.pk}", recipient=world.patient.mobile
    ).exists()
    assert not OutboundMessage.objects.filter(key=f"reply:{message.pk}").exists()  # the cancellation is the answer


@pytest.mark.usefixtures("at_now")
def test_sms_nie_with_several_visits_lists_them_and_a_number_cancels_one(world: World) -> None:
    """CXL-2: a numbered list, then the number; the child's visit on the guardian's phone is listed too."""
    child = world.enrol(PatientFactory(child=True, guardian=world.patient))
    first = book(world, world.slot())
    second = book(world, world.slot(), patient=child, actor=world.patient.user)
    third = book(world, world.slot())
    message = sms(world.patient.mobile, "NIE")
    body = reply_to(message)
    assert "Odpowiedz numerem" in body
    assert "1) 03.03 10:00" in body and "2) 03.03 10:15" in body and "(Zosia)" in body
    assert SmsCancelPrompt.objects.get().appointment_ids == [first.pk, second.pk, third.pk]
    assert Appointment.objects.filter(status=Status.CANCELLED).count() == 0

    out_of_range = sms(world.patient.mobile, "7")
    assert "od 1 do 3" in reply_to(out_of_range)
    answer = sms(world.patient.mobile, "nr 2")
    assert answer.handler == "booking-cancel-choice"
    statuses = {a.pk: a.status for a in Appointment.objects.all()}
    assert statuses == {first.pk: Status.BOOKED, second.pk: Status.CANCELLED, third.pk: Status.BOOKED}
    again = sms(world.patient.mobile, "2")  # the list was answered
    assert "nie czekamy" in reply_to(again).lower() or "lista" in reply_to(again).lower()
    assert Appointment.objects.filter(status=Status.CANCELLED).count() == 1


@pytest.mark.usefixtures("at_now")
def test_sms_from_unknown_number_or_without_visits_changes_nothing(world: World) -> None:
    appointment = book(world, world.slot())
    unknown = sms("+48600999888", "NIE")
    assert "nie rozpoznajemy" in reply_to(unknown).lower()
    number = sms("+48600999888", "1")
    assert "infolini" in reply_to(number).lower()
    nobody = world.enrol()
    empty = sms(nobody.mobile, "nie")
    assert "nie masz nadchodzących wizyt" in reply_to(empty).lower()
    assert Appointment.objects.get(pk=appointment.pk).status == Status.BOOKED
    assert not SmsCancelPrompt.objects.exists()


@pytest.mark.usefixtures("at_now")
def test_sms_cancel_asks_the_table_a_grown_up_childs_visit_is_not_the_guardians(world: World) -> None:
    """CXL-2, SEC (issue 10): the SMS door asks the permission table like every door — a guardian's phone cancels the
    visits of their children under 18 only (the old check compared the guardian link and forgot the age)."""
    from carenet.booking.services import appointment_cancel_by_sms
    from carenet.core.errors import NotFound

    grown = world.enrol(PatientFactory(guardian=world.patient, birth_date=dt.date(1990, 1, 1)))
    visit = book(world, world.slot(), patient=grown, actor=grown.user)
    with pytest.raises(NotFound):
        appointment_cancel_by_sms(patient=world.patient, appointment_id=visit.pk, now=NOW)
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED
    own = book(world, world.slot())
    assert appointment_cancel_by_sms(patient=world.patient, appointment_id=own.pk, now=NOW).status == Status.CANCELLED
