"""Review of issue 14 in a browser: page states the tour does not reach, each checked with axe and at phone widths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.portal.tests.booking_world import build_world
from tests.browser.accessibility import (
    DESKTOP,
    NARROW_PHONE,
    PHONE,
    assert_accessible,
    check_page,
    sideways_overflow,
    widest_elements,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("path", "heading"), [("/en/no-such-page/", "Page not found"), ("/nie-ma/", "Nie znaleziono strony")]
)
def test_the_missing_page_uses_the_design_and_passes_axe(page: Any, live_server: Any, path: str, heading: str) -> None:
    # BEY-5, issue 14: Django's bare "Not Found" (English everywhere, no landmarks, no way back) is replaced.
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == heading
    assert page.locator("header.site-header").is_visible() and page.locator("footer.site-footer").is_visible()
    check_page(page, f"404 {path}")


def test_an_expired_form_gets_a_page_in_the_design_and_english(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/en/login/")
    page.context.clear_cookies()
    page.fill("#id_username", "someone")
    page.fill("#id_password", "a password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("h1").inner_text() == "The form has expired"
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, "403 CSRF failure (en)")


LONG_EMAIL_LOGIN = "maximiliana.wierzbickaszczepanska@przychodniamedycznaexample.pl"


def test_a_long_e_mail_login_in_the_menu_does_not_widen_the_page(page: Any, live_server: Any) -> None:
    # Registration accepts an e-mail as the login; "Log out (<login>)" in the menu made the phone page ~1000 px wide.
    user = UserFactory(username=LONG_EMAIL_LOGIN)
    PatientFactory(user=user, first_name="Maximiliana", last_name="Wierzbicka-Szczepańska", email=LONG_EMAIL_LOGIN)
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    for path in ("/", "/en/"):
        page.goto(live_server.url + path)
        check_page(page, f"home of a patient with a long login {path}")
        for size in (PHONE, NARROW_PHONE):
            page.set_viewport_size(size)
            page.get_by_role("button", name="Menu").click()
            assert page.get_by_role("button", name=f"({LONG_EMAIL_LOGIN})").is_visible()
            assert sideways_overflow(page) == 0, widest_elements(page)
            assert_accessible(page, f"the menu open at {size['width']} px {path}")
            page.keyboard.press("Escape")
        page.set_viewport_size(DESKTOP)


def test_the_two_step_login_qr_code_of_a_long_login_fits_a_phone(page: Any, live_server: Any) -> None:
    # The QR code grows with the login in its otpauth:// address; at a fixed 5 px per module it stuck out at 320 px.
    world = build_world()
    user = world.patient_a.user
    user.username = LONG_EMAIL_LOGIN
    user.save()
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    with translation.override("en"):
        path = reverse("portal:two_factor_enable")
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 200
    qr = page.locator("div.totp-qr[role=img]")
    assert qr.is_visible() and qr.get_attribute("aria-label") == "QR code for the authenticator app"
    check_page(page, "two-step login set-up with a long login (en)")
    page.set_viewport_size(NARROW_PHONE)
    box = page.locator(".totp-qr svg").bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= NARROW_PHONE["width"]


def test_a_clinicians_times_link_sets_the_forms_clinician_and_keeps_the_focus(page: Any, live_server: Any) -> None:
    # SCH-2: the card's clinician link filtered the HTMX results but left the form at "any clinician": the next
    # search (another date) silently dropped the filter the page showed.
    world = build_world()
    client = Client()
    client.force_login(world.patient_a.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    query = "&".join(f"{key}={value}" for key, value in world.search_params().items())
    page.goto(f"{live_server.url}/en/find-a-visit/?{query}")
    card = page.locator(".slot-card").first
    clinician_id = card.get_attribute("data-clinician")
    link = card.locator("h3 a")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('clinician=')")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'results-heading'")
    assert page.locator("select[name=clinician]").input_value() == clinician_id
    check_page(page, "results of one clinician (en)")
    later = (world.day + dt.timedelta(days=5)).isoformat()
    page.locator("details.more-options summary").click()
    page.fill("input[name=date_to]", later)
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_function(f"() => location.search.includes('date_to={later}')")
    assert f"clinician={clinician_id}" in page.url
    assert {card.get_attribute("data-clinician") for card in page.locator(".slot-card").all()} == {clinician_id}
