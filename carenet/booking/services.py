"""Booking use cases (BKG-1..6, CXL-1, CXL-2, PKG-4, PKG-5, SMS-1): book, hold, confirm, reschedule, cancel,
expire holds, enqueue reminders. Every front door (API, portal, consoles, the SMS reply) calls these.

Concurrency (BKG-2, STYLE rule 3): each use case runs in one ``transaction.atomic``; it locks the patient row
(so the level I cap and the annual limits are counted by one booking of that patient at a time) and then the slot
rows it touches, in id order. The partial unique constraint ``one_active_appointment_per_slot`` is what makes a
slot hold at most one active appointment; losing to it becomes :class:`SlotUnavailable`. On SQLite the
transactions begin IMMEDIATE with a busy timeout, so writers queue. ``Slot.is_free`` (what the search reads) is
written here only, in the transaction that takes or frees the slot.

Side effects (SMS) are outbox rows written in the same transaction (SMS-3), keyed by their cause.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Q, QuerySet
from django.utils.translation import gettext
from stdnum.pl import nip

from carenet.accounts.models import ConsentKind, Patient, User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_patient, actor_for_user, consent_refused_patients
from carenet.booking import errors, policies, selectors
from carenet.booking.errors import BookingRefused, HoldExpired, NotHeld, SlotUnavailable
from carenet.booking.models import Appointment, Channel
from carenet.booking.sms_wording import cancellation_text, confirmation_text, reminder_text
from carenet.clinical.models import Referral
from carenet.clinical.policies import ReferralFacts, ReferralSource, default_valid_until, referral_usable
from carenet.core import clock
from carenet.core.baked import BakedQuery
from carenet.core.errors import NotFound, ValidationFailed
from carenet.core.inserts import insert_new, update_row
from carenet.coverage.models import Enrolment
from carenet.coverage.policies import CoverageDecision
from carenet.coverage.selectors import catalogue_services, coverage_and_enrolment, pregnancy_service_ids
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import OutboxItem, outbox_enqueue, outbox_enqueue_many
from carenet.network.models import Clinician, Service, Specialty
from carenet.network.selectors import closures_of_slot
from carenet.pregnancy.selectors import pregnancy_facility_ids
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.scheduling.search import SlotRow

Status = Appointment.Status

#: The actions a booking may be made under (:func:`appointment_book`).
BOOKING_ACTIONS = frozenset({Action.APPOINTMENT_BOOK, Action.PREGNANCY_REQUEST_RESOLVE})


@dataclass(frozen=True, slots=True)
class OccupationalReferral:
    """BKG-6: the employer's referral data for an occupational-medicine exam."""

    employer_name: str
    employer_nip: str
    referral_number: str

    @property
    def nip(self) -> str:
        """The NIP as 10 digits ("526-025-02-74" → "5260250274")."""
        return nip.compact(self.employer_nip)

    @property
    def complete(self) -> bool:
        """All three given, the NIP valid (checksum), and within what the referral record stores."""
        name, number = self.employer_name.strip(), self.referral_number.strip()
        return bool(name and number and len(name) <= 200 and len(number) <= 60 and nip.is_valid(self.employer_nip))


def booking_limits() -> policies.BookingLimits:
    """The administrator's numbers from the settings "Booking" block."""
    return policies.BookingLimits(
        level_one_max_portal_bookings=settings.CARENET_LEVEL_ONE_MAX_PORTAL_BOOKINGS,
        no_show_count=settings.CARENET_NO_SHOW_BLOCK_COUNT,
        no_show_window=dt.timedelta(days=settings.CARENET_NO_SHOW_WINDOW_DAYS),
        no_show_block=dt.timedelta(days=settings.CARENET_NO_SHOW_BLOCK_DAYS),
    )


# --- Book, hold, confirm --------------------------------------------------------------------------------------


