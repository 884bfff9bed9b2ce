"""Closures (NET-3, SMS-1, SMS-3, PKG-5, BKG-4): close a facility or a clinician's schedule there, reopen it early,
rebook a cancelled visit, record the call centre's call.

Closing is one transaction and set-based (2,000 visits in seconds: no per-row save): it locks the facility (one
closure of it at a time), inserts the closure, takes every slot inside it — locked in id order, the order every
booking locks slots in, and marked not free, so the search hides them and a booking that waited for a slot's lock
sees the closure (:func:`carenet.booking.services._take`) — then cancels the booked visits not yet started with a
few bulk statements, writes one :class:`ClosureNotice` per visit and ONE SMS per patient (keyed
``closure:<closure>:patient:<patient>``: a patient with three visits gets one message naming them, not three, and a
worker that dies mid-batch sends none twice — the outbox, SMS-3). The slots of the cancelled visits are not freed:
the clinic is closed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.booking import services as booking_services
from carenet.booking.models import Appointment, Channel
from carenet.clinical.models import Referral
from carenet.closures import errors
from carenet.closures.models import ClosureNotice
from carenet.closures.policies import NOTE_MAX_LENGTH, ClosureRefusal, closure_problem, reopen_problem
from carenet.closures.sms_wording import closure_text
from carenet.core import clock
from carenet.core.errors import PermissionDenied
from carenet.core.validation import text_cleaned
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import OutboxItem, outbox_enqueue_many
from carenet.network.models import Clinician, Facility, FacilityClosure, Service
from carenet.network.selectors import closures_of_slot
from carenet.scheduling.models import Slot

Status = Appointment.Status
#: Ids per statement in the bulk writes (SQLite's bound parameters; PostgreSQL does not mind).
CHUNK = 900


@dataclass(frozen=True, slots=True)
class ClosureDone:
    closure: FacilityClosure
    cancelled: int
    patients: int
    messages: int


def _require(actor: User, action: Action) -> None:
    if not actor_for_user(actor).can(action):
        raise PermissionDenied(_("You may not do this."), code="forbidden")


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def portal_link(notice_id: int) -> str:
    return settings.CARENET_PUBLIC_URL + reverse("portal:closure_alternatives", args=[notice_id])


def _slots_inside(closure: FacilityClosure, *, now: dt.datetime) -> QuerySet[Slot]:
    slots = Slot.objects.filter(
        facility_id=closure.facility_id,
        starts_at__lt=closure.ends_at,
        ends_at__gt=max(closure.starts_at, now),
    )
    if closure.clinician_id is not None:
        slots = slots.filter(clinician_id=closure.clinician_id)
    return slots


def closure_create(
    *,
    actor: User,
    facility_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    clinician_id: int | None = None,
    now: dt.datetime | None = None,
) -> ClosureDone:
    """NET-3: close ``facility_id`` (or only ``clinician_id``'s schedule there) over ``[starts_at, ends_at)`` and,
    in the same transaction, cancel every booked visit inside it that has not started, with a notice per visit and
    one SMS per patient linking to the alternatives."""
    now = now or clock.now()
    _require(actor, Action.CLOSURE_MANAGE)
    reason = text_cleaned(reason).strip()
    problem = closure_problem(starts_at=starts_at, ends_at=ends_at, reason=reason, now=now)
    if problem is not None:
        raise errors.refused(problem)
    with transaction.atomic():
        facility = Facility.objects.select_for_update().filter(pk=facility_id).first()
        if facility is None:
            raise errors.facility_not_found()
        if clinician_id is not None and not Clinician.objects.filter(pk=clinician_id, facilities=facility).exists():
            raise errors.clinician_not_found()
        closure = FacilityClosure.objects.create(
            facility=facility,
            clinician_id=clinician_id,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            created_by=actor,
        )
        slots = _slots_inside(closure, now=now)
        # Lock the slots in id order (as bookings do: no deadlock), then take them: not free, for nobody.
        list(slots.select_for_update(of=("self",), no_key=True).order_by("pk").values_list("pk", flat=True))
        slots.filter(is_free=True).update(is_free=False)
        # Lock the visits (in id order) before reading them: a check-in, a TAK or a reschedule committing meanwhile
        # takes its visit out of the set (PostgreSQL re-reads a row it waited for), so a patient whose visit was
        # not cancelled gets no notice, no SMS and is not counted as moved.
        visits = sorted(
            Appointment.objects.filter(slot__in=slots, status=Status.BOOKED, slot__starts_at__gte=now)
            .select_related("patient", "patient__guardian", "service", "slot")
            .select_for_update(of=("self",))
            .order_by("pk"),
            key=lambda visit: (visit.slot.starts_at, visit.pk),
        )
        visit_ids = [visit.pk for visit in visits]
        # A hold being confirmed inside the closure lapses (its confirmation then answers "expired").
        Appointment.objects.filter(slot__in=slots, status=Status.HELD).update(status=Status.EXPIRED)
        referrals: dict[int, int] = {}
        for chunk in _chunks(visit_ids):
            Appointment.objects.filter(pk__in=chunk, status=Status.BOOKED).update(
                status=Status.CANCELLED, cancelled_at=now, cancelled_by=actor, cancel_channel=Channel.CLOSURE
            )
            # BKG-4: the referral is free again — for the rebooking, or any booking the patient makes.
            used = dict(Referral.objects.filter(used_by_id__in=chunk).values_list("used_by_id", "pk"))
            referrals.update({int(visit): referral for visit, referral in used.items()})
            if used:
                Referral.objects.filter(pk__in=list(used.values())).update(used_by=None)
            OutboundMessage.objects.filter(
                key__in=[f"reminder:appointment:{pk}" for pk in chunk], status=OutboundMessage.Status.PENDING
            ).update(status=OutboundMessage.Status.FAILED, last_error="withdrawn: the facility is closed")
        notices = ClosureNotice.objects.bulk_create(
            [
                ClosureNotice(
                    closure=closure,
                    appointment_id=visit.pk,
                    patient_id=visit.patient_id,
                    referral_id=referrals.get(visit.pk),
                    created_at=now,
                )
                for visit in visits
            ],
            batch_size=CHUNK,
        )
        messages = outbox_enqueue_many(_messages(closure, facility=facility, visits=visits, notices=notices))
    return ClosureDone(
        closure=closure, cancelled=len(visits), patients=len({visit.patient_id for visit in visits}), messages=messages
    )


def _messages(
    closure: FacilityClosure, *, facility: Facility, visits: list[Appointment], notices: list[ClosureNotice]
) -> list[OutboxItem]:
    notice_of = {notice.appointment_id: notice.pk for notice in notices}
    by_patient: dict[int, list[Appointment]] = defaultdict(list)
    for visit in visits:
        by_patient[visit.patient_id].append(visit)
    place = f"{facility.name}, {facility.address}"
    # Only the clinician's schedule closed: the facility is open for everybody else (SMS-1 says so).
    clinician = str(Clinician.objects.get(pk=closure.clinician_id)) if closure.clinician_id is not None else ""
    items = []
    for patient_id, theirs in by_patient.items():
        recipient = theirs[0].patient.contact_mobile
        if recipient is None:
            continue  # no phone: the call centre's list has them
        items.append(
            OutboxItem(
                key=f"closure:{closure.pk}:patient:{patient_id}",
                purpose="closure",
                channel=MessageChannel.SMS,
                recipient=recipient,
                body=closure_text(
                    place=place,
                    visits=[(visit.service.name, visit.slot.starts_at) for visit in theirs],
                    link=portal_link(notice_of[theirs[0].pk]),
                    clinician=clinician,
                ),
                patient_id=patient_id,
            )
        )
    return items


def closure_reopen(*, actor: User, closure_id: int, now: dt.datetime | None = None) -> FacilityClosure:
    """End a closure early. Restores nothing silently: the cancelled visits stay cancelled (their patients rebook
    or are called); the times after the reopening that nobody holds are free to book again."""
    now = now or clock.now()
    _require(actor, Action.CLOSURE_MANAGE)
    with transaction.atomic():
        found = FacilityClosure.objects.filter(pk=closure_id).values_list("facility_id", flat=True).first()
        if found is None:
            raise errors.closure_not_found()
        Facility.objects.select_for_update().filter(pk=found).first()
        closure = FacilityClosure.objects.select_for_update().get(pk=closure_id)
        problem = reopen_problem(ends_at=closure.ends_at, reopened_at=closure.reopened_at, now=now)
        if problem is not None:
            raise errors.refused(problem)
        # Reopened before it began: it covers nothing (reopened at its start).
        closure.reopened_at = max(now, closure.starts_at)
        closure.reopened_by = actor
        closure.save(update_fields=["reopened_at", "reopened_by"])
        slots = _slots_inside(closure, now=now).filter(starts_at__gte=closure.reopened_at)
        ids = list(slots.select_for_update(of=("self",), no_key=True).order_by("pk").values_list("pk", flat=True))
        for chunk in _chunks(ids):
            (
                Slot.objects.filter(pk__in=chunk, is_free=False)
                .exclude(appointments__status__in=Appointment.ACTIVE_STATUSES)
                .exclude(Exists(closures_of_slot()))
                .update(is_free=True)
            )
    return closure


def closure_rebook(
    *, actor: User, notice_id: int, slot_id: int, channel: str, now: dt.datetime | None = None
) -> Appointment:
    """One tap from the alternatives: book ``slot_id`` for the cancelled visit's patient through the booking
    service (every rule of BKG-3), with the cancelled visit's service where the slot offers it and its referral
    (BKG-4), valid for it even when it has expired since the closure. The annual-limit unit the cancelled visit
    used came back with the cancellation (PKG-5), so the new visit takes it. Refused (typed errors) when the slot is
    taken, the visit already rebooked, or a rule says no."""
    from carenet.closures.selectors import access_notice

    now = now or clock.now()
    with transaction.atomic():
        visible = access_notice(actor=actor, notice_id=notice_id)
        notice = ClosureNotice.objects.select_for_update().get(pk=visible.pk)
        if notice.rebooked_id is not None:
            raise errors.refused(ClosureRefusal.ALREADY_REBOOKED)
        cancelled = visible.appointment
        offered = Service.objects.filter(schedules__slots=slot_id, pk=cancelled.service_id).exists()
        referral_id = None
        if offered and notice.referral_id is not None:
            referral_id = notice.referral_id
        new = booking_services.appointment_book(
            actor=actor,
            patient=visible.patient,
            slot_id=slot_id,
            service_id=cancelled.service_id if offered else None,
            channel=channel,
            referral_id=referral_id,
            now=now,
            # BKG-4: the referral carries over — judged on the day the network cancelled the visit it held.
            referral_valid_on=clock.local(notice.created_at).date() if referral_id is not None else None,
        )
        notice.rebooked = new
        notice.rebooked_at = now
        notice.save(update_fields=["rebooked", "rebooked_at"])
    return new


def closure_call_record(*, actor: User, notice_id: int, note: str, now: dt.datetime | None = None) -> ClosureNotice:
    """The call centre called a moved patient who had not rebooked (NET-3): when, who, what was agreed."""
    from carenet.closures.selectors import notice_for_follow_up

    now = now or clock.now()
    _require(actor, Action.CLOSURE_FOLLOW_UP)
    note = text_cleaned(note).strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise errors.refused(ClosureRefusal.NOTE_TOO_LONG)
    with transaction.atomic():
        notice_for_follow_up(notice_id=notice_id)
        notice = ClosureNotice.objects.select_for_update().get(pk=notice_id)
        notice.called_at = now
        notice.called_by = actor
        notice.note = note
        notice.save(update_fields=["called_at", "called_by", "note"])
    return notice
