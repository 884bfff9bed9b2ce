"""Offers (SCH-2, SCH-4, PKG-4): each searched slot with the patient's coverage and its preparation instructions,
decided once per distinct (service, facility) on the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import (
    EnrolmentFactory,
    FacilityFactory,
    PatientFactory,
    ServiceFactory,
    SpecialtyFactory,
    benefit,
    make_slot,
)
from carenet.booking.models import Appointment, Channel
from carenet.booking.offers import OfferStatus, offers_for, slot_service
from carenet.core.clock import at_warsaw
from carenet.coverage.selectors import coverage_items_cache_clear
from carenet.network.models import FacilityPrice, Service
from carenet.scheduling.search import SlotQuery, slot_search

pytestmark = pytest.mark.django_db

NOW = at_warsaw(dt.date(2026, 3, 2), dt.time(8))
DAY = dt.date(2026, 3, 3)


@pytest.fixture(autouse=True)
def _fresh_matrix_cache():
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()


@pytest.fixture
def setup():
    """A tier covering internal medicine, 2 dietitian visits a year, a lab panel once a year, a 20% discount on
    ultrasound, ECG needing a referral; and a centre with its own price for the paid ones."""
    interna = SpecialtyFactory(code="interna")
    dietetics = SpecialtyFactory(code="dietetyka")
    services = {
        "interna": ServiceFactory(code="konsultacja-interna", specialty=interna, base_price=200),
        "dietitian": ServiceFactory(code="konsultacja-dietetyk", specialty=dietetics, base_price=150),
        "panel": ServiceFactory(code="panel", specialty=interna, kind=Service.Kind.LAB, requires_referral=True),
        "usg": ServiceFactory(code="usg", specialty=interna, kind=Service.Kind.IMAGING, base_price=300),
        "ekg": ServiceFactory(
            code="ekg", specialty=interna, kind=Service.Kind.FUNCTIONAL, requires_referral=True, preparation="Na czczo."
        ),
        "mri": ServiceFactory(code="mri", specialty=interna, kind=Service.Kind.IMAGING, base_price=900),
        "paediatric": ServiceFactory(code="pediatria", specialty=interna, max_age=18, base_price=180),
    }
    enrolment = EnrolmentFactory(patient=PatientFactory(birth_date=dt.date(1980, 1, 1)))
    tier = enrolment.tier
    benefit(tier, "interna", specialty=interna)
    benefit(tier, "dietitian", specialty=dietetics, rule="annual_limit", annual_limit=2, limit_pool="dietitian")
    benefit(tier, "panel", service=services["panel"], rule="once_a_year", without_referral=True, limit_pool="panel")
    benefit(tier, "usg", service=services["usg"], rule="discount", discount_percent=20)
    benefit(tier, "ekg", service=services["ekg"])
    benefit(tier, "paediatric", service=services["paediatric"])
    facility = FacilityFactory()
    FacilityPrice.objects.create(facility=facility, service=services["mri"], price=Decimal("750.00"))
    return {"patient": enrolment.patient, "enrolment": enrolment, "facility": facility, **services}


def slot_for(setup, service, hour=9, **fields):
    return make_slot(
        starts_at=at_warsaw(DAY, dt.time(hour)),
        facility=setup["facility"],
        specialty=service.specialty,
        services=[service],
        **fields,
    )


@pytest.mark.parametrize(
    ("service", "status", "kind", "to_pay"),
    [
        ("interna", OfferStatus.COVERED, "covered", Decimal("0.00")),
        ("dietitian", OfferStatus.WITHIN_LIMIT, "within_limit", Decimal("0.00")),
        ("panel", OfferStatus.ONCE_A_YEAR, "once_a_year", Decimal("0.00")),
        ("usg", OfferStatus.DISCOUNTED, "discounted", Decimal("240.00")),
        ("ekg", OfferStatus.REFERRAL_REQUIRED, "covered", Decimal("0.00")),
        ("mri", OfferStatus.PAID, "not_covered", Decimal("750.00")),
        ("paediatric", OfferStatus.AGE_NOT_ALLOWED, "not_covered", Decimal("180.00")),
    ],
)
def test_each_offer_says_what_the_package_does(setup, service, status, kind, to_pay):
    slot = slot_for(setup, setup[service])
    [offer] = offers_for(patient=setup["patient"], slots=[slot], now=NOW)
    assert offer.status == status
    assert offer.coverage is not None
    assert offer.coverage.kind == kind
    assert offer.coverage.price_to_pay == to_pay


def test_the_limit_left_counts_this_years_bookings(setup):
    used = slot_for(setup, setup["dietitian"], hour=8, is_free=False)
    Appointment.objects.create(
        patient=setup["patient"],
        slot=used,
        service=setup["dietitian"],
        enrolment=setup["enrolment"],
        channel=Channel.PORTAL,
        limit_pool="dietitian",
    )
    [offer] = offers_for(patient=setup["patient"], slots=[slot_for(setup, setup["dietitian"])], now=NOW)
    assert (offer.status, offer.coverage.limit, offer.coverage.used, offer.coverage.left) == (
        OfferStatus.WITHIN_LIMIT,
        2,
        1,
        1,
    )


def test_no_enrolment_on_the_day_is_not_entitled(setup):
    stranger = PatientFactory()
    [offer] = offers_for(patient=stranger, slots=[slot_for(setup, setup["interna"])], now=NOW)
    assert offer.status == OfferStatus.NOT_ENTITLED
    assert offer.coverage.price_to_pay == Decimal("200")


def test_without_a_patient_offers_carry_no_coverage_but_keep_the_preparation(setup):
    [offer] = offers_for(patient=None, slots=[slot_for(setup, setup["ekg"])], now=NOW)
    assert offer.status == OfferStatus.UNKNOWN and offer.coverage is None
    assert offer.preparation == "Na czczo."


def test_a_specialty_search_offers_the_schedules_consultation(setup):
    slot = make_slot(
        starts_at=at_warsaw(DAY, dt.time(9)),
        facility=setup["facility"],
        specialty=setup["interna"].specialty,
        services=[setup["ekg"], setup["interna"]],
    )
    assert slot_service(slot) == setup["interna"]
    assert slot_service(slot, service=setup["ekg"]) == setup["ekg"]


@pytest.mark.parametrize("count", [2, 30])
def test_a_page_of_offers_costs_constant_queries(setup, count):
    """Coverage is decided once per distinct (service, facility), with the matrix cached and the year's use and
    prices read once for the page."""
    other = FacilityFactory()
    for i in range(count):
        service = [setup["interna"], setup["mri"], setup["dietitian"]][i % 3]
        make_slot(
            starts_at=at_warsaw(DAY, dt.time(7)) + dt.timedelta(minutes=15 * i),
            facility=setup["facility"] if i % 2 else other,
            specialty=service.specialty,
            services=[service],
        )
    slots = list(slot_search(query=SlotQuery(specialty="interna", page_size=50), now=NOW).slots)
    slots += list(slot_search(query=SlotQuery(specialty="dietetyka", page_size=50), now=NOW).slots)
    coverage_items_cache_clear()
    with CaptureQueriesContext(connection) as queries:
        offers = offers_for(patient=setup["patient"], slots=slots, now=NOW)
    assert len(offers) == count
    # the enrolments with the matrix's token (issue 16: one query), the catalogue's services and the tier's matrix
    # (both kept under the token, just forgotten), the year's use (only for a page with the dietitian's limit), the
    # price list
    limited = count > 2
    assert len(queries) == 4 + limited, [q["sql"] for q in queries.captured_queries]
    with CaptureQueriesContext(connection) as queries:
        offers_for(patient=setup["patient"], slots=slots, now=NOW)
    # the matrix is kept under its token, and within one transaction (this test's) the token is read once too:
    # enrolments, the year's use (as above), the price list
    assert len(queries) == 2 + limited, [q["sql"] for q in queries.captured_queries]
    assert any("booking_appointment" in q["sql"] for q in queries.captured_queries) == limited
