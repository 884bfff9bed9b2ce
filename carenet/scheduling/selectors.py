"""Reads about schedules (SCH-1)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from carenet.network.models import Clinician, Room
from carenet.scheduling import policies
from carenet.scheduling.models import Schedule


def schedule_recurrence(schedule: Schedule, *, skip_holidays: bool | None = None) -> policies.Recurrence:
    """The pure recurrence of a stored schedule; the caller may override its ``skip_holidays`` setting (SCH-1)."""
    if skip_holidays is None:
        skip_holidays = schedule.skip_holidays
    return policies.Recurrence(
        valid_from=schedule.valid_from,
        valid_until=schedule.valid_until,
        weekdays=schedule.weekdays,
        start_time=schedule.start_time,
        end_time=schedule.end_time,
        slot_minutes=schedule.slot_minutes,
        skip_holidays=skip_holidays,
    )


def schedule_conflicts(
    *,
    recurrence: policies.Recurrence,
    clinician: Clinician,
    room: Room | None,
    exclude_id: int | None = None,
) -> list[tuple[str, Schedule]]:
    """SCH-1: the stored schedules that collide with a proposed one, each tagged ``"clinician"`` (the same
    clinician is elsewhere at that time) or ``"room"`` (someone else holds the room then).

    The database narrows by period and hours; the pure policy decides on the weekdays actually shared.
    """
    same_owner = Q(clinician=clinician)
    if room is not None:
        same_owner |= Q(room=room)
    candidates = (
        Schedule.objects.filter(
            same_owner,
            valid_from__lte=recurrence.valid_until,
            valid_until__gte=recurrence.valid_from,
            start_time__lt=recurrence.end_time,
            end_time__gt=recurrence.start_time,
        )
        .select_related("clinician", "facility", "room", "room__facility")
        .order_by("valid_from", "start_time", "id")
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    conflicts: list[tuple[str, Schedule]] = []
    for other in candidates:
        if not policies.schedules_overlap(recurrence, schedule_recurrence(other)):
            continue
        kind = "clinician" if other.clinician_id == clinician.pk else "room"
        conflicts.append((kind, other))
    conflicts.sort(key=lambda item: item[0] != "clinician")
    return conflicts


def schedule_describe(schedule: Schedule) -> str:
    """A one-line human description of a schedule, used in conflict messages: who, when, where."""
    place = schedule.facility.name if schedule.facility_id and schedule.facility else schedule.get_mode_display()
    if schedule.room_id and schedule.room:
        place = f"{place}, {schedule.room.number}"
    return (
        f"{schedule.clinician} {_day(schedule.valid_from)}–{_day(schedule.valid_until)} "
        f"{policies.weekdays_label(schedule.weekdays)} "
        f"{schedule.start_time:%H:%M}–{schedule.end_time:%H:%M} ({place})"
    )


def _day(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")
