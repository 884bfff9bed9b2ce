"""Arrival reads (CHK-2, CHK-3, BKG-5): the reception day list, the visits asked the check-in question, and the
no-show blocks in force (with the visits that caused them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import Q, QuerySet

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.arrival import policies as arrival_policies
from carenet.booking import policies as booking_policies
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Appointment, NoShowBlockLift
from carenet.core import clock
from carenet.core.baked import BakedQuery, id_values, ids_of
from carenet.network.models import Specialty

Status = Appointment.Status


@dataclass(frozen=True)
class NoShowBlock:
    """BKG-5: a block in force: the specialty, its end, and the missed visits that caused it (staff see them)."""

    patient: Patient
    specialty: Specialty
    until: dt.datetime
    no_shows: list[Appointment]


def no_show_blocks(*, patients: list[Patient], now: dt.datetime) -> list[NoShowBlock]:
    """BKG-5: the no-show blocks in force now for these patients, one per specialty; a lift by staff forgets the
    no-shows before it. One query when none of them missed a visit lately, two otherwise."""
    return no_show_summary(patients=patients, now=now)[1]


def no_show_count(*, patients: list[Patient], now: dt.datetime, days: int = 30) -> int:
    """How many visits these patients missed in the last ``days`` days (shown on "Moje wizyty")."""
    return no_show_summary(patients=patients, now=now, days=days)[0]


def no_show_summary(*, patients: list[Patient], now: dt.datetime, days: int = 30) -> tuple[int, list[NoShowBlock]]:
    """:func:`no_show_count` and :func:`no_show_blocks` from one read of the recent no-shows (B4: "Moje wizyty" and
    the reception's patient card ask for both); the staff's lifts are read only when there are no-shows."""
    if not patients:
        return 0, []
    window = dt.timedelta(days=settings.CARENET_NO_SHOW_WINDOW_DAYS)
    block = dt.timedelta(days=settings.CARENET_NO_SHOW_BLOCK_DAYS)
    since = now - window - block
    counted_since = now - dt.timedelta(days=days)
    ids = [patient.pk for patient in patients]
    size, values = id_values(ids, prefix="patient")
    recent = _RECENT_NO_SHOWS.all(shape=size, since=min(since, counted_since), **values)
    count = sum(1 for visit in recent if visit.slot.starts_at >= counted_since)
    # TEL-2: an on-demand online consultation without contact (a slot of no schedule) never blocks booking.
    candidates = [
        visit
        for visit in recent
        if visit.slot.starts_at >= since and visit.slot.specialty_id is not None and visit.slot.schedule_id is not None
    ]
    if not candidates:
        return count, []
    lifts: dict[tuple[int, int], dt.datetime] = {}
    for patient_id, specialty_id, lifted_at in NoShowBlockLift.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "specialty_id", "lifted_at"
    ):
        key = (patient_id, specialty_id)
        lifts[key] = max(lifted_at, lifts.get(key, lifted_at))
    missed: dict[tuple[int, int], list[Appointment]] = {}
    for appointment in candidates:
        assert appointment.slot.specialty_id is not None
        key = (appointment.patient_id, appointment.slot.specialty_id)
        lifted = lifts.get(key)
        if lifted is not None and appointment.slot.starts_at < lifted:
            continue
        missed.setdefault(key, []).append(appointment)
    by_pk = {patient.pk: patient for patient in patients}
    blocks = []
    for (patient_id, _specialty_id), visits in missed.items():
        times = [visit.slot.starts_at for visit in visits]
        until = booking_policies.no_show_block_until(
            times, count=settings.CARENET_NO_SHOW_BLOCK_COUNT, window=window, block=block
        )
        if until is None or until <= now:
            continue
        counted = set(arrival_policies.counted_no_shows(times, until=until, window=window, block=block))
        specialty = visits[0].slot.specialty
        assert specialty is not None
        blocks.append(
            NoShowBlock(
                patient=by_pk[patient_id],
                specialty=specialty,
                until=until,
                no_shows=[visit for visit in visits if visit.slot.starts_at in counted],
            )
        )
    return count, sorted(blocks, key=lambda entry: (entry.patient.pk, entry.specialty.name))


def _recent_no_shows(size: int, *, since: dt.datetime, **patient_ids: int) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            patient_id__in=ids_of(size, patient_ids, prefix="patient"),
            status=Status.NO_SHOW,
            slot__starts_at__gte=since,
        )
        .select_related("slot", "slot__specialty", "service")
        .order_by("slot__starts_at", "id")
    )


#: PERF (issue 16): "Moje wizyty" and the reception's patient card ask for the recent no-shows on every page: the
#: statement is compiled once per process and number of patients (a power of two: ``id_values``).
_RECENT_NO_SHOWS = BakedQuery(Appointment, _recent_no_shows)


def no_show_blocks_visible(*, actor: User, blocks: list[NoShowBlock]) -> list[NoShowBlock]:
    """The blocks ``actor`` may see, each with only the missed visits they may see: a receptionist sees the blocks
    caused by missed visits at their facility — a block from visits elsewhere would name a specialty (psychiatry,
    gynaecology) of visits they may not see; should they try to book that specialty, the refusal explains it."""
    who = actor_for_user(actor)
    visible = []
    for block in blocks:
        seen = [
            visit
            for visit in block.no_shows
            if who.reaches(Action.APPOINTMENT_VIEW, patient_id=visit.patient_id, facility_id=visit.slot.facility_id)
        ]
        if seen:
            visible.append(replace(block, no_shows=seen))
    return visible


def no_show_count_visible(*, actor: User, patient: Patient, now: dt.datetime, days: int = 30) -> int:
    """:func:`no_show_count` of one patient, counting only the missed visits ``actor`` may see."""
    return (
        booking_selectors.appointments_visible_to(actor)
        .filter(patient=patient, status=Appointment.Status.NO_SHOW, slot__starts_at__gte=now - dt.timedelta(days=days))
        .count()
    )


def reception_day_list(*, facility_id: int, day: dt.date, name: str = "") -> QuerySet[Appointment]:
    """CHK-2: a facility's visits on a Warsaw day (booked, checked in, done, refused, missed — not cancelled or
    holds), by time; everything a row shows in one query. ``name`` (issue 14): only the patients whose first or
    last name contains each of its words (reception finds the person standing at the desk)."""
    starts = clock.at_warsaw(day, dt.time.min)
    ends = clock.at_warsaw(day + dt.timedelta(days=1), dt.time.min)
    by_name = Q()
    for word in name.split()[:4]:
        by_name &= Q(patient__last_name__icontains=word) | Q(patient__first_name__icontains=word)
    return (
        Appointment.objects.filter(
            by_name,
            slot__facility_id=facility_id,
            slot__starts_at__gte=starts,
            slot__starts_at__lt=ends,
            status__in=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.REFUSED_LATE, Status.NO_SHOW],
        )
        .select_related(
            "patient", "service", "slot", "slot__clinician", "slot__room", "slot__facility", "checked_in_by"
        )
        .order_by("slot__starts_at", "id")
    )


def checkin_visits_for_phone(*, phone: str, since: dt.datetime, until: dt.datetime) -> list[Appointment]:
    """CHK-3: visits asked the check-in question whose patient's mobile is ``phone`` and that start between
    ``since`` and ``until``, earliest first."""
    if not phone:
        return []
    return list(
        Appointment.objects.filter(
            patient__mobile=phone,
            checkin_asked_at__isnull=False,
            slot__starts_at__gte=since,
            slot__starts_at__lte=until,
        )
        .select_related("patient", "service", "slot", "slot__room", "slot__facility")
        .order_by("slot__starts_at", "id")
    )


def reception_next_day_with_visits(*, facility_id: int, after: dt.date) -> dt.date | None:
    """The first Warsaw day after ``after`` with a booked visit at the facility (the day list's "next visits")."""
    starts = clock.at_warsaw(after + dt.timedelta(days=1), dt.time.min)
    first = (
        Appointment.objects.filter(slot__facility_id=facility_id, slot__starts_at__gte=starts, status=Status.BOOKED)
        .order_by("slot__starts_at")
        .values_list("slot__starts_at", flat=True)
        .first()
    )
    return clock.local(first).date() if first is not None else None
