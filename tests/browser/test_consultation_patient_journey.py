"""TEL-2, issue 13: on a 390×844 phone a patient opens "Konsultacje online" from the menu, sees the internal medicine
line open, presses "Rozpocznij", chooses the chat, waits with her place in the queue shown — on the page and by the
room's socket — then leaves the queue after confirming. Pages and the socket come from one real ASGI server
(``asgi_server``). Nothing scrolls sideways and the Content-Security-Policy refuses nothing (the room's socket and
script included). Screenshots of every step go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.consultations.models import Consultation
from tests.browser.accessibility import open_menu
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_files_journey import no_sideways_scroll
from tests.cast import build_cast, with_consultation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consultation-patient-{name}.png"), full_page=True)


def test_patient_starts_waits_and_leaves_on_a_phone(browser: Any, asgi_server: Any) -> None:
    cast = with_consultation(build_cast())
    with translation.override("pl"):
        login = reverse("portal:login")
    context = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(asgi_server.url + login)
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        open_menu(page)
        page.get_by_role("link", name="Konsultacje online").first.click()
        page.wait_for_selector("tr[data-line=interna]")
        no_sideways_scroll(page)
        shot(page, "1-lines")
        page.locator("tr[data-line=interna] a.button").click()
        page.wait_for_selector("#start-form")
        no_sideways_scroll(page)
        page.check("#mode-chat")
        shot(page, "2-start")
        page.locator("#start-form button[type=submit]").click()
        page.wait_for_selector("#queue-position")
        assert "1" in page.inner_text("#queue-position")
        assert page.get_attribute("#queue-status", "aria-live") == "polite"
        # The room's socket said hello and got the state: the same place in the queue, live.
        page.wait_for_function(r"() => /:\s*1\b/.test(document.querySelector('#room-status').textContent)")
        no_sideways_scroll(page)
        shot(page, "3-waiting")
        consultation = Consultation.objects.get(patient=cast.patient, status=Consultation.Status.WAITING)
        page.click("#leave-link")
        page.wait_for_selector("#leave-confirm")
        page.click("#leave-confirm")
        page.wait_for_selector("#consultation-status")
        no_sideways_scroll(page)
        shot(page, "4-left")
        consultation.refresh_from_db()
        assert consultation.status == Consultation.Status.LEFT
    finally:
        context.close()
    assert not refused, refused
