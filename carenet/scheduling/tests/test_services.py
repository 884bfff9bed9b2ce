"""SCH-1 use cases on the database: publishing a schedule with its slots, refusals that save nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.core.errors import ValidationFailed
from carenet.network.models import Clinician, Facility, Room
from carenet.scheduling import services
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.scheduling.services import schedule_create, schedule_generate_slots
from carenet.scheduling.tests.factories import CityFactory, FacilityFactory, RoomFactory, clinician_at

pytestmark = pytest.mark.django_db

MARCH_FROM, MARCH_UNTIL = dt.date(2026, 3, 2), dt.date(2026, 3, 29)


@pytest.fixture
def centre() -> Facility:
    return FacilityFactory(city=CityFactory(name="Warszawa"), name="CareNet Centrum Medyczne Mokotów")


@pytest.fixture
def room(centre: Facility) -> Room:
    return RoomFactory(facility=centre, number="12")


@pytest.fixture
def doctor(centre: Facility) -> Clinician:
    return clinician_at(centre, first_name="Anna", last_name="Nowak")


def publish(clinician: Clinician, facility: Facility | None, room: Room | None, **overrides: Any) -> Schedule:
    specialty = clinician.specialties.get()
    fields: dict[str, Any] = {
        "clinician": clinician,
        "facility": facility,
        "room": room,
        "mode": Mode.IN_PERSON if facility else Mode.PHONE,
        "specialty": specialty,
        "services": list(specialty.services.all()),
        "valid_from": MARCH_FROM,
        "valid_until": MARCH_UNTIL,
        "weekdays": "12345",
        "start_time": dt.time(8),
        "end_time": dt.time(14),
        "slot_minutes": 15,
    }
    fields.update(overrides)
    return schedule_create(**fields)


def test_publishing_creates_the_schedule_and_its_slots(doctor: Clinician, centre: Facility, room: Room) -> None:
    schedule = publish(doctor, centre, room)
    # Four March weeks of Monday–Friday, 08:00–14:00 in 15-minute slots, no holiday.
    assert schedule.slots.count() == 20 * 24
    first = schedule.slots.order_by("starts_at").first()
    assert first is not None
    assert first.starts_at == dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)  # 08:00 CET
    assert (first.facility_id, first.city_id, first.room_id) == (centre.pk, centre.city_id, room.pk)
    assert (first.specialty_id, first.mode, first.clinician_id) == (schedule.specialty_id, "in_person", doctor.pk)
    assert list(schedule.services.all()) == list(schedule.specialty.services.all())


def test_slots_follow_the_spring_dst_switch(doctor: Clinician, centre: Facility) -> None:
    schedule = publish(doctor, centre, None, valid_from=dt.date(2026, 3, 27), valid_until=dt.date(2026, 3, 30))
    starts = {s.starts_at.date(): s.starts_at.time() for s in schedule.slots.order_by("-starts_at")}
    assert starts == {dt.date(2026, 3, 27): dt.time(7), dt.date(2026, 3, 30): dt.time(6)}


def test_holidays_are_skipped_by_default_and_kept_on_request(doctor: Clinician, centre: Facility) -> None:
    week = {"valid_from": dt.date(2026, 11, 9), "valid_until": dt.date(2026, 11, 13)}
    skipping = publish(doctor, centre, None, **week, end_time=dt.time(9))
    assert skipping.slots.count() == 4 * 4  # Wednesday 11 November is Independence Day
    keeping = publish(doctor, centre, None, **week, start_time=dt.time(9), end_time=dt.time(10), skip_holidays=False)
    assert keeping.slots.count() == 5 * 4


def test_generation_is_idempotent(doctor: Clinician, centre: Facility) -> None:
    schedule = publish(doctor, centre, None)
    assert schedule_generate_slots(schedule=schedule) == 0
    Slot.objects.filter(schedule=schedule, starts_at__date=dt.date(2026, 3, 3)).delete()
    assert schedule_generate_slots(schedule=schedule) == 24
    assert schedule_generate_slots(schedule=schedule) == 0
    assert schedule.slots.count() == 20 * 24


def test_phone_schedule_without_facility(doctor: Clinician) -> None:
    schedule = publish(doctor, None, None, mode=Mode.PHONE, start_time=dt.time(18), end_time=dt.time(20))
    slot = schedule.slots.first()
    assert slot is not None
    assert (slot.facility_id, slot.city_id, slot.room_id, slot.mode) == (None, None, None, "phone")


def assert_refused(code: str, call: Any, *, words: tuple[str, ...] = ()) -> ValidationFailed:
    schedules, slots = Schedule.objects.count(), Slot.objects.count()
    with translation.override("pl"), pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.code == code
    message = str(caught.value.message)
    for word in words:
        assert word in message, message
    assert (Schedule.objects.count(), Slot.objects.count()) == (schedules, slots), "a refusal must save nothing"
    return caught.value


def test_overlap_for_the_same_clinician_is_refused(doctor: Clinician, centre: Facility) -> None:
    other_centre = FacilityFactory(city=centre.city, name="CareNet Centrum Medyczne Wola")
    doctor.facilities.add(other_centre)
    publish(doctor, centre, None)
    refusal = assert_refused(
        "schedule_overlaps_clinician",
        lambda: publish(doctor, other_centre, None, weekdays="3", start_time=dt.time(13), end_time=dt.time(17)),
        words=("nakłada się", "Anna Nowak", "02.03.2026–29.03.2026", "pn–pt", "08:00–14:00", "Mokotów"),
    )
    assert refusal.details["schedule_id"] == Schedule.objects.get().pk


def test_overlap_for_the_same_room_is_refused(doctor: Clinician, centre: Facility, room: Room) -> None:
    publish(doctor, centre, room)
    colleague = clinician_at(centre, first_name="Piotr", last_name="Zieliński")
    assert_refused(
        "schedule_overlaps_room",
        lambda: publish(colleague, centre, room, valid_from=dt.date(2026, 3, 20), valid_until=dt.date(2026, 4, 30)),
        words=("Gabinet 12", "zajęty", "Anna Nowak"),
    )


def test_touching_schedules_are_accepted(doctor: Clinician, centre: Facility, room: Room) -> None:
    publish(doctor, centre, room)
    colleague = clinician_at(centre, first_name="Piotr", last_name="Zieliński")
    publish(colleague, centre, room, start_time=dt.time(14), end_time=dt.time(20))
    publish(doctor, centre, room, weekdays="6", start_time=dt.time(8), end_time=dt.time(12))
    assert Schedule.objects.count() == 3


@pytest.mark.parametrize(
    ("overrides", "code", "word"),
    [
        ({"valid_from": MARCH_UNTIL, "valid_until": MARCH_FROM}, "schedule_period_reversed", "zakończyć"),
        ({"start_time": dt.time(14), "end_time": dt.time(8)}, "schedule_hours_reversed", "Godziny"),
        ({"weekdays": "1238"}, "schedule_weekdays_invalid", "od 1"),
        ({"weekdays": "pn-pt"}, "schedule_weekdays_invalid", "od 1"),
        ({"slot_minutes": 3}, "schedule_slot_length", "5"),
        ({"services": []}, "schedule_services_required", "usług"),
    ],
)
def test_bad_shapes_are_refused(
    doctor: Clinician, centre: Facility, overrides: dict[str, Any], code: str, word: str
) -> None:
    assert_refused(code, lambda: publish(doctor, centre, None, **overrides), words=(word,))


def test_room_of_another_facility_is_refused(doctor: Clinician, centre: Facility) -> None:
    elsewhere = RoomFactory(facility=FacilityFactory(name="CareNet Medycyna Rodzinna Ursus"), number="3")
    assert_refused(
        "schedule_room_other_facility", lambda: publish(doctor, centre, elsewhere), words=("Ursus", "Mokotów")
    )


def test_clinician_must_work_at_the_facility(doctor: Clinician) -> None:
    stranger = FacilityFactory(name="CareNet Centrum Medyczne Gdańsk Wrzeszcz")
    assert_refused(
        "schedule_clinician_not_at_facility",
        lambda: publish(doctor, stranger, None),
        words=("Anna Nowak", "nie pracuje", "Wrzeszcz"),
    )


def test_in_person_needs_a_facility(doctor: Clinician) -> None:
    assert_refused("schedule_facility_required", lambda: publish(doctor, None, None, mode=Mode.IN_PERSON))


def test_a_failure_while_generating_slots_saves_nothing(
    doctor: Clinician, centre: Facility, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.Slot.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        publish(doctor, centre, None)
    assert Schedule.objects.count() == 0


def admin_form(schedule_fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schedule_fields.items() if value is not None}


def test_admin_refuses_an_overlapping_schedule_and_publishes_a_good_one(
    admin_client: Any, doctor: Clinician, centre: Facility, room: Room
) -> None:
    publish(doctor, centre, room)
    specialty = doctor.specialties.get()
    url = reverse("admin:scheduling_schedule_add")
    data = {
        "clinician": doctor.pk,
        "facility": centre.pk,
        "room": room.pk,
        "mode": "in_person",
        "specialty": specialty.pk,
        "services": [s.pk for s in specialty.services.all()],
        "valid_from": "2026-03-16",
        "valid_until": "2026-04-30",
        "weekdays": "2",
        "start_time": "13:00",
        "end_time": "15:00",
        "slot_minutes": "20",
    }
    with translation.override("pl"):
        response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    assert "nakłada się" in response.content.decode()
    assert Schedule.objects.count() == 1

    data.update({"start_time": "14:00", "end_time": "16:00", "weekdays": "42"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Schedule.objects.order_by("-pk").first()
    assert created is not None and created.weekdays == "24"
    # 16 March – 30 April, Tuesdays and Thursdays: 14 days, 6 slots of 20 minutes each.
    assert created.slots.count() == 14 * 6
