"""The offers' read of the patient's enrolments is baked (carenet/core/baked.py, issue 16): compiled once per process,
it answers what the ORM answers — which enrolments are in force over a page's days (PKG-3), highest tier first — for
any patient and days, also a page of one day (the first and last day equal when it was compiled)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from carenet.accounts.tests.factories import PatientFactory
from carenet.api.tests.factories import FacilityFactory, ServiceFactory
from carenet.booking import offers
from carenet.core.baked import BakedQuery
from carenet.coverage.models import MATRIX_VERSION_ROW, MatrixVersion
from carenet.coverage.selectors import matrix_changed, matrix_version, matrix_version_read
from carenet.coverage.tests.factories import EnrolmentFactory, TierFactory
from carenet.network.models import FacilityPrice

pytestmark = pytest.mark.django_db


def test_the_enrolments_of_a_page_are_baked_and_read_what_the_orm_reads(monkeypatch):
    baked = BakedQuery(offers._ENROLMENTS.model, offers._enrolments_query)
    monkeypatch.setattr(offers, "_ENROLMENTS", baked)
    basic, premium = TierFactory(rank=1), TierFactory(rank=5)
    anna, jan = PatientFactory(), PatientFactory()
    EnrolmentFactory(patient=anna, tier=basic, activated_on=dt.date(2026, 1, 1), paid_through=dt.date(2026, 12, 31))
    EnrolmentFactory(patient=anna, tier=premium, activated_on=dt.date(2026, 3, 10), paid_through=dt.date(2026, 3, 31))
    EnrolmentFactory(patient=jan, tier=basic, activated_on=dt.date(2025, 1, 1), paid_through=dt.date(2026, 3, 5))
    days = [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 2)),  # compiled with equal days
        (dt.date(2026, 3, 2), dt.date(2026, 3, 12)),
        (dt.date(2026, 3, 11), dt.date(2026, 3, 11)),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 20)),
        (dt.date(2027, 1, 1), dt.date(2027, 1, 2)),
        (dt.date(2026, 3, 6), dt.date(2026, 3, 9)),
    ]
    for patient in (anna, jan, anna):
        for first, last in days:
            got = offers._ENROLMENTS.all(patient_id=patient.pk, first_day=first, last_day=last)
            expected = list(offers._enrolments_query(None, patient_id=patient.pk, first_day=first, last_day=last))
            assert [(e.pk, e.tier.code, e.activated_on, e.paid_through, e.matrix_token) for e in got] == [
                (e.pk, e.tier.code, e.activated_on, e.paid_through, e.matrix_token) for e in expected
            ], (patient, first, last)
    assert baked._plans[("default", None)] is not None
    both = offers._ENROLMENTS.all(patient_id=anna.pk, first_day=dt.date(2026, 3, 2), last_day=dt.date(2026, 3, 12))
    assert [e.tier.rank for e in both] == [5, 1]  # the highest tier first


def test_the_pages_prices_are_baked_per_shape_and_read_what_the_orm_reads(monkeypatch):
    """PKG-4: the facility's price of each (service, facility) on a page, compiled once per number of services and
    facilities, then read for other services and facilities exactly as the ORM reads them (a pair without a price
    of its own is absent: the service's base price applies)."""
    baked = BakedQuery(offers._PRICES.model, offers._prices_query, kept_shapes=64)
    monkeypatch.setattr(offers, "_PRICES", baked)
    services = [ServiceFactory() for _ in range(3)]
    facilities = [FacilityFactory() for _ in range(4)]
    for n, service in enumerate(services):
        for m, facility in enumerate(facilities):
            if (n + m) % 3:
                FacilityPrice.objects.create(
                    service=service, facility=facility, price=Decimal(f"{100 + 10 * n + m}.50")
                )
    s, f = [x.pk for x in services], [x.pk for x in facilities]
    asked = [
        {(s[0], f[0]), (s[0], f[1])},
        {(s[1], f[2]), (s[1], f[3])},
        {(s[2], f[0]), (s[2], f[3]), (s[2], None)},
        {(s[0], f[1]), (s[1], f[1]), (s[1], f[2])},
        {(s[2], f[1]), (s[0], f[2]), (s[0], f[3])},
        {(s[1], f[1])},
        {(s[0], None)},
    ]
    for pairs in asked:
        expected = {
            (price.service_id, price.facility_id): price.price
            for price in FacilityPrice.objects.all()
            if (price.service_id, price.facility_id) in pairs
        }
        assert offers._prices(pairs=pairs) == expected, pairs
    assert len(baked._plans) == 4 and all(plan is not None for plan in baked._plans.values())


def test_the_enrolments_carry_the_matrixs_token_as_its_own_read_gives_it():
    """Issue 16: the page's enrolments read the coverage matrix's token in the same statement (no statement of its
    own for it); what they carry is what :func:`matrix_version` reads — none before the first change, then each new
    token — and inside a transaction the token read first is kept, whichever statement read it."""
    anna = PatientFactory()
    EnrolmentFactory(patient=anna, activated_on=dt.date(2026, 1, 1), paid_through=dt.date(2026, 12, 31))
    day = dt.date(2026, 3, 2)

    def carried() -> int | None:
        (enrolment,) = offers._ENROLMENTS.all(patient_id=anna.pk, first_day=day, last_day=day)
        return enrolment.matrix_token  # type: ignore[attr-defined, no-any-return]

    MatrixVersion.objects.filter(pk=MATRIX_VERSION_ROW).delete()
    with transaction.atomic():
        assert carried() is None and matrix_version_read(carried()) == 0
    for _ in range(2):
        matrix_changed()
        with transaction.atomic():
            token = MatrixVersion.objects.get(pk=MATRIX_VERSION_ROW).token
            assert carried() == token and matrix_version_read(carried()) == token
            assert matrix_version() == token  # kept on the block: no second read
    with transaction.atomic():
        first = matrix_version()
        MatrixVersion.objects.filter(pk=MATRIX_VERSION_ROW).update(token=first + 1)
        assert carried() == first + 1
        assert matrix_version_read(carried()) == first  # the transaction's first reading of the matrix
    with transaction.atomic():
        assert matrix_version_read(carried()) == first + 1
        assert matrix_version() == first + 1
