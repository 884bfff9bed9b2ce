""" "Twoje pliki" in the demo (FIL-1, FIL-2): the named level II patients have files stored through the upload
service — disarmed, under random names, each readable from the private storage."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.files.models import ConsultationFile, PatientFile, TermsAcceptance

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_named_patients_have_their_files() -> None:
    call_command("seed_demo", "--small", "--reset", "--today", dt.date(2026, 3, 16).isoformat(), stdout=StringIO())
    pacjent2 = {row.description: row for row in PatientFile.objects.filter(patient__user__username="pacjent2")}
    assert set(pacjent2) == {"Zmiana na skórze przedramienia", "Wypis ze szpitala 2026"}
    assert pacjent2["Zmiana na skórze przedramienia"].content_type == "image/jpeg"
    assert pacjent2["Wypis ze szpitala 2026"].content_type == "application/pdf"
    child = PatientFile.objects.get(patient__guardian__user__username="rodzic")
    assert child.uploaded_by.username == "rodzic"
    assert not PatientFile.objects.filter(patient__user__username="pacjent1").exists()  # level I: no files
    for row in PatientFile.objects.all():
        assert row.stored.read()[:4] in (b"\xff\xd8\xff\xe0", b"%PDF") and row.delete_after > row.uploaded_at
        row.stored.close()
    assert TermsAcceptance.objects.count() == 2
    # TEL-3: each photo is attached to that patient's visit with the demo clinician today.
    attached = {
        (row.file.description, row.appointment.slot.clinician.user.username) for row in ConsultationFile.objects.all()
    }
    assert ("Zmiana na skórze przedramienia", "lekarz") in attached
    assert {clinician for _, clinician in attached} == {"lekarz"}
