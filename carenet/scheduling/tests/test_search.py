"""Slot search (SCH-2, SCH-3, NET-2, NET-3): filters, exclusions, validation codes and a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    ServiceFactory,
    SpecialtyFactory,
    make_slot,
)
from carenet.core.clock import at_warsaw
from carenet.core.errors import ValidationFailed
from carenet.network.models import FacilityClosure, Language
from carenet.network.tests.factories import RoomFactory
from carenet.scheduling.models import Mode, Slot
from carenet.scheduling.search import MAX_PAGE_SIZE, SlotQuery, slot_search

pytestmark = pytest.mark.django_db

NOW = at_warsaw(dt.date(2026, 3, 2), dt.time(8))
TOMORROW = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = TOMORROW) -> dt.datetime:
    return at_warsaw(day, dt.time(hour, minute))


@pytest.fixture
def world():
    """Internal medicine in Warsaw (two own centres) and Kraków, a partner in Warsaw, a cardiologist."""
    interna = SpecialtyFactory(code="interna")
    warsaw, krakow = CityFactory(name="Warszawa"), CityFactory(name="Kraków")
    centre = FacilityFactory(city=warsaw)
    other_centre = FacilityFactory(city=warsaw)
    krakow_centre = FacilityFactory(city=krakow)
    partner = FacilityFactory(city=warsaw, partner=True, phone="+48 22 555 00 11", offers_telemedicine=True)
    return {
        "interna": interna,
        "warsaw": warsaw,
        "krakow": krakow,
        "centre": centre,
        "other_centre": other_centre,
        "krakow_centre": krakow_centre,
        "partner": partner,
    }


def search(**fields) -> list[int]:
    return [slot.pk for slot in slot_search(query=SlotQuery(**fields), now=NOW).slots]


def test_free_future_slots_of_the_specialty_in_the_city_earliest_first(world):
    later = make_slot(starts_at=at(11), facility=world["centre"], specialty=world["interna"])
    earlier = make_slot(starts_at=at(9), facility=world["other_centre"], specialty=world["interna"])
    make_slot(starts_at=at(10), facility=world["centre"], specialty=world["interna"], is_free=False)
    make_slot(starts_at=NOW - dt.timedelta(hours=1), facility=world["centre"], specialty=world["interna"])
    make_slot(starts_at=at(9, 30), facility=world["krakow_centre"], specialty=world["interna"])
    make_slot(starts_at=at(9, 45), facility=world["centre"], specialty=SpecialtyFactory(code="kardiologia"))

    assert search(specialty="interna", city_id=world["warsaw"].pk) == [earlier.pk, later.pk]
    assert search(specialty="interna", city_id=world["warsaw"].pk, sort="-starts_at") == [later.pk, earlier.pk]


def test_service_facility_clinician_language_and_hours_narrow_the_search(world):
    """SCH-2 with NET-4: a clinician's languages (and the other filters) narrow the search."""
    ekg = ServiceFactory(code="ekg", specialty=world["interna"], kind="functional", preparation="Bez balsamu.")
    english = Language.objects.create(code="en", name="English")
    speaker = ClinicianFactory()
    speaker.languages.add(english)
    with_ekg = make_slot(starts_at=at(9), facility=world["centre"], specialty=world["interna"], services=[ekg])
    by_speaker = make_slot(
        starts_at=at(13), facility=world["other_centre"], specialty=world["interna"], clinician=speaker
    )
    evening = make_slot(starts_at=at(18), facility=world["centre"], specialty=world["interna"])

    assert search(service="ekg") == [with_ekg.pk]
    assert search(specialty="interna", facility_id=world["other_centre"].pk) == [by_speaker.pk]
    assert search(specialty="interna", clinician_id=speaker.pk) == [by_speaker.pk]
    assert search(clinician_id=speaker.pk) == [by_speaker.pk]
    assert search(specialty="interna", language="en") == [by_speaker.pk]
    assert search(specialty="interna", time_of_day="morning") == [with_ekg.pk]
    assert search(specialty="interna", time_of_day="afternoon") == [by_speaker.pk]
    assert search(specialty="interna", time_of_day="evening") == [evening.pk]
    assert search(specialty="interna", hour_from=12, hour_to=19) == [by_speaker.pk, evening.pk]


