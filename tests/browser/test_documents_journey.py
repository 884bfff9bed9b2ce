"""CLN-1, ACC-4, issue 11: on a 390 px wide phone a patient opens "Leczenie" → "Skierowania", follows "Umów" on an
active referral, picks the first free slot and confirms — the booking uses the referral, which then shows
"wykorzystane" with a link to its visit. Nothing scrolls sideways on the documents' pages. Screenshots of every
step go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from carenet.api.tests.factories import benefit, make_slot
from carenet.booking.models import Appointment
from carenet.clinical.tests.factories import (
    DrugFactory,
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)
from carenet.core import clock
from carenet.network.models import Service
from carenet.network.tests.factories import ServiceFactory
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"documents-{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], (page.url, widths)


def test_patient_books_from_a_referral_on_a_phone(browser: Any, live_server: Any) -> None:
    cast = build_cast()
    ultrasound = ServiceFactory(
        code="usg-jamy-brzusznej",
        name="USG jamy brzusznej",
        specialty=cast.consult.specialty,
        kind=Service.Kind.IMAGING,
        requires_referral=True,
    )
    benefit(cast.patient.enrolments.get().tier, "usg", service=ultrasound)
    slot = make_slot(
        starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(11)),
        clinician=cast.clinician_with,
        facility=cast.here,
        specialty=cast.consult.specialty,
        services=[ultrasound],
    )
    issued = {"patient": cast.patient, "issued_by": cast.clinician_with, "facility": cast.here}
    referral = NetworkReferralFactory(
        **issued,
        service=ultrasound,
        issued_at=clock.now() - dt.timedelta(days=1),
        valid_until=clock.today() + dt.timedelta(days=90),
        national_id="2026120400001234567890123456789012345678901234",  # long keys wrap, they do not widen the page
    )
    PrescriptionFactory(**issued, drug=DrugFactory(name="Amoksiklav", strength="875 mg + 125 mg"), access_code="0917")
    RecommendationFactory(**issued, text="Kontrola za tydzień; " * 12, in_person_visit=True)
    SickLeaveFactory(**issued, national_id="ZY 1234567")

    context = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("portal:login"))
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("portal:visits"))

        page.get_by_role("link", name="Leczenie").first.click()
        page.wait_for_url(live_server.url + reverse("portal:treatment"))
        no_sideways_scroll(page)
        shot(page, "01-treatment")
        page.locator("main").get_by_role("link", name="Skierowania").click()
        page.wait_for_url(live_server.url + reverse("portal:referrals"))
        card = page.locator(f"li[data-referral='{referral.pk}']")
        assert card.get_by_text("aktywne", exact=True).is_visible()
        no_sideways_scroll(page)
        shot(page, "02-referrals")

        card.get_by_role("link", name="Umów").click()
        page.locator("#booking-with-referral").wait_for()
        page.locator("#results a.button.time").first.wait_for()
        shot(page, "03-search-with-referral")
        no_sideways_scroll(page)
        page.locator("#results a.button.time").first.click()
        page.locator("dl.summary").wait_for()
        assert page.locator("#id_referral").input_value() == str(referral.pk)
        no_sideways_scroll(page)
        shot(page, "04-confirm")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/moje-wizyty/*/")

        appointment = Appointment.objects.get(patient=cast.patient, slot=slot)
        referral.refresh_from_db()
        assert referral.used_by_id == appointment.pk and appointment.status == Appointment.Status.BOOKED

        page.goto(live_server.url + reverse("portal:referrals"))
        card = page.locator(f"li[data-referral='{referral.pk}']")
        assert card.get_by_text("wykorzystane", exact=True).is_visible()
        assert card.locator(f"a[href='{reverse('portal:visit', args=[appointment.pk])}']").is_visible()
        assert card.get_by_role("link", name="Umów").count() == 0
        no_sideways_scroll(page)
        shot(page, "05-referral-used")

        for name, step in (
            ("portal:prescriptions", "06-medicines"),
            ("portal:recommendations", "07-recommendations"),
            ("portal:sick_leaves", "08-sick-leave"),
        ):
            page.goto(live_server.url + reverse(name))
            page.locator("ul.documents li.card").first.wait_for()
            no_sideways_scroll(page)
            shot(page, step)
    finally:
        context.close()
