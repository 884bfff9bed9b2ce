"""The search's partner facilities (NET-2, PKG-2) are baked (carenet/core/baked.py, issue 16): compiled once per
process and shape — by facility or by city, remote or not, narrowed by nothing, by ids or by the patient's contracts —
then run with each search's values. Every shape answers exactly what the ORM query built anew answers, also for
values other than those it was compiled with, in one statement, and it is really baked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import CityFactory, ContractFactory, EnrolmentFactory, FacilityFactory
from carenet.core.baked import BakedQuery, BoundQuery
from carenet.coverage.selectors import partner_facility_ids_allowed
from carenet.network.models import Facility
from carenet.scheduling import search
from carenet.scheduling.models import Mode
from carenet.scheduling.search import SlotQuery, partner_facilities_for

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 3)


def orm_partners(query: SlotQuery, allowed_ids: Any) -> list[search.PartnerFacility]:
    """The partners as the ORM read them before the statement was baked (the reference)."""
    partners = Facility.objects.filter(kind=Facility.Kind.PARTNER, is_active=True)
    if allowed_ids is not None:
        ids = allowed_ids.queryset() if isinstance(allowed_ids, BoundQuery) else allowed_ids
        partners = partners.filter(pk__in=ids if isinstance(ids, QuerySet) else list(ids))
    if query.facility_id is not None:
        partners = partners.filter(pk=query.facility_id)
    elif query.city_id is not None:
        partners = partners.filter(city_id=query.city_id)
    else:
        return []
    if query.mode in search.REMOTE_MODES or query.remote:
        partners = partners.filter(offers_telemedicine=True)
    columns = ("pk", "name", "city__name", "address", "phone", "scope", "offers_telemedicine", "scope_en")
    return [
        search.PartnerFacility(*row)
        for row in partners.order_by("name", "id").values_list(*columns)[: search.MAX_PARTNERS]
    ]


@pytest.fixture
def world() -> dict[str, Any]:
    """Partners in two cities (some by telemedicine, one inactive, more than a page in one city), an own centre,
    contracts allowing some of them, patients enrolled in force, lapsed, not yet, and not at all."""
    warsaw, krakow = CityFactory(name="Warszawa"), CityFactory(name="Kraków")
    many = [
        FacilityFactory(city=warsaw, partner=True, name=f"Partner {n:02d}", offers_telemedicine=n % 3 == 0)
        for n in range(14)
    ]
    krakow_partners = [
        FacilityFactory(city=krakow, partner=True, name="Kraków A", offers_telemedicine=True),
        FacilityFactory(city=krakow, partner=True, name="Kraków B", scope="USG", scope_en="Ultrasound"),
    ]
    inactive = FacilityFactory(city=warsaw, partner=True, name="Partner 00", is_active=False)
    own = FacilityFactory(city=warsaw)
    firm = ContractFactory(code="firm")
    firm.partner_facilities.add(many[0], many[3], many[5], krakow_partners[1], inactive, own)
    other = ContractFactory(code="other")
    other.partner_facilities.add(many[1], krakow_partners[0])
    enrolled = EnrolmentFactory(contract=firm).patient
    both = EnrolmentFactory(contract=firm).patient
    EnrolmentFactory(patient=both, contract=other)
    lapsed = EnrolmentFactory(contract=other, paid_through=DAY - dt.timedelta(days=1)).patient
    later = EnrolmentFactory(contract=other, activated_on=DAY + dt.timedelta(days=1)).patient
    return {
        "warsaw": warsaw.pk,
        "krakow": krakow.pk,
        "partners": [f.pk for f in many],
        "krakow_partners": [f.pk for f in krakow_partners],
        "inactive": inactive.pk,
        "own": own.pk,
        "patients": [enrolled, both, lapsed, later],
    }


def questions(w: dict[str, Any]) -> list[SlotQuery]:
    places: list[dict[str, Any]] = [
        {"city_id": w["warsaw"]},
        {"city_id": w["krakow"]},
        {"facility_id": w["partners"][0]},
        {"facility_id": w["partners"][3]},
        {"facility_id": w["krakow_partners"][1]},
        {"facility_id": w["inactive"]},
        {"facility_id": w["own"]},
        {"city_id": w["warsaw"], "facility_id": w["krakow_partners"][0]},
    ]
    remote: list[dict[str, Any]] = [
        {},
        {"remote": True},
        {"mode": Mode.PHONE},
        {"mode": Mode.VIDEO},
        {"mode": "in_person"},
    ]
    return [SlotQuery(specialty="interna", **place, **how) for how in remote for place in places]


def allowances(w: dict[str, Any]) -> list[Any]:
    """What narrows the partners: nothing, ids (none, some, repeated), each patient's contracts."""
    ids = w["partners"]
    return [
        None,
        [],
        [ids[0], ids[3]],
        {ids[3], ids[0]},
        [ids[5], ids[1], ids[5], w["krakow_partners"][0]],
        *[partner_facility_ids_allowed(patient=patient, day=DAY) for patient in w["patients"]],
    ]