def test_date_range_is_inclusive_in_warsaw_days(world):
    day_after = TOMORROW + dt.timedelta(days=1)
    first = make_slot(starts_at=at(23, 30), facility=world["centre"], specialty=world["interna"])
    second = make_slot(starts_at=at(0, 15, day_after), facility=world["centre"], specialty=world["interna"])
    assert search(specialty="interna", date_from=TOMORROW, date_to=TOMORROW) == [first.pk]
    assert search(specialty="interna", date_from=day_after, date_to=day_after) == [second.pk]


def test_phone_consultations_are_nationwide(world):
    """SCH-3: the city narrows in-person visits only."""
    phone = make_slot(starts_at=at(9), specialty=world["interna"], mode=Mode.PHONE)
    phone_elsewhere = make_slot(
        starts_at=at(10), specialty=world["interna"], mode=Mode.PHONE, facility=world["krakow_centre"]
    )
    in_person = make_slot(starts_at=at(11), facility=world["centre"], specialty=world["interna"])
    make_slot(starts_at=at(12), facility=world["krakow_centre"], specialty=world["interna"])

    city = world["warsaw"].pk
    assert search(specialty="interna", city_id=city, mode="phone") == [phone.pk, phone_elsewhere.pk]
    assert search(specialty="interna", city_id=city, mode="in_person") == [in_person.pk]
    assert search(specialty="interna", city_id=city) == [phone.pk, phone_elsewhere.pk, in_person.pk]


def test_partner_facilities_are_never_bookable_but_listed_to_phone(world):
    """NET-2."""
    make_slot(starts_at=at(9), facility=world["partner"], specialty=world["interna"])
    own = make_slot(starts_at=at(10), facility=world["centre"], specialty=world["interna"])

    page = slot_search(query=SlotQuery(specialty="interna", city_id=world["warsaw"].pk), now=NOW)

    assert [slot.pk for slot in page.slots] == [own.pk]
    assert [(p.id, p.phone, p.offers_telemedicine) for p in page.partners] == [
        (world["partner"].pk, "+48 22 555 00 11", True)
    ]
    assert slot_search(query=SlotQuery(specialty="interna"), now=NOW).partners == []


def test_slots_inside_a_closure_are_excluded(world):
    """NET-3: a closure hides the slots it overlaps, only at its facility."""
    make_slot(starts_at=at(9), facility=world["centre"], specialty=world["interna"])
    edge = make_slot(starts_at=at(11, 55), facility=world["centre"], specialty=world["interna"])
    after = make_slot(starts_at=at(12), facility=world["centre"], specialty=world["interna"])
    elsewhere = make_slot(starts_at=at(9), facility=world["other_centre"], specialty=world["interna"])
    FacilityClosure.objects.create(facility=world["centre"], starts_at=at(8), ends_at=at(12), reason="kwarantanna")

    assert search(specialty="interna") == [elsewhere.pk, after.pk]
    assert edge.pk not in search(specialty="interna")


def test_inactive_facilities_are_excluded(world):
    world["centre"].is_active = False
    world["centre"].save()
    make_slot(starts_at=at(9), facility=world["centre"], specialty=world["interna"])
    assert search(specialty="interna") == []


def test_pages_fetch_one_more_row_to_tell_whether_there_is_a_next(world):
    slots = [make_slot(starts_at=at(8 + i), facility=world["centre"], specialty=world["interna"]) for i in range(5)]
    first = slot_search(query=SlotQuery(specialty="interna", page_size=2), now=NOW)
    third = slot_search(query=SlotQuery(specialty="interna", page_size=2, page=3), now=NOW)
    assert [s.pk for s in first.slots] == [slots[0].pk, slots[1].pk] and first.has_next
    assert [s.pk for s in third.slots] == [slots[4].pk] and not third.has_next


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "specialty_or_service_required"),
        ({"date_from": dt.date(2026, 3, 10), "date_to": dt.date(2026, 3, 9)}, "dates_reversed"),
        ({"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 5, 30)}, "range_too_long"),
        ({"time_of_day": "night"}, "unknown_time_of_day"),
        ({"time_of_day": "morning", "hour_from": 8}, "time_filter_conflict"),
        ({"hour_from": 14, "hour_to": 9}, "hours_reversed"),
        ({"hour_from": 25}, "bad_hours"),
        ({"mode": "telepathy"}, "unknown_mode"),
        ({"sort": "price; DROP TABLE"}, "unknown_sort"),
        ({"page": 0}, "bad_page"),
        ({"page": -3}, "bad_page"),
        ({"page": 10**12}, "bad_page"),
        ({"page_size": 0}, "bad_page_size"),
        ({"page_size": MAX_PAGE_SIZE + 1}, "bad_page_size"),
    ],
)
def test_bad_questions_are_refused_with_a_stable_code(fields, code):
    with pytest.raises(ValidationFailed) as refused:
        SlotQuery(**{"specialty": "interna", **fields} if fields else {})
    assert refused.value.code == code


