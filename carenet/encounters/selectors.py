"""Reads of the clinician's side (CLN-6, TEL-1): the day list across all the clinician's facilities and remote
visits, the call list, a visit opened by its clinician (or read by another with a relationship), and the
patient's history in the whole network. Every query a list runs is flat in the number of its rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from carenet.accounts.permissions import Action, Actor, Scope
from carenet.booking.errors import appointment_not_found
from carenet.booking.models import Appointment
from carenet.booking.selectors import related_patients_q
from carenet.core import clock
from carenet.encounters.models import CallAttempt
from carenet.network.models import Facility, Service

Status = Appointment.Status

#: What the day list and the visit page show of a visit, joined in one query.
_VISIT_RELATED = (
    "patient",
    "patient__guardian",
    "service",
    "slot",
    "slot__clinician",
    "slot__facility",
    "slot__room",
    "slot__specialty",
    "referral",
    "referral__service",
)
#: A day list leaves these out: a hold is not a visit, and a cancelled visit is nothing to act on.
_NOT_LISTED = (Status.HELD, Status.EXPIRED, Status.CANCELLED)
#: How much of a patient's history the visit page shows at once.
HISTORY_SINCE = dt.timedelta(days=366)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Warsaw day as instants (23 or 25 hours on DST days)."""
    return clock.at_warsaw(day, dt.time(0)), clock.at_warsaw(day + dt.timedelta(days=1), dt.time(0))


def clinician_day_list(*, clinician_id: int, day: dt.date, mode: str | None = None) -> QuerySet[Appointment]:
    """The clinician's visits on a Warsaw day at every facility and remote, by time — one query whatever their
    number. ``mode`` narrows it (the call list: phone consultations)."""
    start, end = _day_bounds(day)
    visits = (
        Appointment.objects.filter(slot__clinician_id=clinician_id, slot__starts_at__gte=start, slot__starts_at__lt=end)
        .exclude(status__in=_NOT_LISTED)
        .select_related(*_VISIT_RELATED)
    )
    if mode is not None:
        visits = visits.filter(slot__mode=mode)
    return visits.order_by("slot__starts_at", "id")


@dataclass(frozen=True, slots=True)
class CallSummary:
    """TEL-1: how many tries a phone consultation had, how many did not reach the patient, and the last one."""

    tries: int = 0
    not_reached: int = 0
    last: CallAttempt | None = None


def call_summaries(appointment_ids: list[int]) -> dict[int, CallSummary]:
    """The call attempts of these visits, summed up per visit: one query."""
    attempts = CallAttempt.objects.filter(appointment_id__in=appointment_ids).select_related("by").order_by("at", "id")
    tries: Counter[int] = Counter()
    missed: Counter[int] = Counter()
    last: dict[int, CallAttempt] = {}
    for attempt in attempts:
        tries[attempt.appointment_id] += 1
        if attempt.outcome == CallAttempt.Outcome.NOT_REACHED:
            missed[attempt.appointment_id] += 1
        last[attempt.appointment_id] = attempt
    return {pk: CallSummary(tries=tries[pk], not_reached=missed[pk], last=last.get(pk)) for pk in appointment_ids}


def not_reached_count(*, appointment_id: int) -> int:
    return CallAttempt.objects.filter(appointment_id=appointment_id, outcome=CallAttempt.Outcome.NOT_REACHED).count()


def access_visit(*, actor: Actor, appointment_id: int) -> Appointment:
    """The visit if the table lets ``actor`` open it (``VISIT_OPEN``): a clinician with a relationship to the patient
    (CLN-6) — the visit's own clinician acts on it, others only read. Otherwise :class:`NotFound`."""
    scope = actor.scope(Action.VISIT_OPEN)
    visits = Appointment.objects.select_related(*_VISIT_RELATED).exclude(status__in=(Status.HELD, Status.EXPIRED))
    if scope is None:
        raise appointment_not_found()
    if scope is Scope.RELATED:
        assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
        visits = visits.filter(related_patients_q(clinician_id=actor.clinician_id, prefix="patient__"))
    elif scope is not Scope.ANY:
        raise appointment_not_found()
    visit = visits.filter(pk=appointment_id).first()
    if visit is None:
        raise appointment_not_found()
    return visit


def is_own_visit(actor: Actor, visit: Appointment) -> bool:
    """Whether ``actor`` is the clinician of this visit (the one who closes it and issues during it)."""
    return actor.clinician_id is not None and visit.slot.clinician_id == actor.clinician_id


def visit_history(*, patient_id: int, now: dt.datetime, limit: int) -> list[Appointment]:
    """CLN-6: the patient's visits in the whole network — every facility, partners' included, remote too — newest
    first, from a year back (and anything booked ahead), at most ``limit`` (the caller asks one more to know whether
    there is more). Cancelled bookings and holds are not history. One query."""
    since = now - HISTORY_SINCE
    return list(
        Appointment.objects.filter(patient_id=patient_id, slot__starts_at__gte=since)
        .exclude(status__in=_NOT_LISTED)
        .select_related("service", "slot", "slot__clinician", "slot__facility", "slot__specialty")
        .order_by("-slot__starts_at", "-id")[:limit]
    )


def phone_of(visit: Appointment) -> str:
    """The number to call for a phone consultation: the patient's own, or (a child without one) the guardian's."""
    return visit.patient.contact_mobile or ""


#: What a recommendation's "exams to do" offers: laboratory tests, imaging and functional exams.
EXAM_KINDS = (Service.Kind.LAB, Service.Kind.IMAGING, Service.Kind.FUNCTIONAL)


def issuing_facility(*, clinician_id: int) -> Facility | None:
    """The facility a remote visit's documents name: the clinician's first own (network) facility."""
    return Facility.objects.filter(clinicians__pk=clinician_id, kind=Facility.Kind.OWN).order_by("pk").first()


def referral_services() -> QuerySet[Service]:
    """The services a referral may name: those that require one first, then every other bookable service."""
    return Service.objects.filter(is_bookable=True).order_by("-requires_referral", "name")


def exam_services() -> QuerySet[Service]:
    return Service.objects.filter(kind__in=EXAM_KINDS).order_by("name")
