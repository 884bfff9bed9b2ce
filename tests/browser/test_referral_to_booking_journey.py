"""Issue 11, CLN-1, CLN-5: a referral issued in the clinician console is bookable from the portal in one click.

The clinician (with the authenticator's code) opens today's visit of Anna on a tablet, issues an e-referral for an
abdominal ultrasound and closes the visit; Anna, on a 390 px phone, opens "Skierowania", follows "Umów" on that
referral, takes the first free time and confirms — the booking uses the referral, which then shows its visit."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.api.tests.factories import benefit, make_slot
from carenet.booking.models import Appointment
from carenet.clinical.models import Referral
from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.network.models import Service
from carenet.network.tests.factories import RoomFactory, ServiceFactory
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLINICIAN_PASSWORD = "lekarz-kowalski-2026"
PATIENT_PASSWORD = "correct-horse-battery"
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
    page.screenshot(path=str(ARTIFACTS / f"referral-journey-{name}.png"), full_page=True)


def test_a_referral_issued_in_the_console_is_booked_from_the_portal(
    browser: Any, live_server: Any, settings: Any
) -> None:
    cast = build_cast()
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    ultrasound = ServiceFactory(
        code="usg-jamy-brzusznej",
        name="USG jamy brzusznej",
        specialty=cast.consult.specialty,
        kind=Service.Kind.IMAGING,
        requires_referral=True,
    )
    benefit(cast.patient.enrolments.get().tier, "usg", service=ultrasound)
    slot = make_slot(
        starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=3), dt.time(11)),
        clinician=cast.clinician_with,
        facility=cast.here,
        specialty=cast.consult.specialty,
        services=[ultrasound],
    )
    doctor = cast.users["clinician_with"]
    assert doctor is not None
    doctor.set_password(CLINICIAN_PASSWORD)
    doctor.save(update_fields=["password"])
    TOTPDevice.objects.create(user=doctor, name="tablet", key=KEY, confirmed=True)
    visit = visit_of(
        cast.patient,
        cast.clinician_with,
        cast.consult,
        clock.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5),
        facility=cast.here,
        room=RoomFactory(facility=cast.here, number="7"),
    )

    tablet = browser.new_context(locale="pl-PL", viewport={"width": 768, "height": 1024})
    page = tablet.new_page()
    try:
        page.goto(live_server.url + reverse("staff:login"))
        page.fill("#id_username", doctor.username)
        page.fill("#id_password", CLINICIAN_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/staff/login/code/**")
        page.fill("#id_code", code())
        page.locator("#two-factor-verify button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("staff:dashboard"))
        page.locator(f"#visit-{visit.pk}").get_by_role("link").click()
        page.wait_for_url(live_server.url + reverse("staff:clinician_visit", args=[visit.pk]))
        page.locator("#issue-referral summary").click()
        page.select_option("#id_referral-service", label="USG jamy brzusznej")
        page.locator("#issue-referral button[type=submit]").click()
        page.locator("#issued", has_text="USG jamy brzusznej").wait_for()
        no_sideways_scroll(page)
        shot(page, "01-issued")
        page.locator("#complete-visit").click()
        page.locator("#visit-status[data-status=completed]").wait_for()
    finally:
        tablet.close()
    referral = Referral.objects.get(patient=cast.patient, service=ultrasound)
    assert referral.issued_by == cast.clinician_with and referral.appointment_id == visit.pk
    assert len(referral.access_code) == 4 and referral.national_id

    phone = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    try:
        page.goto(live_server.url + reverse("portal:login"))
        page.fill("#id_username", "anna")
        page.fill("#id_password", PATIENT_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("portal:visits"))
        page.goto(live_server.url + reverse("portal:referrals"))
        card = page.locator(f"li[data-referral='{referral.pk}']")
        assert card.get_by_text("aktywne", exact=True).is_visible()
        assert card.get_by_text(referral.access_code).is_visible()
        no_sideways_scroll(page)
        shot(page, "02-referrals")
        card.get_by_role("link", name="Umów").click()
        page.locator("#results a.button.time").first.wait_for()
        page.locator("#results a.button.time").first.click()
        page.locator("dl.summary").wait_for()
        assert page.locator("#id_referral").input_value() == str(referral.pk)
        no_sideways_scroll(page)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/moje-wizyty/*/")
        shot(page, "03-booked")
    finally:
        phone.close()
    booked = Appointment.objects.get(patient=cast.patient, slot=slot)
    referral.refresh_from_db()
    assert booked.status == Appointment.Status.BOOKED and referral.used_by_id == booked.pk
