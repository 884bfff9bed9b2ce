"""ACC-8 under real concurrency, on both databases: two patients confirming the same new number at the same moment
— one gets it, the other ``phone_taken``; the SMS door still finds exactly one patient for the number."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from carenet.accounts import contact
from carenet.accounts.models import ContactChange, Patient
from carenet.accounts.tests.factories import PatientFactory
from carenet.core.testing import run_in_threads
from carenet.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def concurrent_database(tmp_path: Path) -> Iterator[None]:
    """PostgreSQL as it is; SQLite from a file (WAL, BEGIN IMMEDIATE, busy timeout, as in production): the suite's
    in-memory database has table locks a busy timeout does not wait for."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    target = tmp_path / "race.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()
    original_name, in_memory = connection.settings_dict["NAME"], connection.connection
    connection.connection = None
    connection.settings_dict["NAME"] = str(target)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
        connection.connection = in_memory


def _code(change_pk: int) -> str:
    body = OutboundMessage.objects.get(key=f"phone-change:{change_pk}").body
    return next(word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6)


def test_two_patients_confirming_the_same_number_one_wins(concurrent_database: None) -> None:
    patients = [PatientFactory(), PatientFactory()]
    codes = [_code(contact.phone_change_request(patient=patient, new_mobile="600 800 900").pk) for patient in patients]

    def confirm(number: int) -> None:
        contact.phone_change_confirm(patient=patients[number], by=None, code=codes[number])

    refusals = run_in_threads(2, confirm)
    assert [getattr(refusal, "code", repr(refusal)) for refusal in refusals] == ["phone_taken"]
    assert Patient.objects.filter(mobile="+48600800900").count() == 1
    assert ContactChange.objects.filter(field="mobile").count() == 1