@pytest.fixture
def fresh_partners(monkeypatch: pytest.MonkeyPatch) -> BakedQuery[Any]:
    baked = BakedQuery(search._PARTNERS.model, search._partners_query, kept_shapes=search.SEARCH_SHAPES_KEPT)
    monkeypatch.setattr(search, "_PARTNERS", baked)
    return baked


def test_every_shape_of_partners_is_baked_and_answers_what_the_orm_answers(world, fresh_partners):
    for allowed in allowances(world):
        for query in questions(world):
            expected = orm_partners(query, allowed)
            with CaptureQueriesContext(connection) as queries:
                got = partner_facilities_for(query=query, allowed_ids=allowed)
            assert got == expected, (query, allowed)
            assert len(queries) == (0 if allowed == [] else 1)  # no ids allowed: no partner, no query
    assert len(fresh_partners._plans) >= 12 and all(plan is not None for plan in fresh_partners._plans.values())
    shapes = {key[1] for key in fresh_partners._plans}
    assert {by for by, _remote, _allowed in shapes} == {"city", "facility"}
    assert {remote for _by, remote, _allowed in shapes} == {True, False}
    assert any(isinstance(allowed, tuple) for _by, _remote, allowed in shapes)  # the contracts' subquery, baked


def test_the_figures_a_search_shows_are_real(world):
    """Not only equal to the ORM: the contracts narrow as PKG-2 says (in force on the day, active partners only)."""
    enrolled, both, lapsed, later = world["patients"]
    warsaw = SlotQuery(specialty="interna", city_id=world["warsaw"])

    def names(patient: Any, query: SlotQuery = warsaw) -> list[str]:
        allowed = partner_facility_ids_allowed(patient=patient, day=DAY)
        return [p.name for p in partner_facilities_for(query=query, allowed_ids=allowed)]

    assert names(enrolled) == ["Partner 00", "Partner 03", "Partner 05"]
    assert names(both) == ["Partner 00", "Partner 01", "Partner 03", "Partner 05"]
    assert names(lapsed) == names(later) == []
    assert names(both, SlotQuery(specialty="interna", city_id=world["warsaw"], remote=True)) == [
        "Partner 00",
        "Partner 03",
    ]
    assert len(partner_facilities_for(query=warsaw)) == search.MAX_PARTNERS
    assert (
        sorted(partner_facility_ids_allowed(patient=enrolled, day=DAY))
        == sorted(  # iterated: the ids
            [
                *world["partners"][0:6:3],
                world["partners"][5],
                world["krakow_partners"][1],
                world["inactive"],
                world["own"],
            ]
        )
    )


def test_a_search_without_city_or_facility_lists_no_partner_and_asks_nothing(world):
    patient = world["patients"][1]
    for allowed in (None, [world["partners"][0]], partner_facility_ids_allowed(patient=patient, day=DAY)):
        with CaptureQueriesContext(connection) as queries:
            assert partner_facilities_for(query=SlotQuery(specialty="interna"), allowed_ids=allowed) == []
        assert len(queries) == 0


def test_a_queryset_of_ids_is_still_read_as_a_subquery(world):
    query = SlotQuery(specialty="interna", city_id=world["warsaw"])
    ids = Facility.objects.filter(name__in=["Partner 02", "Partner 07"]).values_list("pk", flat=True)
    with CaptureQueriesContext(connection) as queries:
        got = partner_facilities_for(query=query, allowed_ids=ids)
    assert [p.name for p in got] == ["Partner 02", "Partner 07"] and len(queries) == 1
