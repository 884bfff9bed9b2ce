"""State changes of schedules (SCH-1): create a schedule and generate its slots. Every door (back office, coordinator
console, the demo) goes through these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import User
from carenet.core.errors import ValidationFailed
from carenet.network.models import Clinician, Facility, Room, Service, Specialty
from carenet.scheduling import policies
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.scheduling.selectors import schedule_conflicts, schedule_describe, schedule_recurrence

SLOT_BATCH_SIZE = 1000

SHAPE_MESSAGES = {
    policies.ScheduleProblem.PERIOD_REVERSED: _("A schedule cannot end before it starts."),
    policies.ScheduleProblem.HOURS_REVERSED: _("Working hours must end after they start."),
    policies.ScheduleProblem.WEEKDAYS_INVALID: _(
        "Weekdays are digits from 1 (Monday) to 7 (Sunday), each at most once, e.g. 12345."
    ),
    policies.ScheduleProblem.SLOT_LENGTH: _("A slot lasts between 5 and 240 minutes."),
    policies.ScheduleProblem.SLOT_LONGER_THAN_HOURS: _("The working hours are shorter than one slot."),
}


def schedule_validate(
    *,
    clinician: Clinician,
    facility: Facility | None,
    room: Room | None,
    mode: str,
    specialty: Specialty,
    valid_from: dt.date,
    valid_until: dt.date,
    weekdays: str,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int,
    skip_holidays: bool = True,
    exclude_id: int | None = None,
) -> policies.Recurrence:
    """SCH-1: check a proposed schedule against the rules and the stored schedules; return its recurrence (with
    normalised weekdays) or raise :class:`ValidationFailed` whose message names the problem or the conflict."""
    try:
        recurrence = policies.Recurrence(
            valid_from=valid_from,
            valid_until=valid_until,
            weekdays=policies.normalize_weekdays(weekdays or ""),
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            skip_holidays=skip_holidays,
        )
        policies.validate_recurrence(recurrence)
    except policies.InvalidSchedule as exc:
        raise ValidationFailed(SHAPE_MESSAGES[exc.problem], code=exc.problem.value) from exc

    if mode not in Mode.values:
        raise ValidationFailed(_("Unknown schedule mode."), code="schedule_mode_unknown")
    if mode == Mode.IN_PERSON and facility is None:
        raise ValidationFailed(_("An in-person schedule needs a facility."), code="schedule_facility_required")
    if room is not None:
        if facility is None:
            raise ValidationFailed(
                _("A room can only be given with its facility."), code="schedule_room_needs_facility"
            )
        if room.facility_id != facility.pk:
            raise ValidationFailed(
                _("Room %(room)s belongs to %(room_facility)s, not to %(facility)s.")
                % {"room": room.number, "room_facility": room.facility.name, "facility": facility.name},
                code="schedule_room_other_facility",
            )
    if facility is not None and not clinician.facilities.filter(pk=facility.pk).exists():
        raise ValidationFailed(
            _("%(clinician)s does not work at %(facility)s.") % {"clinician": clinician, "facility": facility.name},
            code="schedule_clinician_not_at_facility",
        )
    if not clinician.specialties.filter(pk=specialty.pk).exists():
        raise ValidationFailed(
            _("%(clinician)s does not practise %(specialty)s.") % {"clinician": clinician, "specialty": specialty},
            code="schedule_clinician_lacks_specialty",
        )

    conflicts = schedule_conflicts(recurrence=recurrence, clinician=clinician, room=room, exclude_id=exclude_id)
    if conflicts:
        kind, other = conflicts[0]
        if kind == "clinician":
            raise ValidationFailed(
                _("This schedule overlaps another schedule of the same clinician: %(other)s.")
                % {"other": schedule_describe(other)},
                code="schedule_overlaps_clinician",
                details={"schedule_id": other.pk},
            )
        raise ValidationFailed(
            _("Room %(room)s is already taken at that time: %(other)s.")
            % {"room": room.number if room else "", "other": schedule_describe(other)},
            code="schedule_overlaps_room",
            details={"schedule_id": other.pk},
        )
    return recurrence


def schedule_create(
    *,
    clinician: Clinician,
    facility: Facility | None,
    room: Room | None,
    mode: str,
    specialty: Specialty,
    services: Iterable[Service],
    valid_from: dt.date,
    valid_until: dt.date,
    weekdays: str,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int,
    skip_holidays: bool = True,
    actor: User | None = None,
) -> Schedule:
    """SCH-1: publish a clinician's schedule and its slots, or nothing at all.

    Locks the clinician (and the room) so that two coordinators cannot publish colliding schedules at once, checks
    the rules, saves the schedule and bulk-creates its slots in one transaction. Public holidays are skipped unless
    ``skip_holidays`` is off. ``actor`` is who publishes (the audit log records the change itself).
    """
    service_list = list(services)
    if not service_list:
        raise ValidationFailed(_("A schedule offers at least one service."), code="schedule_services_required")
    with transaction.atomic():
        # Serialise publications for the same clinician and room (SQLite already serialises writers).
        Clinician.objects.select_for_update().filter(pk=clinician.pk).first()
        if room is not None:
            Room.objects.select_for_update().filter(pk=room.pk).first()
        recurrence = schedule_validate(
            clinician=clinician,
            facility=facility,
            room=room,
            mode=mode,
            specialty=specialty,
            valid_from=valid_from,
            valid_until=valid_until,
            weekdays=weekdays,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            skip_holidays=skip_holidays,
        )
        schedule = Schedule.objects.create(
            clinician=clinician,
            facility=facility,
            room=room,
            mode=mode,
            specialty=specialty,
            valid_from=valid_from,
            valid_until=valid_until,
            weekdays=recurrence.weekdays,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            skip_holidays=skip_holidays,
        )
        schedule.services.set(service_list)
        _generate(schedule=schedule, recurrence=recurrence)
    return schedule


def schedule_generate_slots(*, schedule: Schedule, skip_holidays: bool | None = None) -> int:
    """SCH-1: create the slots a schedule produces that do not exist yet; returns how many were added.

    Idempotent: a slot that already exists for the clinician at that start (the unique constraint) is left alone,
    so running it twice adds nothing the second time.
    """
    with transaction.atomic():
        return _generate(schedule=schedule, recurrence=schedule_recurrence(schedule, skip_holidays=skip_holidays))


def _generate(*, schedule: Schedule, recurrence: policies.Recurrence) -> int:
    holidays = policies.polish_public_holidays(recurrence.valid_from, recurrence.valid_until)
    city_id = schedule.facility.city_id if schedule.facility_id and schedule.facility else None
    slots = [
        Slot(
            schedule=schedule,
            clinician_id=schedule.clinician_id,
            facility_id=schedule.facility_id,
            city_id=city_id,
            room_id=schedule.room_id,
            specialty_id=schedule.specialty_id,
            mode=schedule.mode,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        for starts_at, ends_at in policies.slot_intervals(recurrence, holidays=holidays)
    ]
    before = Slot.objects.filter(schedule=schedule).count()
    Slot.objects.bulk_create(slots, batch_size=SLOT_BATCH_SIZE, ignore_conflicts=True)
    return Slot.objects.filter(schedule=schedule).count() - before
