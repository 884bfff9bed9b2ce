"""CLN-4: on a 320 px phone a patient opens "Zapytaj lekarza" from the menu and asks about a completed visit; the
visit's clinician answers in the questions inbox (tablet width); the patient reads the answer — nothing scrolls
sideways on the phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from carenet.core import clock
from carenet.questions.models import Question
from carenet.questions.tests.factories import completed_visit
from tests.browser.accessibility import open_menu
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
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def test_a_patient_asks_and_reads_the_answer(browser: Any, live_server: Any, cast: Cast) -> None:
    visit = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=2), dt.time(9)),
    )
    phone = browser.new_context(locale="pl-PL", viewport={"width": 320, "height": 640})
    tablet = browser.new_context(locale="pl-PL", viewport={"width": 768, "height": 1024})
    patient, doctor = phone.new_page(), tablet.new_page()
    try:
        login(patient, live_server, "portal:login", "anna")
        open_menu(patient)
        patient.get_by_role("link", name="Zapytaj lekarza").click()
        patient.wait_for_url("**/zapytaj-lekarza/")
        assert patient.get_by_role("heading", level=1, name="Zapytaj lekarza").is_visible()
        no_sideways_scroll(patient)
        card = patient.locator(f"#visit-{visit.pk}")
        card.get_by_label("Twoje pytanie").fill("Czy mogę wrócić do biegania?")
        card.get_by_role("button", name="Zadaj pytanie").click()
        patient.wait_for_load_state()
        assert patient.get_by_text("Twoje pytanie zostało wysłane do lekarza.").is_visible()
        assert patient.locator(f"#visit-{visit.pk}").get_by_text("odpowiedź do").is_visible()
        no_sideways_scroll(patient)
        patient.screenshot(path=str(ARTIFACTS / "questions-asked-320px.png"), full_page=True)

        question = Question.objects.get(appointment=visit)
        login(doctor, live_server, "staff:login", "lekarz-kowalski")
        open_menu(doctor)
        doctor.get_by_role("link", name="Pytania pacjentów").click()
        doctor.wait_for_url("**/staff/questions/")
        item = doctor.locator(f"#question-{question.pk}")
        assert item.get_by_text("Czy mogę wrócić do biegania?").is_visible()
        item.get_by_label("Twoja odpowiedź").fill("Tak, spokojnie, od przyszłego tygodnia.")
        item.get_by_role("button", name="Wyślij odpowiedź").click()
        doctor.wait_for_load_state()
        assert doctor.get_by_text("Odpowiedź wysłana").is_visible()
        no_sideways_scroll(doctor)

        patient.reload()
        assert patient.get_by_text("Tak, spokojnie, od przyszłego tygodnia.").is_visible()
        no_sideways_scroll(patient)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        patient.screenshot(path=str(ARTIFACTS / "questions-answered-320px.png"), full_page=True)
        doctor.screenshot(path=str(ARTIFACTS / "questions-inbox-768px.png"), full_page=True)
        phone.close()
        tablet.close()
