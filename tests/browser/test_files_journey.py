"""FIL-1, FIL-2, issue 12: on a 390 px wide phone a patient opens "Moje konto" → "Twoje pliki", accepts the terms,
uploads a PNG with its description (the counter follows the typing), sees it in the table, downloads it and deletes
it after confirming. Nothing scrolls sideways. Screenshots of every step go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.files.models import PatientFile
from carenet.files.tests.factories import png_bytes
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"files-{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    wide = page.evaluate(  # what sticks out, to name it when this fails
        "Array.from(document.querySelectorAll('main *'))"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
    )
    assert widths[0] <= widths[1], (page.url, widths, wide)


def test_patient_uploads_downloads_and_deletes_a_file_on_a_phone(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    cast = build_cast()
    photo = tmp_path / "zmiana_na_skorze_przedramienia_zdjecie_z_telefonu.png"
    photo.write_bytes(png_bytes(64, 48))
    with translation.override("pl"):
        login, account = reverse("portal:login"), reverse("portal:account")
    context = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 800}, accept_downloads=True)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(live_server.url + login)
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(live_server.url + account)
        page.click("#files-link")
        page.wait_for_selector("#upload-form")
        assert "Nie masz jeszcze plików." in page.inner_text("#files-table")
        no_sideways_scroll(page)
        shot(page, "1-empty")

        page.set_input_files("#id_file", str(photo))
        page.fill("#id_description", "Zmiana")
        assert "6/75" in page.inner_text("#description-counter")
        page.fill("#id_description", "Zmiana na skórze przedramienia")
        assert "30/75" in page.inner_text("#description-counter")
        page.check("#id_accept_terms")
        shot(page, "2-form")
        page.get_by_role("button", name="Prześlij plik").click()
        page.wait_for_selector("tr[data-file]")
        table = page.inner_text("#files-table")
        assert "zmiana_na_skorze_przedramienia_zdjecie_z_telefonu.png" in table
        assert "Zmiana na skórze przedramienia" in table and "Usuniemy automatycznie" in table
        assert page.locator("#id_accept_terms").count() == 0  # accepted once
        no_sideways_scroll(page)
        shot(page, "3-uploaded")

        with page.expect_download() as waiting:
            page.get_by_role("link", name="Pobierz").first.click()
        download = waiting.value
        saved = tmp_path / "pobrany.png"
        download.save_as(saved)
        row = PatientFile.objects.get(patient=cast.patient)
        assert saved.read_bytes() == row.stored.read()
        row.stored.close()

        page.get_by_role("link", name="Usuń").first.click()
        page.wait_for_selector("#delete-form")
        no_sideways_scroll(page)
        shot(page, "4-confirm")
        page.get_by_role("button", name="Usuń plik").click()
        page.wait_for_selector("#upload-form")
        assert "Plik został usunięty." in page.inner_text("main")
        assert not PatientFile.objects.exists()
        shot(page, "5-deleted")
    finally:
        context.close()
    assert not refused, refused
