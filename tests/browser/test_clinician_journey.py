"""The clinician's day on a phone (issue 11, CLN-5, CLN-6): at 390 px (and 320 px) a clinician logs in with the
password and the authenticator's code, sees today's visits, opens one, issues a recommendation and closes the
visit — and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.booking.models import Appointment
from carenet.clinical.models import Recommendation
from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.network.tests.factories import RoomFactory
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "lekarz-kowalski-2026"
KEY = "3132333435363738393031323334353637383930"


def code() -> str:
    totp = TOTP(bytes.fromhex(KEY))
    totp.time = time.time()
    return f"{totp.token():06d}"


def no_sideways_scroll(page: Any) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, (page.url, scroll, client)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"clinician-{name}.png"), full_page=True)


def test_a_clinician_works_through_a_visit_on_a_phone(page: Any, live_server: Any, settings: Any) -> None:
    cast = build_cast()
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    user = cast.users["clinician_with"]
    assert user is not None
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    TOTPDevice.objects.create(user=user, name="telefon", key=KEY, confirmed=True)
    starts = clock.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    visit = visit_of(
        cast.other_patient,
        cast.clinician_with,
        cast.consult,
        starts,
        facility=cast.here,
        room=RoomFactory(facility=cast.here, number="3"),
    )
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(live_server.url + reverse("staff:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/staff/login/code/**")
    page.fill("#id_code", code())
    page.locator("#two-factor-verify button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("staff:dashboard"))
    card = page.locator(f"#visit-{visit.pk}")
    card.wait_for()
    assert "Wiśniewska Barbara" in card.inner_text()
    no_sideways_scroll(page)
    shot(page, "01-day")

    card.get_by_role("link").click()
    page.wait_for_url(live_server.url + reverse("staff:clinician_visit", args=[visit.pk]))
    no_sideways_scroll(page)
    page.locator("#issue-recommendation summary").click()
    page.fill("#id_recommendation-text", "Dużo pić, odpoczywać; kontrola za tydzień.")
    no_sideways_scroll(page)
    page.locator("#issue-recommendation button[type=submit]").click()
    page.locator("#issued", has_text="kontrola za tydzień").wait_for()
    shot(page, "02-issued")

    page.locator("#complete-visit").click()
    page.locator("#visit-status[data-status=completed]").wait_for()
    no_sideways_scroll(page)
    shot(page, "03-completed")
    # The narrowest phone the pages support: the visit (with its forms open) and the day still fit.
    page.set_viewport_size({"width": 320, "height": 700})
    page.locator("#issue-prescription summary").click()
    no_sideways_scroll(page)
    page.goto(live_server.url + reverse("staff:dashboard"))
    no_sideways_scroll(page)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    assert Recommendation.objects.get().appointment_id == visit.pk
