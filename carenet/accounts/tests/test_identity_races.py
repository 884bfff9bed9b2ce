"""ACC-5 under real concurrency (PostgreSQL): staff confirming the same patient at the same moment, and a patient
sending the contact form twice at once, record exactly one confirmation / one open request; the others get the
stable refusal codes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from carenet.accounts import services
from carenet.accounts.models import IdentityConfirmation, IdentityRequest, Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core.errors import ApplicationError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, target: Callable[[int], None]) -> list[ApplicationError]:
    refusals: list[ApplicationError] = []
    barrier = threading.Barrier(count)
    lock = threading.Lock()

    def body(number: int) -> None:
        try:
            barrier.wait()
            target(number)
        except ApplicationError as refusal:
            with lock:
                refusals.append(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return refusals


def test_simultaneous_confirmations_record_one() -> None:
    patient = PatientFactory(account_level=1)
    operators = [UserFactory(role=User.Role.CALL_CENTRE) for _ in range(8)]

    def confirm(number: int) -> None:
        services.identity_confirm(patient=patient, method="call_centre", actor=operators[number])

    refusals = run_in_threads(8, confirm)
    assert IdentityConfirmation.objects.filter(patient=patient).count() == 1
    assert Patient.objects.get(pk=patient.pk).account_level == 2
    assert [refusal.code for refusal in refusals] == ["already_confirmed"] * 7


def test_simultaneous_contact_forms_open_one_request() -> None:
    patient = PatientFactory(account_level=1)

    def submit(number: int) -> None:
        services.identity_request_submit(patient=patient, message=f"request {number}")

    refusals = run_in_threads(6, submit)
    assert IdentityRequest.objects.filter(patient=patient, status="open").count() == 1
    assert [refusal.code for refusal in refusals] == ["request_open"] * 5
