"""The search's slot query is baked (carenet/core/baked.py, issue 16): compiled once per process and shape, then run
with each search's values. For every shape of search — each filter alone and together, both sorts, later pages —
the baked statement answers exactly what the ORM answers for the same question, also for values other than those
it was compiled with, and it is really baked (not silently run through the ORM)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from carenet.core.baked import BakedQuery
from carenet.core.clock import at_warsaw
from carenet.core.errors import ValidationFailed
from carenet.network.models import FacilityClosure, Language
from carenet.network.tests.factories import RoomFactory
from carenet.scheduling import search
from carenet.scheduling.models import Mode
from carenet.scheduling.search import SlotQuery, slot_search

pytestmark = pytest.mark.django_db

NOW = at_warsaw(dt.date(2026, 3, 2), dt.time(8))
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return at_warsaw(day, dt.time(hour, minute))


@pytest.fixture
def world() -> dict[str, Any]:
    """Two specialties in two cities, own centres and a partner, remote slots, a service, an English speaker, a
    closure, an inactive centre and taken slots — something for every filter to keep and to leave out."""
    interna, kardio = SpecialtyFactory(code="interna"), SpecialtyFactory(code="kardiologia")
    warsaw, krakow = CityFactory(name="Warszawa"), CityFactory(name="Kraków")
    centre, other = FacilityFactory(city=warsaw), FacilityFactory(city=warsaw)
    krakow_centre = FacilityFactory(city=krakow)
    partner = FacilityFactory(city=warsaw, partner=True)
    closed = FacilityFactory(city=krakow, is_active=False)
    ekg, echo = (
        ServiceFactory(code="ekg", specialty=interna, kind="functional"),
        ServiceFactory(code="echo", specialty=kardio, kind="functional"),
    )
    english = Language.objects.create(code="en", name="English")
    speaker, other_clinician = ClinicianFactory(), ClinicianFactory()
    speaker.languages.add(english)
    room = RoomFactory(facility=centre, number="12")
    days = (DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=12))
    for n, day in enumerate(days):
        for hour in (7, 9, 13, 18):
            for m, (specialty, service) in enumerate(((interna, ekg), (kardio, echo))):
                make_slot(starts_at=at(hour, m, day), facility=centre, specialty=specialty, room=room)
                make_slot(starts_at=at(hour, 15 + m, day), facility=other, specialty=specialty, clinician=speaker)
                make_slot(
                    starts_at=at(hour, 30 + m, day), facility=krakow_centre, specialty=specialty, services=[service]
                )
                make_slot(starts_at=at(hour, 45 + m, day), specialty=specialty, mode=Mode.PHONE, clinician=speaker)
                make_slot(
                    starts_at=at(hour, 5 + m, day), specialty=specialty, mode=Mode.VIDEO, clinician=other_clinician
                )
                make_slot(starts_at=at(hour, 10 + m, day), facility=partner, specialty=specialty)
                make_slot(starts_at=at(hour, 20 + m, day), facility=closed, specialty=specialty)
                make_slot(starts_at=at(hour, 25 + m, day), facility=centre, specialty=specialty, is_free=False)
        if n == 1:
            FacilityClosure.objects.create(facility=centre, starts_at=at(8, 0, day), ends_at=at(14, 0, day))
    return {
        "warsaw": warsaw.pk,
        "krakow": krakow.pk,
        "centre": centre.pk,
        "krakow_centre": krakow_centre.pk,
        "speaker": speaker.pk,
        "other_clinician": other_clinician.pk,
    }


def questions(w: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of questions of one shape with different values: the first compiles the statement, the second runs it."""
    later = {"date_from": DAY + dt.timedelta(days=1), "date_to": DAY + dt.timedelta(days=20)}
    return [
        ({"specialty": "interna"}, {"specialty": "kardiologia"}),
        ({"specialty": "interna", "city_id": w["warsaw"]}, {"specialty": "kardiologia", "city_id": w["krakow"]}),
        (
            {"specialty": "interna", "city_id": w["warsaw"], **later},
            {"specialty": "kardiologia", "city_id": w["krakow"]},
        ),
        ({"specialty": "interna", "sort": "-starts_at"}, {"specialty": "kardiologia", "sort": "-starts_at"}),
        ({"specialty": "interna", "page": 2, "page_size": 5}, {"specialty": "kardiologia", "page": 2, "page_size": 5}),
        ({"service": "ekg"}, {"service": "echo"}),
        ({"service": "ekg", "city_id": w["krakow"]}, {"service": "echo", "city_id": w["warsaw"]}),
        ({"clinician_id": w["speaker"]}, {"clinician_id": w["other_clinician"]}),
        (
            {"specialty": "interna", "facility_id": w["centre"]},
            {"specialty": "kardiologia", "facility_id": w["krakow_centre"]},
        ),
        ({"specialty": "interna", "mode": "phone"}, {"specialty": "kardiologia", "mode": "video"}),
        (
            {"specialty": "interna", "mode": "in_person", "city_id": w["warsaw"]},
            {"specialty": "kardiologia", "mode": "in_person", "city_id": w["krakow"]},
        ),
        (
            {"specialty": "interna", "remote": True, "city_id": w["warsaw"]},
            {"specialty": "kardiologia", "remote": True, "city_id": w["krakow"]},
        ),
        ({"specialty": "interna", "language": "en"}, {"specialty": "kardiologia", "language": "en"}),
        ({"specialty": "interna", "time_of_day": "morning"}, {"specialty": "kardiologia", "time_of_day": "evening"}),
        (
            {"specialty": "interna", "hour_from": 8, "hour_to": 14},
            {"specialty": "kardiologia", "hour_from": 12, "hour_to": 24},
        ),
        (
            {
                "specialty": "interna",
                "city_id": w["warsaw"],
                "clinician_id": w["speaker"],
                "language": "en",
                "time_of_day": "afternoon",
                **later,
            },
            {
                "specialty": "kardiologia",
                "city_id": w["krakow"],
                "clinician_id": w["other_clinician"],
                "language": "en",
                "time_of_day": "morning",
            },
        ),
        ({"specialty": "no-such-specialty"}, {"specialty": "interna"}),
    ]


