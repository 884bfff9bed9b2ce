"""TEL-3 on a phone: at 390 px a patient attaches a stored file to their upcoming phone consultation; the clinician
opens that visit, sees the file with its description and downloads it — and no page scrolls sideways (also at
320 px)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.files.models import ConsultationFile
from carenet.files.tests.factories import PatientFileFactory, png_bytes
from carenet.scheduling.models import Mode
from tests.browser.conftest import ARTIFACTS
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # the factories' password


def login(page: Any, live_server: Any, door: str, username: str) -> None:
    page.goto(live_server.url + reverse(door))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def no_sideways_scroll(page: Any) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, (page.url, scroll, client)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"attachments-{name}.png"), full_page=True)


def test_a_patient_attaches_a_file_and_the_clinician_downloads_it(
    browser: Any, live_server: Any, cast: Cast, tmp_path: Path
) -> None:
    starts = clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(11))
    visit = visit_of(cast.patient, cast.clinician_with, cast.consult, starts, mode=Mode.PHONE)
    uploaded = clock.now() - dt.timedelta(days=1)
    file = PatientFileFactory(
        patient=cast.patient,
        original_name="zdjecie_wysypki_na_przedramieniu_po_antybiotyku_2026.png",
        description="Wysypka na przedramieniu po trzech dniach antybiotyku",
        uploaded_at=uploaded,
        delete_after=uploaded + dt.timedelta(days=90),
    )
    phone = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844})
    doctor_phone = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844}, accept_downloads=True)
    patient, doctor = phone.new_page(), doctor_phone.new_page()
    try:
        login(patient, live_server, "portal:login", "anna")
        patient.goto(live_server.url + reverse("portal:visit", args=[visit.pk]))
        section = patient.locator("#files")
        section.get_by_role("heading", name="Pliki dla lekarza").wait_for()
        assert "Do tej wizyty nie dołączono plików." in section.inner_text()
        no_sideways_scroll(patient)
        section.get_by_label(f"{file.original_name} — {file.description}").check()
        section.get_by_role("button", name="Dołącz").click()
        patient.locator("#attached-files", has_text=file.description).wait_for()
        assert "Dołączono 1 plik" in patient.locator(".messages").inner_text()
        no_sideways_scroll(patient)
        shot(patient, "01-patient-attached")
        patient.set_viewport_size({"width": 320, "height": 700})
        no_sideways_scroll(patient)
        assert ConsultationFile.objects.filter(appointment=visit, file=file).count() == 1

        login(doctor, live_server, "staff:login", "lekarz-kowalski")
        doctor.goto(live_server.url + reverse("staff:clinician_visit", args=[visit.pk]))
        files = doctor.locator("#visit-attached-files")
        files.wait_for()
        assert file.description in files.inner_text() and file.original_name in files.inner_text()
        assert "nie są częścią dokumentacji medycznej" in doctor.locator("#patient-files").inner_text()
        no_sideways_scroll(doctor)
        shot(doctor, "02-clinician-visit")
        with doctor.expect_download() as caught:
            files.get_by_role("link", name=f"Pobierz {file.original_name}").click()
        download = caught.value
        saved = tmp_path / "pobrany.png"
        download.save_as(str(saved))
        assert saved.read_bytes() == png_bytes()
        assert download.suggested_filename == file.original_name
        doctor.set_viewport_size({"width": 320, "height": 700})
        no_sideways_scroll(doctor)
    finally:
        phone.close()
        doctor_phone.close()