def test_ninety_days_is_the_longest_range():
    SlotQuery(specialty="interna", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 5, 29))
    with pytest.raises(ValidationFailed) as refused:
        slot_search(query=SlotQuery(specialty="interna", date_to=dt.date(2026, 6, 30)), now=NOW)
    assert refused.value.code == "range_too_long"


def test_unknown_catalogue_codes_are_refused(world):
    for fields, code in [({"specialty": "nope"}, "unknown_specialty"), ({"service": "nope"}, "unknown_service")]:
        with pytest.raises(ValidationFailed) as refused:
            slot_search(query=SlotQuery(**fields), now=NOW)
        assert refused.value.code == code


@pytest.mark.parametrize("count", [3, 40])
def test_a_page_costs_the_same_queries_whatever_the_number_of_slots(world, count):
    for i in range(count):
        make_slot(
            starts_at=at(8) + dt.timedelta(minutes=15 * i),
            facility=world["centre"] if i % 2 else world["other_centre"],
            specialty=world["interna"],
            clinician=ClinicianFactory(),
        )
    with CaptureQueriesContext(connection) as queries:
        page = slot_search(query=SlotQuery(specialty="interna", city_id=world["warsaw"].pk, page_size=50), now=NOW)
        for slot in page.slots:  # everything a result row shows is loaded
            _ = (slot.clinician.last_name, slot.facility.city.name, slot.specialty.code, slot.room)
            _ = slot.service_ids
    assert len(page.slots) == count
    # slots, their details with their schedules' service ids, partners
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]


def test_a_result_row_shows_what_the_slot_and_its_relations_hold(world):
    """PERF (issue 16): a page is built from rows, not model instances — each row answers what the API and the pages
    read of a slot exactly as the slot itself does."""
    services = [ServiceFactory(specialty=world["interna"]), ServiceFactory(specialty=None)]
    in_person = make_slot(
        starts_at=at(9),
        facility=world["centre"],
        specialty=world["interna"],
        room=RoomFactory(facility=world["centre"]),
        clinician=ClinicianFactory(title="dr n. med."),
        services=services[::-1],
    )
    remote = make_slot(starts_at=at(10), facility=None, room=None, mode=Mode.PHONE, specialty=world["interna"])
    page = slot_search(query=SlotQuery(specialty="interna", city_id=world["warsaw"].pk), now=NOW)
    rows = {row.pk: row for row in page.slots}
    assert set(rows) == {in_person.pk, remote.pk}
    for slot in (in_person, remote):
        slot = Slot.objects.select_related("clinician", "facility__city", "room", "specialty", "schedule").get(
            pk=slot.pk
        )
        row = rows[slot.pk]
        for name in ("starts_at", "ends_at", "mode", "clinician_id", "facility_id", "city_id", "room_id"):
            assert getattr(row, name) == getattr(slot, name), name
        assert (row.specialty_id, row.schedule_id) == (slot.specialty_id, slot.schedule_id)
        assert row.get_mode_display() == slot.get_mode_display()
        assert str(row.clinician) == str(slot.clinician)
        assert (row.clinician.pk, row.clinician.first_name, row.clinician.last_name, row.clinician.title) == (
            slot.clinician.pk,
            slot.clinician.first_name,
            slot.clinician.last_name,
            slot.clinician.title,
        )
        assert (row.specialty.code, row.specialty.name, row.specialty.name_en) == (
            slot.specialty.code,
            slot.specialty.name,
            slot.specialty.name_en,
        )
        if slot.facility is None:
            assert row.facility is None
        else:
            assert row.facility is not None
            assert (row.facility.pk, row.facility.name, row.facility.address, row.facility.city.name) == (
                slot.facility.pk,
                slot.facility.name,
                slot.facility.address,
                slot.facility.city.name,
            )
        assert (row.room.number if row.room else None) == (slot.room.number if slot.room else None)
        assert slot.schedule is not None
        assert list(row.service_ids) == sorted(service.pk for service in slot.schedule.services.all())
