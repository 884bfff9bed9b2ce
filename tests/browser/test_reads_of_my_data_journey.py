"""CLN-6, issue 10: a level II patient opens "Kto oglądał moje dane" from "Moje konto" on a 320 px wide phone and
reads who viewed their data — the whole table fits the screen, nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.network.tests.factories import FacilityFactory
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_who_viewed_my_data_on_a_narrow_phone(browser: Any, live_server: Any) -> None:
    patient = PatientFactory(user__username="pacjentka", user__password="correct-horse-battery")
    EnrolmentFactory(patient=patient)  # ACC-7: the portal is for patients with a package in force
    staff = UserFactory(role="receptionist", facility=FacilityFactory(name="Centrum Medyczne Warszawa-Mokotów"))
    for what in (What.PATIENT_SEARCH, What.PATIENT_PAGE, What.ECARD_CHECK):
        patient_reads_record(actor=actor_for_user(staff), patient_ids=[patient.pk], what=what, door=Door.STAFF)

    context = browser.new_context(locale="pl-PL", viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("portal:login"))
        page.fill("#id_username", "pacjentka")
        page.fill("#id_password", "correct-horse-battery")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("portal:visits"))
        page.goto(live_server.url + reverse("portal:account"))
        page.get_by_role("link", name="Kto oglądał moje dane").click()
        page.wait_for_url("**/kto-ogladal-moje-dane/")

        assert page.get_by_role("heading", level=1, name="Kto oglądał moje dane").is_visible()
        assert page.locator("#reads tbody tr").count() == 3
        assert page.get_by_text("Pracownik recepcji, Centrum Medyczne Warszawa-Mokotów").first.is_visible()
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "who-viewed-my-data-320px.png"), full_page=True)
        context.close()
