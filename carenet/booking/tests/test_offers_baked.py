"""The offers' read of the patient's enrolments is baked (carenet/core/baked.py, issue 16): compiled once per process,
it answers what the ORM answers — which enrolments are in force over a page's days (PKG-3), highest tier first — for
any patient and days, also a page of one day (the first and last day equal when it was compiled)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts.tests.factories import PatientFactory
from carenet.booking import offers
from carenet.core.baked import BakedQuery
from carenet.coverage.tests.factories import EnrolmentFactory, TierFactory

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
            assert [(e.pk, e.tier.code, e.activated_on, e.paid_through) for e in got] == [
                (e.pk, e.tier.code, e.activated_on, e.paid_through) for e in expected
            ], (patient, first, last)
    assert baked._plans[("default", None)] is not None
    both = offers._ENROLMENTS.all(patient_id=anna.pk, first_day=dt.date(2026, 3, 2), last_day=dt.date(2026, 3, 12))
    assert [e.tier.rank for e in both] == [5, 1]  # the highest tier first
