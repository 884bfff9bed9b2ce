"""Issuing referrals (CLN-1)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts.tests.factories import PatientFactory
from carenet.clinical.models import Referral
from carenet.clinical.selectors import referral_list_bookable
from carenet.clinical.services import referral_issue
from carenet.core.clock import at_warsaw
from carenet.core.errors import ValidationFailed
from carenet.network.tests.factories import ClinicianFactory, ServiceFactory

pytestmark = pytest.mark.django_db
NOW = at_warsaw(dt.date(2026, 3, 2), dt.time(9))


def test_referral_issue_defaults_to_three_months() -> None:
    referral = referral_issue(clinician=ClinicianFactory(), patient=PatientFactory(), service=ServiceFactory(), now=NOW)
    assert (referral.source, referral.valid_until, referral.used_by) == ("network", dt.date(2026, 6, 2), None)
    assert referral.issued_at == NOW


def test_referral_issue_with_its_own_term_and_a_reversed_one_refused() -> None:
    clinician, patient, service = ClinicianFactory(), PatientFactory(), ServiceFactory()
    referral = referral_issue(
        clinician=clinician, patient=patient, service=service, valid_until=dt.date(2026, 12, 31), now=NOW
    )
    assert referral.valid_until == dt.date(2026, 12, 31)
    with pytest.raises(ValidationFailed):
        referral_issue(clinician=clinician, patient=patient, service=service, valid_until=dt.date(2026, 3, 1), now=NOW)
    assert Referral.objects.count() == 1


def test_bookable_referrals_are_valid_and_unused() -> None:
    """CLN-1: the portal lists referrals that have no appointment yet."""
    clinician, patient, service = ClinicianFactory(), PatientFactory(), ServiceFactory()
    valid = referral_issue(clinician=clinician, patient=patient, service=service, now=NOW)
    referral_issue(clinician=clinician, patient=patient, service=service, valid_until=dt.date(2026, 3, 2), now=NOW)
    referral_issue(clinician=clinician, patient=PatientFactory(), service=service, now=NOW)
    assert list(referral_list_bookable(patient=patient, today=dt.date(2026, 3, 3))) == [valid]