def appointment_book(
    *,
    actor: User,
    patient: Patient,
    slot_id: int,
    service_id: int | None = None,
    channel: str,
    accept_price: bool = False,
    referral_id: int | None = None,
    occupational: OccupationalReferral | None = None,
    now: dt.datetime | None = None,
    action: Action = Action.APPOINTMENT_BOOK,
    referral_valid_on: dt.date | None = None,
) -> Appointment:
    """BKG-1..6: book ``slot_id`` for ``patient``; refused with :class:`BookingRefused` (its code says why), lost
    to another booking with :class:`SlotUnavailable`. Records the channel and the acting person (BKG-1), uses the
    referral (BKG-4, BKG-6) and writes the confirmation SMS to the outbox (SMS-1).

    ``action``: the table's action the actor books under — APPOINTMENT_BOOK, or PREGNANCY_REQUEST_RESOLVE when a
    coordinator books the visit that resolves a pregnancy-care request (BKG-7, called by
    :func:`carenet.pregnancy.services.pregnancy_request_book` only); every booking rule applies either way.

    ``referral_valid_on``: the day the referral's validity is judged on instead of today — the rebooking of a visit
    the network cancelled (NET-3) keeps the referral that visit held even when it has expired since."""
    if action not in BOOKING_ACTIONS:
        raise ValueError(f"{action} does not book")
    now = now or clock.now()
    with transaction.atomic():
        _check_channel(channel)  # before any lock; the actor is checked against the locked slot
        _lock_patient(patient)
        slot = _lock_slots(slot_id)[slot_id]
        _check_actor_for_slot(actor=actor, patient=patient, channel=channel, slot=slot, action=action)
        _take(slot=slot, now=now)
        service = _service_for(slot=slot, service_id=service_id)
        decision, enrolment = _coverage(patient=patient, service=service, slot=slot)
        referral = _referral(referral_id, patient=patient)
        facts = _facts(
            actor=actor,
            patient=patient,
            slot=slot,
            service=service,
            channel=channel,
            decision=decision,
            now=now,
            stage=policies.Stage.BOOK,
            accept_price=accept_price,
            referral=referral,
            occupational=occupational,
            referral_valid_on=referral_valid_on,
        )
        _refuse_if_needed(facts)
        appointment = _insert(
            patient=patient,
            slot=slot,
            service=service,
            channel=channel,
            actor=actor,
            decision=decision,
            enrolment=enrolment,
            status=Status.BOOKED,
            accept_price=accept_price,
            now=now,
        )
        _use_referral(appointment, referral=referral, occupational=occupational, patient=patient, now=now)
        _enqueue_confirmation(appointment)
    return appointment


def appointment_hold(
    *,
    actor: User,
    patient: Patient,
    slot_id: int,
    service_id: int | None = None,
    channel: str,
    now: dt.datetime | None = None,
) -> Appointment:
    """FHIR $hold: keep the slot for the patient for ``CARENET_HOLD_MINUTES`` while they confirm. Every refusal is
    checked except the price and the referral, which come with the confirmation."""
    now = now or clock.now()
    with transaction.atomic():
        _check_channel(channel)  # before any lock; the actor is checked against the locked slot
        _lock_patient(patient)
        slot = _lock_slots(slot_id)[slot_id]
        _check_actor_for_slot(actor=actor, patient=patient, channel=channel, slot=slot)
        _take(slot=slot, now=now)
        service = _service_for(slot=slot, service_id=service_id)
        decision, enrolment = _coverage(patient=patient, service=service, slot=slot)
        facts = _facts(
            actor=actor,
            patient=patient,
            slot=slot,
            service=service,
            channel=channel,
            decision=decision,
            now=now,
            stage=policies.Stage.HOLD,
        )
        _refuse_if_needed(facts)
        appointment = _insert(
            patient=patient,
            slot=slot,
            service=service,
            channel=channel,
            actor=actor,
            decision=decision,
            enrolment=enrolment,
            status=Status.HELD,
            accept_price=False,
            now=now,
            hold_expires_at=now + dt.timedelta(minutes=settings.CARENET_HOLD_MINUTES),
        )
    return appointment


def appointment_confirm(
    *,
    actor: User,
    appointment_id: int,
    accept_price: bool = False,
    referral_id: int | None = None,
    occupational: OccupationalReferral | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """FHIR $confirm: turn a hold into a booking (HELD → BOOKED) after checking every rule again, with the price
    and the referral. A hold past its expiry is marked EXPIRED (the slot is free again) and :class:`HoldExpired`
    is raised."""
    now = now or clock.now()
    expired = False
    with transaction.atomic():
        visible = selectors.access_appointment(actor=actor, appointment_id=appointment_id)
        patient = visible.patient
        _check_actor_for_slot(actor=actor, patient=patient, channel=visible.channel, slot=visible.slot)
        _lock_patient(patient)
        slot = _lock_slots(visible.slot_id)[visible.slot_id]
        appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment_id)
        if appointment.status == Status.HELD and appointment.hold_expires_at and appointment.hold_expires_at <= now:
            _expire([appointment.pk], slot_ids=[slot.pk])
            expired = True
        elif appointment.status == Status.EXPIRED:
            expired = True
        elif appointment.status != Status.HELD:
            raise NotHeld()
        else:
            service = appointment.service
            decision, enrolment = _coverage(patient=patient, service=service, slot=slot)
            referral = _referral(referral_id, patient=patient)
            facts = _facts(
                actor=actor,
                patient=patient,
                slot=slot,
                service=service,
                channel=appointment.channel,
                decision=decision,
                now=now,
                stage=policies.Stage.BOOK,
                accept_price=accept_price,
                referral=referral,
                occupational=occupational,
                exclude_ids=(appointment.pk,),
                for_appointment_id=appointment.pk,
            )
            _refuse_if_needed(facts)
            _apply_decision(appointment, decision=decision, enrolment=enrolment, accept_price=accept_price)
            appointment.status = Status.BOOKED
            appointment.hold_expires_at = None
            appointment.save(
                update_fields=["status", "hold_expires_at", "price", "limit_pool", "coverage_kind", "enrolment"]
            )
            _use_referral(appointment, referral=referral, occupational=occupational, patient=patient, now=now)
            _enqueue_confirmation(appointment)
    if expired:
        raise HoldExpired()
    return appointment


