"""Demo schedules, slots and appointments (SCH-1, BKG): weekday working hours of every clinician at their centres
(in person, never two schedules of one clinician or one room at a time), phone-consultation hours for some doctors,
the slots they produce (through the scheduling policy, DST-correct, holidays skipped), and bookings: about a quarter
of the slots of the next two weeks and a tenth after that, plus the last weeks' history."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from carenet.booking.models import Appointment, Channel
from carenet.demo.network import BLOCKS, Network
from carenet.demo.people import People, Person
from carenet.demo.sql import datetime_adapter, insert_rows, next_id, reset_sequences
from carenet.network.models import Clinician, Facility, Room, Service, Specialty
from carenet.scheduling import policies
from carenet.scheduling.models import Mode, Schedule, Slot

SLOT_MINUTES: dict[str, tuple[int, ...]] = {
    Clinician.Kind.DOCTOR: (15, 15, 20, 20, 30),
    Clinician.Kind.NURSE: (15,),
    Clinician.Kind.MIDWIFE: (30,),
    Clinician.Kind.PHYSIOTHERAPIST: (30,),
    Clinician.Kind.DIETITIAN: (30,),
    Clinician.Kind.PSYCHOLOGIST: (30, 45),
}
PHONE_HOURS = ((18 * 60, 20 * 60), (7 * 60, 8 * 60))
CHANNELS = (
    (Channel.PORTAL, 40),
    (Channel.MOBILE, 20),
    (Channel.CALL_CENTRE, 25),
    (Channel.RECEPTION, 10),
    (Channel.STAFF_CHAT, 5),
)
PAST_OUTCOMES = (
    (Appointment.Status.COMPLETED, 78),
    (Appointment.Status.NO_SHOW, 7),
    (Appointment.Status.CANCELLED, 15),
)
MAX_FUTURE_BOOKINGS = 10  # ACC-3's portal limit: no demo patient holds more active bookings than that


@dataclass
class PlannedSchedule:
    clinician: Clinician
    facility: Facility | None
    room: Room | None
    mode: str
    specialty: Specialty
    weekdays: set[int] = field(default_factory=set)
    start: int = 0  # minutes after midnight
    end: int = 0
    slot_minutes: int = 15


@dataclass
class SlotRow:
    id: int
    schedule: Schedule
    starts_at: dt.datetime
    ends_at: dt.datetime


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _free(busy: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= b_start or b_end <= start for b_start, b_end in busy)


def plan_schedules(rng: random.Random, network: Network) -> list[PlannedSchedule]:
    """Working blocks per clinician: 1–5 half-days a week at their centres, each in a room nobody else holds then."""
    room_taken: set[tuple[int, int, int]] = set()  # (room id, weekday, block start)
    plans: list[PlannedSchedule] = []
    for clinician in network.clinicians:
        facilities = network.clinician_facilities[clinician.pk]
        specialties = network.clinician_specialties[clinician.pk]
        slot_minutes = rng.choice(SLOT_MINUTES.get(clinician.kind, (15,)))
        wanted = rng.choices([1, 2, 3, 4, 5], [10, 30, 30, 20, 10])[0]
        shift = rng.choice([3, 4, 5, 6]) * 60
        busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        candidates = [
            (rank + rng.random() * 1.5, facility, weekday, block)
            for rank, facility in enumerate(facilities)
            for weekday, blocks in BLOCKS.get(facility.brand, {}).items()
            for block in blocks
        ]
        candidates.sort(key=lambda c: c[0])
        grouped: dict[tuple[int, int, int, int], PlannedSchedule] = {}
        used_rooms: dict[int, list[Room]] = defaultdict(list)
        taken = 0
        for _, facility, weekday, (block_start, block_end) in candidates:
            if taken == wanted:
                break
            length = min(shift, block_end - block_start)
            start = block_start if rng.random() < 0.6 else block_end - length
            end = start + length
            if not _free(busy[weekday], start, end):
                continue
            rooms = used_rooms[facility.pk] + network.rooms.get(facility.pk, [])
            room = next((r for r in rooms if (r.pk, weekday, block_start) not in room_taken), None)
            if room is None:
                continue
            room_taken.add((room.pk, weekday, block_start))
            if room not in used_rooms[facility.pk]:
                used_rooms[facility.pk].insert(0, room)
            busy[weekday].append((start, end))
            key = (facility.pk, room.pk, start, end)
            if key not in grouped:
                specialty = specialties[0] if len(specialties) == 1 or rng.random() < 0.7 else specialties[1]
                grouped[key] = PlannedSchedule(
                    clinician, facility, room, Mode.IN_PERSON, specialty, set(), start, end, slot_minutes
                )
            grouped[key].weekdays.add(weekday)
            taken += 1
        plans.extend(grouped.values())
        if clinician.kind == Clinician.Kind.DOCTOR and rng.random() < 0.25:
            for weekday in rng.sample(range(1, 6), 5):
                start, end = PHONE_HOURS[0] if rng.random() < 0.8 else PHONE_HOURS[1]
                if _free(busy[weekday], start, end):
                    busy[weekday].append((start, end))
                    plans.append(
                        PlannedSchedule(clinician, None, None, Mode.PHONE, specialties[0], {weekday}, start, end, 20)
                    )
                    break
    return plans


def create_schedules(
    plans: list[PlannedSchedule], network: Network, valid_from: dt.date, valid_until: dt.date, rng: random.Random
) -> list[Schedule]:
    schedules = Schedule.objects.bulk_create(
        [
            Schedule(
                clinician=plan.clinician,
                facility=plan.facility,
                room=plan.room,
                mode=plan.mode,
                specialty=plan.specialty,
                valid_from=valid_from,
                valid_until=valid_until,
                weekdays="".join(str(d) for d in sorted(plan.weekdays)),
                start_time=_time(plan.start),
                end_time=_time(plan.end),
                slot_minutes=plan.slot_minutes,
            )
            for plan in plans
        ],
        batch_size=2000,
    )
    through = Schedule.services.through
    links = []
    for schedule in schedules:
        offered = network.services_by_specialty[schedule.specialty_id]
        links += [through(schedule_id=schedule.pk, service_id=s.pk) for s in offered[: 1 + rng.randrange(3)]]
    through.objects.bulk_create(links, batch_size=5000)
    return schedules


def write_slots(schedules: list[Schedule], network: Network) -> list[SlotRow]:
    """Every slot of every schedule, from the SCH-1 policy, written in batches with explicit ids."""
    if not schedules:
        return []
    first_day = min(s.valid_from for s in schedules)
    last_day = max(s.valid_until for s in schedules)
    holidays = policies.polish_public_holidays(first_day, last_day)
    city_of = {f.pk: f.city_id for f in network.own}
    adapt = datetime_adapter()
    slot_id = next_id(Slot)
    slots: list[SlotRow] = []
    rows = []
    for schedule in schedules:
        recurrence = policies.Recurrence(
            schedule.valid_from,
            schedule.valid_until,
            schedule.weekdays,
            schedule.start_time,
            schedule.end_time,
            schedule.slot_minutes,
        )
        city_id = city_of.get(schedule.facility_id) if schedule.facility_id else None
        for starts_at, ends_at in policies.slot_intervals(recurrence, holidays=holidays):
            slots.append(SlotRow(slot_id, schedule, starts_at, ends_at))
            rows.append(
                (
                    slot_id,
                    schedule.pk,
                    schedule.clinician_id,
                    schedule.facility_id,
                    city_id,
                    schedule.room_id,
                    schedule.specialty_id,
                    schedule.mode,
                    adapt(starts_at),
                    adapt(ends_at),
                )
            )
            slot_id += 1
    fields = ["id", "schedule", "clinician", "facility", "city", "room", "specialty", "mode", "starts_at", "ends_at"]
    insert_rows(Slot, fields, rows)
    reset_sequences(Slot)
    return slots


def _pool_for(service: Service) -> str:
    if service.max_age is not None and service.max_age <= 18:
        return "child"
    if service.min_age is not None and service.min_age >= 60:
        return "senior"
    if service.min_age:
        return "adult"
    return "any"


def write_appointments(
    rng: random.Random,
    slots: list[SlotRow],
    people: People,
    network: Network,
    now: dt.datetime,
    soon_days: int = 14,
) -> dict[str, int]:
    """Bookings: ~25 % of the slots of the next ``soon_days`` days, ~10 % later; 55 % of past slots with an outcome
    (completed, no-show, cancelled). Patients are drawn among those whose package covers the visit date and whose
    age fits the service; nobody holds more than ``MAX_FUTURE_BOOKINGS`` future bookings."""
    today = now.date()
    stable = [
        p
        for p in people.persons
        if p.enrolment is not None
        and p.activated_on <= today - dt.timedelta(days=35)
        and p.paid_through >= today + dt.timedelta(days=70)
    ]
    pools: dict[str, list[Person]] = {
        "child": [p for p in stable if p.age_on(today) < 17],
        "adult": [p for p in stable if p.age_on(today) >= 18],
        "senior": [p for p in stable if p.age_on(today) >= 61],
        "any": stable,
    }
    guardian_user = {
        id(p): (people.persons[p.guardian_index].user if p.guardian_index is not None else p.user) for p in stable
    }
    services_of: dict[int, list[Service]] = {}
    for schedule_id, service_id in Schedule.services.through.objects.values_list("schedule_id", "service_id"):
        services_of.setdefault(schedule_id, []).append(service_id)  # type: ignore[arg-type]
    service_by_id = {s.pk: s for group in network.services_by_specialty.values() for s in group}
    operator = people.staff["infolinia"]
    receptionists = people.receptionists
    soon = now + dt.timedelta(days=soon_days)
    future_count: dict[int, int] = defaultdict(int)
    adapt = datetime_adapter()
    appointment_id = next_id(Appointment)
    channel_values = [c for c, _ in CHANNELS]
    channel_weights = [w for _, w in CHANNELS]
    outcome_values = [s for s, _ in PAST_OUTCOMES]
    outcome_weights = [w for _, w in PAST_OUTCOMES]
    counts: dict[str, int] = defaultdict(int)
    rows = []
    for slot in slots:
        past = slot.starts_at < now
        share = 0.55 if past else (0.25 if slot.starts_at < soon else 0.10)
        if rng.random() >= share:
            continue
        service = service_by_id[rng.choice(services_of[slot.schedule.pk])]  # type: ignore[index]
        pool = pools[_pool_for(service)] or pools["any"]
        person = None
        for _attempt in range(6):
            candidate = rng.choice(pool)
            if past or future_count[candidate.patient.pk] < MAX_FUTURE_BOOKINGS:
                person = candidate
                break
        if person is None:
            continue
        channel = rng.choices(channel_values, channel_weights)[0]
        booked_by = None
        if channel in {Channel.PORTAL, Channel.MOBILE}:
            booked_by = guardian_user[id(person)]
            if booked_by is None:
                channel = Channel.CALL_CENTRE
        if channel in {Channel.CALL_CENTRE, Channel.STAFF_CHAT}:
            booked_by = operator
        elif channel == Channel.RECEPTION:
            booked_by = rng.choice(receptionists)
        created_at = slot.starts_at - dt.timedelta(days=rng.uniform(0.2, 21))
        if created_at > now:
            created_at = now - dt.timedelta(hours=rng.uniform(1, 72))
        status = Appointment.Status.BOOKED
        cancelled_at = None
        cancelled_by = None
        cancel_channel = ""
        if past:
            status = rng.choices(outcome_values, outcome_weights)[0]
            if status == Appointment.Status.CANCELLED:
                cancelled_at = created_at + (slot.starts_at - created_at) * rng.uniform(0.1, 0.95)
                cancel_channel = rng.choice([Channel.PORTAL, Channel.SMS, Channel.CALL_CENTRE])
                cancelled_by = operator.pk if cancel_channel == Channel.CALL_CENTRE else None
        else:
            future_count[person.patient.pk] += 1
        counts[status] += 1
        assert person.enrolment is not None
        rows.append(
            (
                appointment_id,
                person.patient.pk,
                slot.id,
                service.pk,
                person.enrolment.pk,
                status,
                channel,
                booked_by.pk if booked_by else None,
                Decimal("0"),
                "",
                adapt(created_at),
                adapt(cancelled_at),
                cancelled_by,
                cancel_channel,
            )
        )
        appointment_id += 1
    fields = [
        "id",
        "patient",
        "slot",
        "service",
        "enrolment",
        "status",
        "channel",
        "booked_by",
        "price",
        "limit_pool",
        "created_at",
        "cancelled_at",
        "cancelled_by",
        "cancel_channel",
    ]
    insert_rows(Appointment, fields, rows)
    reset_sequences(Appointment)
    return dict(counts)