def orm_rows(query: SlotQuery, *, now: dt.datetime) -> list[tuple[Any, ...]]:
    """The page's rows as the ORM reads them, the statement built and compiled anew."""
    service = search._resolve_service(query)
    shape, values = search._search_values(query=query, service=service, window=query.window(now=now), now=now)
    offset = (query.page - 1) * query.page_size
    return list(search._page_query((shape, offset, query.page_size + 1), **values))


@pytest.fixture
def fresh_page(monkeypatch: pytest.MonkeyPatch) -> BakedQuery[Any]:
    baked = BakedQuery(search._PAGE.model, search._page_query, kept_shapes=search.SEARCH_SHAPES_KEPT)
    monkeypatch.setattr(search, "_PAGE", baked)
    return baked


def test_every_shape_of_search_is_baked_and_answers_what_the_orm_answers(world, fresh_page):
    for first, second in questions(world):
        for fields, now in ((first, NOW), (second, NOW + dt.timedelta(hours=3, microseconds=7))):
            query = SlotQuery(**fields)
            expected = orm_rows(query, now=now)
            with CaptureQueriesContext(connection) as queries:
                try:
                    page = slot_search(query=query, now=now)
                except ValidationFailed as refused:  # an unknown specialty: refused only when nothing matched
                    assert not expected and refused.code == "unknown_specialty", fields
                    continue
            assert [slot.pk for slot in page.slots] == [row[0] for row in expected[: query.page_size]], fields
            assert page.has_next == (len(expected) > query.page_size), fields
            assert [(s.starts_at, s.mode, s.facility_id, s.city_id, s.room_id) for s in page.slots] == [
                (row[1], row[3], row[5], row[6], row[7]) for row in expected[: query.page_size]
            ], fields
            assert all(s.starts_at.tzinfo is not None for s in page.slots)
            assert len(queries) <= 4  # the service named, the slot query, the page's details, the partners
        asked = SlotQuery(**second)
        shape, _values = search._search_values(
            query=asked, service=search._resolve_service(asked), window=asked.window(now=NOW), now=NOW
        )
        assert any(key[1][0] == shape and plan is not None for key, plan in fresh_page._plans.items()), second
    assert len(fresh_page._plans) >= 12 and all(plan is not None for plan in fresh_page._plans.values())


