"""CLN-2: on a 320 px wide phone Anna orders a renewal of a medicine her doctor prescribed ("Zamów receptę") and is
told by when the doctor answers; her doctor opens his renewal queue (also on a phone) and issues the e-prescription
prefilled from the last one — nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carenet.clinical.models import Prescription
from carenet.renewals.models import RenewalRequest
from tests.browser.accessibility import open_menu
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast, with_renewals

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def fits(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def test_order_and_issue_a_renewal_on_a_narrow_phone(browser: Any, live_server: Any) -> None:
    cast = with_renewals(build_cast())
    assert cast.renewable_drug is not None
    for role in ("patient", "clinician_with"):
        user = cast.user(role)
        assert user is not None
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    context = browser.new_context(locale="pl-PL", viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("portal:login"))
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("portal:visits"))
        page.goto(live_server.url + "/leki/zamow/")
        assert page.get_by_role("heading", level=1, name="Zamów receptę").is_visible()
        fits(page)
        card = page.locator(f'[data-drug="{cast.renewable_drug.pk}"]')
        card.get_by_label("Uwagi dla lekarza (opcjonalnie)").fill("Kończy mi się opakowanie.")
        card.get_by_role("button", name="Zamów receptę").click()
        page.wait_for_url("**/leki/zamow/?ordered=*")
        assert page.get_by_text("trafiło do lekarza. Odpowiemy do").is_visible()
        fits(page)
        page.screenshot(path=str(ARTIFACTS / "renewal-ordered-320px.png"), full_page=True)
        ordered = RenewalRequest.objects.get(drug=cast.renewable_drug)
        assert ordered.channel == "portal" and ordered.note == "Kończy mi się opakowanie."
        context.clear_cookies()

        page.goto(live_server.url + reverse("staff:login"))
        page.fill("#id_username", "lekarz-kowalski")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("staff:dashboard"))
        open_menu(page)
        page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Zamówienia recept").click()
        page.wait_for_url("**/staff/renewals/")
        fits(page)
        item = page.locator(f'[data-renewal="{ordered.pk}"]')
        assert item.get_by_label("Dawkowanie").input_value() == "1 tabletka 2 razy dziennie"
        item.get_by_role("button", name="Wystaw e-receptę").click()
        page.wait_for_url("**/staff/renewals/")
        assert page.locator(".message").get_by_text("pacjent dostanie kod SMS-em").is_visible()
        ordered.refresh_from_db()
        assert ordered.status == "issued"
        assert Prescription.objects.filter(renewal_request=ordered).count() == 1
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "renewal-queue-320px.png"), full_page=True)
        context.close()