# --- Reschedule, cancel ---------------------------------------------------------------------------------------


def appointment_reschedule(
    *,
    actor: User,
    appointment_id: int,
    new_slot_id: int,
    channel: str,
    accept_price: bool = False,
    referral_id: int | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booked visit to another slot in one step: the new slot is locked and taken first, then the old visit
    is cancelled, in one transaction — a refusal or a lost race leaves the old visit untouched, so the patient
    never ends up with neither. The new appointment records ``rescheduled_from``; the referral and the annual
    limit unit move with it (PKG-5). One confirmation SMS for the new time; no cancellation SMS."""
    now = now or clock.now()
    with transaction.atomic():
        visible = selectors.access_appointment(actor=actor, appointment_id=appointment_id)
        patient = visible.patient
        if new_slot_id == visible.slot_id:
            raise ValidationFailed(gettext("The new time is the same as the old one."), code="same_slot")
        _check_actor_for_slot(actor=actor, patient=patient, channel=channel, slot=visible.slot)
        _check_actor(actor=actor, patient=patient, channel=channel, slot_id=new_slot_id)
        _lock_patient(patient)
        slots = _lock_slots(new_slot_id, visible.slot_id)
        new_slot, old_slot = slots[new_slot_id], slots[visible.slot_id]
        old = Appointment.objects.select_for_update(of=("self",)).select_related("service").get(pk=appointment_id)
        _refuse_cancel_if_needed(old, patient=patient, slot=old_slot, channel=channel, now=now)
        if old.status != Status.BOOKED:
            raise BookingRefused.from_refusal(policies.Refusal(policies.RefusalCode.APPOINTMENT_NOT_ACTIVE))
        service = _service_for(slot=new_slot, service_id=old.service_id)
        old_referral = Referral.objects.select_for_update().filter(used_by=old).first()
        # 1. Take the new slot (the constraint decides against concurrent bookings).
        _take(slot=new_slot, now=now)
        new = _insert(
            patient=patient,
            slot=new_slot,
            service=service,
            channel=channel,
            actor=actor,
            decision=None,
            enrolment=None,
            status=Status.BOOKED,
            accept_price=accept_price,
            now=now,
            rescheduled_from=old,
        )
        # 2. Release the old one; its limit unit and referral are free for the new visit.
        _mark_cancelled(old, actor=actor, channel=channel, now=now)
        _free_slot(old_slot)
        if old_referral is not None:
            Referral.objects.filter(pk=old_referral.pk).update(used_by=None)
            old_referral.used_by_id = None
        # 3. Decide on the new visit as if it were booked now (every rule, the price, the referral).
        referral = _referral(referral_id, patient=patient) if referral_id is not None else old_referral
        decision, enrolment = _coverage(patient=patient, service=service, slot=new_slot)
        facts = _facts(
            actor=actor,
            patient=patient,
            slot=new_slot,
            service=service,
            channel=channel,
            decision=decision,
            now=now,
            stage=policies.Stage.BOOK,
            accept_price=accept_price,
            referral=referral,
            occupational=_occupational_of(old_referral),
            exclude_ids=(new.pk,),
            for_appointment_id=new.pk,
        )
        _refuse_if_needed(facts)
        _apply_decision(new, decision=decision, enrolment=enrolment, accept_price=accept_price)
        new.save(update_fields=["price", "limit_pool", "coverage_kind", "enrolment"])
        _use_referral(new, referral=referral, occupational=None, patient=patient, now=now)
        _withdraw_reminder(old)
        _enqueue_confirmation(new)
    return new


def appointment_cancel(
    *, actor: User, appointment_id: int, channel: str, now: dt.datetime | None = None
) -> Appointment:
    """CXL-1: cancel a booked visit (or release a hold). The slot is free for others at once, the referral can be
    booked again, the annual limit unit comes back (PKG-5: limits count by status), and the patient gets a
    cancellation SMS through the outbox."""
    now = now or clock.now()
    with transaction.atomic():
        visible = selectors.access_appointment(actor=actor, appointment_id=appointment_id)
        _check_actor_for_slot(
            actor=actor, patient=visible.patient, channel=channel, slot=visible.slot, action=Action.APPOINTMENT_CANCEL
        )
        return _cancel(visible, actor=actor, channel=channel, now=now)


def appointment_cancel_by_sms(*, patient: Patient, appointment_id: int, now: dt.datetime | None = None) -> Appointment:
    """CXL-1, CXL-2: the patient replied NIE from their phone (the phone number identifies them; the SMS handler
    has already matched the visit to it). Same rules and effects as :func:`appointment_cancel`."""
    now = now or clock.now()
    with transaction.atomic():
        visible = Appointment.objects.select_related("patient", "slot").get(pk=appointment_id)
        problem = policies.actor_problem(
            actor_for_patient(patient, today=clock.local(now).date()),
            action=Action.APPOINTMENT_CANCEL,
            patient_id=visible.patient_id,
            channel=Channel.SMS,
            slot_facility_id=visible.slot.facility_id,
        )
        if problem is not None:  # not theirs, nor a child's under 18: as if it did not exist
            raise errors.appointment_not_found()
        actor = patient.user if patient.user_id else None
        return _cancel(visible, actor=actor, channel=Channel.SMS, now=now)


def _cancel(visible: Appointment, *, actor: User | None, channel: str, now: dt.datetime) -> Appointment:
    patient = visible.patient
    _lock_patient(patient)
    slot = _lock_slots(visible.slot_id)[visible.slot_id]
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=visible.pk)
    _refuse_cancel_if_needed(appointment, patient=patient, slot=slot, channel=channel, now=now)
    was_booked = appointment.status == Status.BOOKED
    _mark_cancelled(appointment, actor=actor, channel=channel, now=now)
    _free_slot(slot)
    Referral.objects.filter(used_by=appointment).update(used_by=None)
    if was_booked:
        _withdraw_reminder(appointment)
        _enqueue_cancellation(appointment, patient=patient, slot=slot)
    appointment.slot = slot
    appointment.patient = patient
    return appointment


# --- On-demand online consultations (TEL-2) -------------------------------------------------------------------


def _on_demand_slot(*, specialty: Specialty, clinician: Clinician | None, starts_at: dt.datetime, minutes: int) -> Slot:
    """The time of an on-demand consultation: a slot of no schedule (nobody books it from a search), remote (video:
    no facility, no city), of the line's specialty, starting when the clinician takes the patient."""
    return Slot(
        schedule=None,
        clinician=clinician,
        facility=None,
        city=None,
        room=None,
        specialty=specialty,
        mode=Mode.VIDEO,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        is_free=False,
    )


def _on_demand_facts(
    *, patient: Patient, slot: Slot, service: Service, channel: str, booked_by: User, now: dt.datetime
) -> tuple[policies.BookingFacts, CoverageDecision, Enrolment | None]:
    decision, enrolment = _coverage(patient=patient, service=service, slot=slot)
    facts = _facts(
        actor=booked_by,
        patient=patient,
        slot=slot,
        service=service,
        channel=channel,
        decision=decision,
        now=now,
        stage=policies.Stage.BOOK,
    )
    # The visit starts at the moment it is decided: "the slot has started" is about choosing a time, which an
    # on-demand consultation does not do.
    return replace(facts, slot_starts_at=now + dt.timedelta(microseconds=1)), decision, enrolment


def on_demand_refusal_check(
    *,
    patient: Patient,
    service: Service,
    specialty: Specialty,
    channel: str,
    booked_by: User,
    minutes: int,
    now: dt.datetime | None = None,
) -> CoverageDecision:
    """PKG-4, BKG-3 for an online consultation started now without booking: the rules a booking of ``service`` today
    would meet (entitlement, the age the service allows, the no-show block of the specialty, the annual limit, a
    price the package does not pay — an on-demand consultation does not take a price: it is refused, the way a
    booking is until the price is accepted). Raises :class:`BookingRefused` with the booking's own code."""
    now = now or clock.now()
    _check_channel(channel)
    slot = _on_demand_slot(specialty=specialty, clinician=None, starts_at=now, minutes=minutes)
    facts, decision, _enrolment = _on_demand_facts(
        patient=patient, slot=slot, service=service, channel=channel, booked_by=booked_by, now=now
    )
    _refuse_if_needed(facts)
    return decision


def appointment_start_on_demand(
    *,
    patient: Patient,
    clinician: Clinician,
    service: Service,
    specialty: Specialty,
    channel: str,
    booked_by: User,
    minutes: int,
    now: dt.datetime | None = None,
) -> Appointment:
    """TEL-2: the visit an on-demand consultation becomes when a clinician takes it — a slot of no schedule (remote,
    the line's specialty, from now for the line's typical length, taken) and a booked appointment of the line's
    service, with the door the patient started through and the patient (or guardian) as the one who booked it
    (BKG-1). Coverage is decided again and recorded (PKG-4, PKG-5) on the rules the patient was admitted to the
    queue on (:func:`on_demand_refusal_check`): what changed while they waited (the enrolment ended at midnight, a
    booking used the annual limit) refuses the visit with :class:`BookingRefused`, never a visit with a price nobody
    accepted. No confirmation SMS: the patient is in the room. Runs inside the caller's transaction (the
    consultation's take)."""
    now = now or clock.now()
    _check_channel(channel)
    with transaction.atomic():
        _lock_patient(patient)
        # A clinician's slots start at distinct instants (``one_slot_per_clinician_and_start``): one of theirs that
        # starts at this very microsecond moves this one on by a microsecond.
        starts_at = now
        while Slot.objects.filter(clinician=clinician, starts_at=starts_at).exists():
            starts_at += dt.timedelta(microseconds=1)
        slot = _on_demand_slot(specialty=specialty, clinician=clinician, starts_at=starts_at, minutes=minutes)
        facts_now, decision, enrolment = _on_demand_facts(
            patient=patient, slot=slot, service=service, channel=channel, booked_by=booked_by, now=now
        )
        _refuse_if_needed(facts_now)
        slot.save(force_insert=True)
        return _insert(
            patient=patient,
            slot=slot,
            service=service,
            channel=channel,
            actor=booked_by,
            decision=decision,
            enrolment=enrolment,
            status=Status.BOOKED,
            accept_price=False,
            now=now,
        )


# --- Periodic work --------------------------------------------------------------------------------------------


def holds_expire(*, now: dt.datetime | None = None) -> int:
    """Expire every hold past its time and free its slot (the periodic sweep; bookings also expire the hold on the
    slot they want lazily). Returns how many holds expired."""
    now = now or clock.now()
    with transaction.atomic():
        # Slots first, then their appointments: the order every booking takes its locks in (no deadlock); a slot a
        # booking is busy with is skipped — that booking expires the hold itself.
        slot_ids = list(
            Slot.objects.filter(appointments__status=Status.HELD, appointments__hold_expires_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",), no_key=True)
            .values_list("pk", flat=True)
        )
        if not slot_ids:
            return 0
        expired = list(
            Appointment.objects.filter(slot_id__in=slot_ids, status=Status.HELD, hold_expires_at__lte=now).values_list(
                "pk", flat=True
            )
        )
        _expire(expired, slot_ids=slot_ids)
    return len(expired)


def reminders_enqueue(*, day: dt.date, now: dt.datetime | None = None) -> int:
    """SMS-1: the reminder of every booked visit on ``day`` (Warsaw) — but not to patients without the SMS-notices
    consent (ACC-8) — with the room number if the slot has one,
    otherwise "go to reception"; for a phone consultation "the clinician will call you". Sent from
    ``CARENET_REMINDER_HOUR`` of the day before (at once if that has passed). Keyed
    ``reminder:appointment:<id>``, so running it again sends nothing twice. Returns how many were new."""
    now = now or clock.now()
    starts, ends = clock.at_warsaw(day, dt.time.min), clock.at_warsaw(day + dt.timedelta(days=1), dt.time.min)
    send_after = max(now, clock.at_warsaw(day - dt.timedelta(days=1), dt.time(settings.CARENET_REMINDER_HOUR)))
    visits = list(
        Appointment.objects.filter(status=Status.BOOKED, slot__starts_at__gte=starts, slot__starts_at__lt=ends)
        .select_related(
            "patient",
            "patient__guardian",
            "service",
            "slot",
            "slot__clinician",
            "slot__facility",
            "slot__facility__city",
            "slot__room",
        )
        .order_by("slot__starts_at", "id")
    )
    keys = {visit.pk: f"reminder:appointment:{visit.pk}" for visit in visits}
    done = set(OutboundMessage.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    # ACC-8: a reminder is a notice: not for a patient (or a child whose guardian) withdrew the SMS-notices consent.
    refused = consent_refused_patients(
        patients={visit.patient_id: visit.patient for visit in visits}.values(), kind=ConsentKind.SMS_NOTICES, today=day
    )
    items = []
    for visit in visits:
        recipient = visit.patient.contact_mobile
        if keys[visit.pk] in done or recipient is None or visit.patient_id in refused:
            continue
        items.append(
            OutboxItem(
                key=keys[visit.pk],
                purpose="reminder",
                channel=MessageChannel.SMS,
                recipient=recipient,
                body=reminder_text(visit),
                patient_id=visit.patient_id,
                send_after=send_after,
            )
        )
    # Set-based writes (B5: 75,000 reminders a day): one INSERT per thousand messages, in one transaction.
    with transaction.atomic():
        return outbox_enqueue_many(items)


# --- Messages (SMS-1) -----------------------------------------------------------------------------------------


def _enqueue_confirmation(appointment: Appointment) -> None:
    recipient = appointment.patient.contact_mobile
    if recipient is None:
        return
    outbox_enqueue(
        key=f"booking-confirmation:appointment:{appointment.pk}",
        purpose="booking-confirmation",
        channel=MessageChannel.SMS,
        recipient=recipient,
        body=confirmation_text(appointment),
        patient=appointment.patient,
    )


def _enqueue_cancellation(appointment: Appointment, *, patient: Patient, slot: Slot) -> None:
    recipient = patient.contact_mobile
    if recipient is None:
        return
    outbox_enqueue(
        key=f"cancellation:appointment:{appointment.pk}",
        purpose="cancellation",
        channel=MessageChannel.SMS,
        recipient=recipient,
        body=cancellation_text(appointment),
        patient=patient,
    )


def _withdraw_reminder(appointment: Appointment) -> None:
    """A reminder not yet sent for a visit that is no longer booked must not go out."""
    OutboundMessage.objects.filter(
        key=f"reminder:appointment:{appointment.pk}", status=OutboundMessage.Status.PENDING
    ).update(status=OutboundMessage.Status.FAILED, last_error="withdrawn: the appointment was cancelled")


# --- Building blocks ------------------------------------------------------------------------------------------


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ValidationFailed(gettext("Unknown booking channel."), code="invalid_channel")


def _check_actor(*, actor: User, patient: Patient, channel: str, slot_id: int) -> None:
    """:func:`_check_actor_for_slot` for a slot not read yet (before any lock is taken)."""
    _check_channel(channel)
    slot = Slot.objects.only("facility_id").filter(pk=slot_id).first()
    if slot is None:
        raise errors.slot_not_found()
    _check_actor_for_slot(actor=actor, patient=patient, channel=channel, slot=slot)


def _check_actor_for_slot(
    *, actor: User, patient: Patient, channel: str, slot: Slot, action: Action = Action.APPOINTMENT_BOOK
) -> None:
    """BKG-1: may ``actor`` book (or cancel) ``slot`` for ``patient`` through ``channel`` — the permission table."""
    _check_channel(channel)
    problem = policies.actor_problem(
        actor_for_user(actor), action=action, patient_id=patient.pk, channel=channel, slot_facility_id=slot.facility_id
    )
    if problem is not None:
        raise errors.actor_error(problem)


def _lock_patient(patient: Patient) -> None:
    # Serialises one patient's bookings: the level I cap and the annual limits are counted, then written, by one
    # transaction at a time (a no-op on SQLite, where the whole write transaction is exclusive).
    # FOR NO KEY UPDATE: other rows may still reference the patient (outbox messages) while we hold it.
    _PATIENT_LOCK.rows(patient_id=patient.pk)


def _patient_to_lock(_shape: None, *, patient_id: int) -> QuerySet[Patient, Any]:
    return Patient.objects.select_for_update(no_key=True).order_by().filter(pk=patient_id).values_list("pk")


#: The statement that locks a patient row, compiled once per process (PERF, issue 16), on the primary as every
#: locking statement.
_PATIENT_LOCK = BakedQuery(Patient, _patient_to_lock, for_write=True)


@functools.cache
def _slots_to_lock() -> QuerySet[Slot]:
    """The statement that locks slots to book them, built once per process (PERF, issue 16): only the slot row is
    locked (FOR NO KEY UPDATE OF the slot on PostgreSQL), its details come with it for the rules, the SMS and the
    answer, and whether a closure covers it (NET-3) is read in the same statement. Never evaluated itself: each
    use filters a copy."""
    return (
        Slot.objects.select_for_update(of=("self",), no_key=True)
        .select_related("facility", "facility__city", "room", "clinician", "specialty")
        .annotate(facility_closure=Exists(closures_of_slot()))
        .order_by("pk")
    )


def _one_slot_to_lock(_shape: None, *, slot_id: int) -> QuerySet[Slot]:
    return _slots_to_lock().filter(pk=slot_id)


#: One slot locked per booking: the statement compiled once per process, only the slot's id changes (issue 16).
_ONE_SLOT_LOCK = BakedQuery(Slot, _one_slot_to_lock, for_write=True)


def _lock_slots(*slot_ids: int) -> dict[int, Slot]:
    """Lock the slot rows in id order (the same order in every transaction, so two never wait on each other)."""
    found = (
        _ONE_SLOT_LOCK.all(slot_id=slot_ids[0])
        if len(slot_ids) == 1
        else list(_slots_to_lock().filter(pk__in=slot_ids))
    )
    slots: dict[int, Slot] = {slot.pk: slot for slot in found}
    for slot_id in slot_ids:
        if slot_id not in slots:
            raise errors.slot_not_found()
    return slots


def _take(*, slot: Slot, now: dt.datetime) -> None:
    """Expire a lapsed hold on the locked slot; refuse if an active appointment still holds it. (The insert that
    follows is checked by the unique constraint as well: this is the fast, friendly path.)

    A free slot has no active appointment: ``is_free`` is written only by the transactions that take or free the
    slot, holding its lock — so a free slot needs no look at its appointments (and if it ever lied, the unique
    constraint would still refuse the second booking)."""
    if slot.is_free:
        return
    lapsed = list(
        Appointment.objects.filter(slot=slot, status=Status.HELD, hold_expires_at__lte=now).values_list("pk", flat=True)
    )
    if lapsed:
        _expire(lapsed, slot_ids=[])
    if Appointment.objects.filter(slot=slot, status__in=Appointment.ACTIVE_STATUSES).exists():
        raise SlotUnavailable()
    if not lapsed and slot.facility_id:
        # NET-3: a closure takes its slots (not free, nobody's) in the transaction that closes them. A booking that
        # waited for the slot's lock behind that transaction read the closures before it committed (the locking
        # statement's snapshot); this fresh statement sees it, so the booking is refused as closed.
        slot.facility_closure = closures_of_slot(  # type: ignore[attr-defined]
            facility=slot.facility_id, clinician=slot.clinician_id, starts_at=slot.starts_at, ends_at=slot.ends_at
        ).exists()


def _expire(appointment_ids: list[int], *, slot_ids: list[int]) -> None:
    Appointment.objects.filter(pk__in=appointment_ids, status=Status.HELD).update(status=Status.EXPIRED)
    if slot_ids:
        Slot.objects.filter(pk__in=slot_ids).exclude(appointments__status__in=Appointment.ACTIVE_STATUSES).update(
            is_free=True
        )


def _free_slot(slot: Slot) -> None:
    Slot.objects.filter(pk=slot.pk).update(is_free=True)
    slot.is_free = True


def _service_for(*, slot: Slot, service_id: int | None) -> Service:
    """The service booked in the slot: the one asked for if the slot's schedule offers it, else the schedule's
    consultation (or its only service). The schedule's service ids are read with the slot's lock held; the services
    themselves come from the catalogue kept under the coverage matrix's token, read once in this transaction
    (PERF, issue 16)."""
    if slot.schedule_id is None:
        candidates = list(Service.objects.filter(schedules=None).select_related("specialty").order_by("id"))
    else:
        offered_ids = sorted(row[0] for row in _OFFERED_SERVICES.rows(schedule_id=slot.schedule_id))
        catalogue = catalogue_services(offered_ids)
        candidates = [catalogue[pk] for pk in offered_ids if pk in catalogue]
    if service_id is not None:
        service = next((candidate for candidate in candidates if candidate.pk == service_id), None)
        if service is None:
            raise errors.service_not_offered()
        return service
    consultations = [s for s in candidates if s.kind == Service.Kind.CONSULTATION]
    if not candidates:
        raise errors.service_not_offered()
    return (consultations or candidates)[0]


def _offered_services(_shape: None, *, schedule_id: int) -> QuerySet[Any, Any]:
    return Schedule.services.through.objects.filter(schedule_id=schedule_id).values_list("service_id")


#: The services of the slot's schedule, read by every booking: compiled once per process (issue 16).
_OFFERED_SERVICES = BakedQuery(Schedule.services.through, _offered_services)


def _coverage(*, patient: Patient, service: Service, slot: Slot) -> tuple[CoverageDecision, Enrolment | None]:
    return coverage_and_enrolment(
        patient=patient, service=service, day=clock.local(slot.starts_at).date(), facility=slot.facility
    )


def _referral(referral_id: int | None, *, patient: Patient) -> Referral | None:
    if referral_id is None:
        return None
    referral = Referral.objects.select_for_update().filter(pk=referral_id, patient=patient).first()
    if referral is None:
        raise NotFound(gettext("There is no such referral."), code="referral_not_found")
    return referral


def _occupational_of(referral: Referral | None) -> OccupationalReferral | None:
    if referral is None or referral.source != Referral.Source.EMPLOYER:
        return None
    return OccupationalReferral(
        employer_name=referral.employer_name,
        employer_nip=referral.employer_nip,
        referral_number=referral.employer_referral_number,
    )


def _facility_closed(slot: Slot) -> bool:
    if not slot.facility_id or slot.facility is None:
        return False
    if not slot.facility.is_active:
        return True
    # NET-3: read with the slot's lock (every slot the rules see comes from _lock_slots).
    return bool(slot.facility_closure)  # type: ignore[attr-defined]


def _facts(
    *,
    actor: User,
    patient: Patient,
    slot: Slot,
    service: Service,
    channel: str,
    decision: CoverageDecision,
    now: dt.datetime,
    stage: policies.Stage,
    accept_price: bool = False,
    referral: Referral | None = None,
    occupational: OccupationalReferral | None = None,
    exclude_ids: tuple[int, ...] = (),
    for_appointment_id: int | None = None,
    referral_valid_on: dt.date | None = None,
) -> policies.BookingFacts:
    limits = booking_limits()
    today = clock.local(now).date()
    referral_valid = False
    if referral is not None:
        referral_valid = referral_usable(
            ReferralFacts(
                patient_id=referral.patient_id,
                service_id=referral.service_id,
                source=ReferralSource(referral.source),
                valid_until=referral.valid_until,
                issued_on=clock.local(referral.issued_at).date(),
                used_by_id=referral.used_by_id,
            ),
            patient_id=patient.pk,
            service_id=service.pk,
            today=referral_valid_on or today,
            source=ReferralSource.EMPLOYER if service.occupational else ReferralSource.NETWORK,
            for_appointment_id=for_appointment_id,
        )
        if referral_valid and Referral.objects.filter(supersedes_id=referral.pk).exists():
            referral_valid = False  # CLN-5: a corrected version is replaced by its correction
    occupational_data = (occupational is not None and occupational.complete) or (
        service.occupational and referral_valid
    )
    pregnancy_service = service.pk in pregnancy_service_ids()  # BKG-7
    today_of_visit = clock.local(slot.starts_at).date()
    no_shows = selectors.no_show_times(
        patient=patient,
        specialty_id=slot.specialty_id,
        since=now - limits.no_show_window - limits.no_show_block,
    )
    return policies.BookingFacts(
        now=now,
        slot_starts_at=slot.starts_at,
        slot_ends_at=slot.ends_at,
        channel=channel,
        facility_is_partner=bool(slot.facility is not None and slot.facility.is_partner),
        facility_closed=_facility_closed(slot),
        patient_level=patient.account_level,
        active_portal_bookings=(
            selectors.active_portal_bookings_count(patient=patient, now=now, exclude_ids=exclude_ids)
            if policies.level_one_cap_applies(patient_level=patient.account_level, channel=channel)
            else 0
        ),
        no_show_times=no_shows,
        entitled=decision.entitled,
        age_fits=decision.age_fits,
        bookable_without_payment=decision.bookable_without_payment,
        price_to_pay=decision.price_to_pay,
        limit_exhausted=decision.limit_exhausted,
        limit=decision.limit,
        requires_referral=decision.requires_referral,
        referral_valid=referral_valid,
        occupational=service.occupational,
        occupational_data=occupational_data,
        rehabilitation=service.kind == Service.Kind.REHABILITATION,
        price_accepted=accept_price,
        pregnancy_service=pregnancy_service,
        pregnancy_facility_ids=(
            pregnancy_facility_ids(patient_id=patient.pk, day=today_of_visit) if pregnancy_service else frozenset()
        ),
        slot_facility_id=slot.facility_id,
        remote=slot_is_remote(slot),
        stage=stage,
        limits=limits,
    )


def slot_is_remote(slot: Slot | SlotRow) -> bool:
    """A phone or video visit, or one without a facility (BKG-7: telemedicine is not bound to a facility)."""
    return slot.mode != Mode.IN_PERSON or slot.facility_id is None


def _refuse_if_needed(facts: policies.BookingFacts) -> None:
    refusal = policies.refusal_for(facts)
    if refusal is not None:
        raise BookingRefused.from_refusal(refusal)


def _refuse_cancel_if_needed(
    appointment: Appointment, *, patient: Patient, slot: Slot, channel: str, now: dt.datetime
) -> None:
    refusal = policies.cancel_refusal(
        policies.CancelFacts(
            now=now,
            status=appointment.status,
            slot_starts_at=slot.starts_at,
            channel=channel,
            patient_level=patient.account_level,
            booked_channel=appointment.channel,
        )
    )
    if refusal is not None:
        raise BookingRefused.from_refusal(refusal, cancelling=True)


def _insert(
    *,
    patient: Patient,
    slot: Slot,
    service: Service,
    channel: str,
    actor: User,
    decision: CoverageDecision | None,
    enrolment: Enrolment | None,
    status: str,
    accept_price: bool,
    now: dt.datetime,
    hold_expires_at: dt.datetime | None = None,
    rescheduled_from: Appointment | None = None,
) -> Appointment:
    appointment = Appointment(
        patient=patient,
        slot=slot,
        service=service,
        status=status,
        channel=channel,
        booked_by=actor if actor.pk else None,
        hold_expires_at=hold_expires_at,
        rescheduled_from=rescheduled_from,
    )
    if decision is not None:
        _apply_decision(appointment, decision=decision, enrolment=enrolment, accept_price=accept_price)
    try:
        # No savepoint of its own: losing the slot ends the whole use case, and its transaction rolls back.
        insert_new(appointment)  # save(force_insert=True), its audit entry included, as one prepared statement
    except IntegrityError as error:
        # BKG-2: someone else's active appointment holds the slot (the partial unique constraint).
        raise SlotUnavailable() from error
    update_row(Slot, slot.pk, is_free=False)
    slot.is_free = False
    return appointment


def _apply_decision(
    appointment: Appointment, *, decision: CoverageDecision, enrolment: Enrolment | None, accept_price: bool
) -> None:
    """Record how the package pays (PKG-4): the enrolment the decision was made on, the limit pool the visit uses
    (PKG-5), the price."""
    appointment.enrolment = enrolment if decision.entitled else None
    appointment.coverage_kind = str(decision.kind)
    appointment.limit_pool = decision.limit_pool or ""
    paying = not decision.bookable_without_payment
    # In grosze, as stored (the API answers from this object: "0.00", never "0").
    appointment.price = (decision.price_to_pay if paying else Decimal("0")).quantize(Decimal("0.01"))


def _use_referral(
    appointment: Appointment,
    *,
    referral: Referral | None,
    occupational: OccupationalReferral | None,
    patient: Patient,
    now: dt.datetime,
) -> None:
    """Mark the referral used by this visit (BKG-4); record the employer's referral given with it (BKG-6)."""
    if referral is None and occupational is not None and occupational.complete and appointment.service.occupational:
        Referral.objects.create(
            patient=patient,
            service=appointment.service,
            source=Referral.Source.EMPLOYER,
            issued_at=now,
            valid_until=default_valid_until(clock.local(now).date()),
            employer_name=occupational.employer_name.strip(),
            employer_nip=occupational.nip,
            employer_referral_number=occupational.referral_number.strip(),
            used_by=appointment,
        )
        return
    if referral is None:
        return
    # Conditional update: a referral is used by at most one booking, whatever runs concurrently.
    claimed = Referral.objects.filter(Q(used_by__isnull=True) | Q(used_by=appointment), pk=referral.pk).update(
        used_by=appointment
    )
    if claimed != 1:
        raise BookingRefused.from_refusal(policies.Refusal(policies.RefusalCode.REFERRAL_REQUIRED))


def _mark_cancelled(appointment: Appointment, *, actor: User | None, channel: str, now: dt.datetime) -> None:
    appointment.status = Status.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = actor if actor is not None and actor.pk else None
    appointment.cancel_channel = channel
    appointment.hold_expires_at = None
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_channel", "hold_expires_at"])