def test_the_baked_rows_are_the_orms_row_for_row(world, fresh_page):
    """The values of each column — date-times as aware instants, the facility's city and name — as the ORM reads
    them, for a shape compiled with other values."""
    city_query = SlotQuery(specialty="interna", city_id=world["warsaw"], page_size=50)
    slot_search(query=city_query, now=NOW)
    other = SlotQuery(specialty="kardiologia", city_id=world["krakow"], page_size=50)
    service = search._resolve_service(other)
    shape, values = search._search_values(query=other, service=service, window=other.window(now=NOW), now=NOW)
    baked = fresh_page.rows(shape=(shape, 0, 51), **values)
    assert baked == orm_rows(other, now=NOW)
    assert len(baked) > 5


def test_equal_values_of_one_search_are_told_apart(world, fresh_page):
    """A search from today starts at ``now`` (two equal date-times), a facility's id may equal a city's: each value
    still goes to its own place in the statement, so the next search with different values answers right."""
    same = SlotQuery(specialty="interna", city_id=world["warsaw"], facility_id=world["warsaw"], date_from=NOW.date())
    slot_search(query=same, now=NOW)
    assert all(plan is not None for plan in fresh_page._plans.values())
    query = SlotQuery(specialty="interna", city_id=world["warsaw"], facility_id=world["centre"], date_from=DAY)
    later = NOW + dt.timedelta(days=1, hours=5)
    assert [slot.pk for slot in slot_search(query=query, now=later).slots] == [
        row[0] for row in orm_rows(query, now=later)[: query.page_size]
    ]


def test_the_pages_details_are_baked_per_page_size_and_read_what_the_orm_reads(world, monkeypatch):
    """The clinician, specialty, room and services of a page's slots: compiled once per number of slots, then read
    for other slots exactly as the ORM reads them."""
    baked = BakedQuery(search._DETAILS.model, search._details_query, kept_shapes=search.MAX_PAGE_SIZE)
    monkeypatch.setattr(search, "_DETAILS", baked)
    pages = [
        [row[0] for row in orm_rows(SlotQuery(specialty=code, city_id=city, page_size=5), now=NOW)[:5]]
        for code, city in (("interna", world["warsaw"]), ("kardiologia", world["krakow"]), ("interna", world["krakow"]))
    ]
    for ids in pages:
        assert len(ids) == 5
        values = {f"slot_{n}": pk for n, pk in enumerate(ids)}
        assert sorted(baked.rows(shape=5, **values)) == sorted(search._details_query(5, **values))
    assert list(baked._plans) == [("default", 5)] and baked._plans[("default", 5)] is not None
    page = slot_search(query=SlotQuery(specialty="interna", city_id=world["warsaw"], page_size=5), now=NOW)
    assert [(s.clinician.last_name, s.specialty.code, s.room.number if s.room else None) for s in page.slots] == [
        (clinician, code, room)
        for _pk, _first, clinician, _title, code, _name, _en, room, _service in sorted(
            search._details_query(5, **{f"slot_{n}": s.pk for n, s in enumerate(page.slots)}),
            key=lambda row: [s.pk for s in page.slots].index(row[0]),
        )
    ]
