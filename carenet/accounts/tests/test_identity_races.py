"""ACC-5 under real concurrency (PostgreSQL): staff confirming the same patient at the same moment, and a patient
sending the contact form twice at once, record exactly one confirmation / one open request; the others get the
stable refusal codes."""

from __future__ import annotations

import pytest

from carenet.accounts import services
from carenet.accounts.models import IdentityConfirmation, IdentityRequest, Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core.testing import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_confirmations_record_one() -> None:
    patient = PatientFactory(account_level=1)
    operators = [UserFactory(role=User.Role.CALL_CENTRE) for _ in range(8)]

    def confirm(number: int) -> None:
        services.identity_confirm(patient=patient, method="call_centre", actor=operators[number])

    refusals = run_in_threads(8, confirm)
    assert IdentityConfirmation.objects.filter(patient=patient).count() == 1
    assert Patient.objects.get(pk=patient.pk).account_level == 2
    assert [getattr(refusal, "code", repr(refusal)) for refusal in refusals] == ["already_confirmed"] * 7


def test_simultaneous_contact_forms_open_one_request() -> None:
    patient = PatientFactory(account_level=1)

    def submit(number: int) -> None:
        services.identity_request_submit(patient=patient, message=f"request {number}")

    refusals = run_in_threads(6, submit)
    assert IdentityRequest.objects.filter(patient=patient, status="open").count() == 1
    assert [getattr(refusal, "code", repr(refusal)) for refusal in refusals] == ["request_open"] * 5
