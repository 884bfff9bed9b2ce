"""The patient's booking journey in a real browser (SCH-2, BKG-1..3, CXL-1, CXL-2): log in, search, book, see the
visit in "Moje wizyty", reschedule it, cancel it; then cancel another visit by replying NIE in the developer SMS
inbox. Screenshots of every step go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carenet.api.tests.factories import CityFactory, FacilityFactory
from carenet.booking.models import Appointment
from carenet.portal.tests.booking_world import build_world
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"booking-{name}.png"), full_page=True)


def search_internal_medicine(page: Any) -> None:
    if page.locator("#id_specialty").is_enabled():  # a reschedule keeps the booked service
        page.select_option("#id_specialty", "interna")
    page.locator("form[role=search] button[type=submit]").click()
    page.locator("#results a.button.time").first.wait_for()


def test_patient_books_reschedules_and_cancels_then_cancels_by_sms(page: Any, live_server: Any) -> None:
    world = build_world()
    patient = world.patient_a
    page.goto(live_server.url + reverse("portal:login"))
    page.fill("#id_username", patient.user.username)
    page.fill("#id_password", PASSWORD)
    shot(page, "01-login")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("portal:visits"))

    # Search and book.
    page.goto(live_server.url + reverse("portal:search"))
    search_internal_medicine(page)
    shot(page, "02-search-results")
    page.locator("#results a.button.time").first.click()
    page.locator("dl.summary").wait_for()
    shot(page, "03-confirm")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/*/")
    first = Appointment.objects.get(patient=patient)
    assert first.status == Appointment.Status.BOOKED and first.channel == "portal"
    shot(page, "04-booked")

    # The visit is in "Moje wizyty".
    page.goto(live_server.url + reverse("portal:visits"))
    row = page.locator(f"tr[data-appointment='{first.pk}']")
    assert row.is_visible()
    shot(page, "05-my-visits")

    # Reschedule: search the same service, choose a later slot, confirm.
    row.locator(f"a[href='{reverse('portal:reschedule', args=[first.pk])}']").click()
    search_internal_medicine(page)
    shot(page, "06-reschedule-search")
    page.locator("#results a.button.time").nth(1).click()
    page.locator("[data-testid=old-visit]").wait_for()  # issue 14: the old and the new date side by side
    page.locator("main form button[type=submit]").click()
    page.locator("[data-testid=old-visit]").wait_for(state="detached")
    page.locator("dl.summary").wait_for()
    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    moved = Appointment.objects.get(patient=patient, status=Appointment.Status.BOOKED)
    assert moved.slot_id != first.slot_id

    # Cancel it (confirmation step).
    page.goto(live_server.url + reverse("portal:cancel", args=[moved.pk]))
    shot(page, "07-cancel-confirm")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("portal:visits"))
    moved.refresh_from_db()
    assert moved.status == Appointment.Status.CANCELLED
    shot(page, "08-cancelled")

    # Another visit, cancelled by replying NIE to its confirmation SMS (CXL-1, CXL-2).
    page.goto(live_server.url + reverse("portal:search"))
    search_internal_medicine(page)
    page.locator("#results a.button.time").first.click()
    page.locator("main form button[type=submit]").click()
    page.locator("dl.summary").wait_for()
    other = Appointment.objects.get(patient=patient, status=Appointment.Status.BOOKED)

    page.goto(live_server.url + "/sms/dev/")
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.get_by_role("link", name=patient.mobile).click()
    page.locator("section[aria-labelledby=reply-heading] textarea").fill("NIE")
    page.locator("section[aria-labelledby=reply-heading] button[type=submit]").click()
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    shot(page, "09-sms-nie")
    other.refresh_from_db()
    assert other.status == Appointment.Status.CANCELLED
    assert other.cancel_channel == "sms"


def test_choosing_a_city_fills_the_facility_select(page: Any, live_server: Any) -> None:
    """SCH-2: the facility select lists nothing until a city is chosen; choosing one fills it through HTMX with that
    city's facilities only, and the search then keeps to the chosen facility."""
    world = build_world()
    elsewhere = FacilityFactory(city=CityFactory(name="Kraków"), name="CareNet Centrum Kazimierz")
    page.goto(live_server.url + reverse("portal:login"))
    page.fill("#id_username", world.patient_a.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("portal:visits"))

    page.goto(live_server.url + reverse("portal:search"))
    page.locator("details.more-options > summary").click()  # issue 14: the facility is one of "More options"
    options = page.locator("#id_facility option")
    assert options.count() == 1  # "— choose a city first —"
    page.select_option("#id_city", label="Warszawa")
    page.locator("#id_facility option", has_text=world.centre.name).wait_for(state="attached")
    names = options.all_inner_texts()
    assert world.other_centre.name in names and elsewhere.name not in names
    assert page.locator("label[for=id_facility]").is_visible()
    assert page.url.endswith(reverse("portal:search"))  # the refresh is not a page in the history
    shot(page, "10-city-fills-facilities")

    page.select_option("#id_facility", label=world.other_centre.name)
    search_internal_medicine(page)
    assert page.locator("#results a.button.time").count() == 1  # the other centre's one slot
    assert world.other_centre.name in page.locator("#results").inner_text()

    page.select_option("#id_city", label="Kraków")
    page.locator("#id_facility option", has_text=elsewhere.name).wait_for(state="attached")
    assert world.other_centre.name not in options.all_inner_texts()
