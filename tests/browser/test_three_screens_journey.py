"""Issue 14: from the home page to a booked visit in three screens — results, confirm, done — on a 390×844 phone,
once with taps and once with the keyboard only (Tab, Enter, Space), in Polish and in English. Every page state on
the way passes axe-core (WCAG 2.2 A/AA) at 1280 and 390 px and does not scroll sideways at 390 or 320 px."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.api.tests.factories import benefit
from carenet.booking.models import Appointment
from carenet.clinical.services import referral_issue
from carenet.network.models import Clinician, Specialty
from carenet.portal.tests.booking_world import World, booked, build_world
from tests.browser.accessibility import PHONE, check_page
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
BOOKED = {"pl": "Wizyta jest umówiona", "en": "The visit is booked"}


def url(name: str, language: str, *args: Any) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"three-screens-{name}.png"), full_page=True)


def checked(page: Any, label: str) -> None:
    """``check_page`` on the state as it is, then back to the phone the journey runs on."""
    check_page(page, label)
    page.set_viewport_size(PHONE)
    shot(page, label)


def prepared_world() -> World:
    world = build_world()
    Specialty.objects.filter(code="interna").update(patient_name="internista", patient_name_en="internist")
    # A referral-gated exam the patient has no referral for: hidden, with the reason, before any click (BKG-4).
    world.ultrasound.requires_referral = True
    world.ultrasound.save()
    benefit(world.patient_a.enrolments.get().tier, "usg", service=world.ultrasound)
    return world


def log_in(page: Any, live_server: Any, world: World, language: str) -> None:
    page.goto(live_server.url + url("portal:login", language))
    page.fill("#id_username", world.patient_a.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + url("portal:visits", language))
    page.goto(live_server.url + url("portal:home", language))


def count_screens(page: Any) -> list[str]:
    """The pages the browser opens from now on (main frame navigations)."""
    screens: list[str] = []
    page.on("framenavigated", lambda frame: screens.append(frame.url) if frame == page.main_frame else None)
    return screens


def tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus (the keyboard's way of getting there)."""
    for _ in range(limit):
        if page.evaluate("(s) => { const e = document.activeElement; return !!e && e.matches(s); }", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_home_to_booked_in_three_screens_on_a_phone(page: Any, live_server: Any, language: str) -> None:
    world = prepared_world()
    page.set_viewport_size(PHONE)
    log_in(page, live_server, world, language)
    checked(page, f"{language}-1-home")
    screens = count_screens(page)

    everyday = "internista (Choroby wewnętrzne)" if language == "pl" else "internist (Internal medicine)"
    page.select_option("#id_specialty", label=everyday)
    page.select_option("#id_city", label="Warszawa")
    page.locator("main form[role=search] button[type=submit]").click()
    page.locator("#results a.button.time").first.wait_for()
    assert page.locator("[data-reason=referral_required]").count() == 1  # said before any click
    checked(page, f"{language}-2-results")

    page.locator("#results a.button.time").first.click()
    page.locator("dl.summary").wait_for()
    checked(page, f"{language}-3-confirm")

    page.locator("main form button[type=submit]").click()
    page.locator("[role=status]", has_text=BOOKED[language]).wait_for()
    checked(page, f"{language}-4-done")

    assert len(screens) == 3, screens
    visit = Appointment.objects.get(patient=world.patient_a)
    assert visit.status == Appointment.Status.BOOKED and visit.slot_id == world.slots[0].pk
    assert page.url == live_server.url + url("portal:visit", language, visit.pk)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_home_to_booked_with_the_keyboard_only(page: Any, live_server: Any, language: str) -> None:
    world = prepared_world()
    referral = referral_issue(
        clinician=Clinician.objects.get(last_name="Lekarska"), patient=world.patient_a, service=world.ultrasound
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_server, world, language)
    screens = count_screens(page)

    tab_to(page, "#id_specialty")
    page.keyboard.type("interni")  # the select's own type-ahead: the everyday name comes first
    assert page.locator("#id_specialty").input_value() == "interna"
    tab_to(page, "#id_city")
    page.keyboard.type("Warsz")
    tab_to(page, "main form[role=search] button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#results a.button.time").first.wait_for()
    # With the referral in hand, the gated exam is offered, and says so.
    assert page.locator("#results .badge.info").count() == 1
    checked(page, f"{language}-keyboard-results")

    paid = url("portal:book", language, world.paid_slot.pk)
    tab_to(page, f"#results a.button.time[href^='{paid}']")
    page.keyboard.press("Enter")
    page.locator("dl.summary").wait_for()
    assert page.locator("#id_referral").input_value() == str(referral.pk)
    checked(page, f"{language}-keyboard-confirm")

    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Space")
    page.locator("[role=status]", has_text=BOOKED[language]).wait_for()
    checked(page, f"{language}-keyboard-done")

    assert len(screens) == 3, screens
    visit = Appointment.objects.get(patient=world.patient_a)
    referral.refresh_from_db()
    assert visit.slot_id == world.paid_slot.pk and referral.used_by_id == visit.pk


@pytest.mark.parametrize("language", ["pl", "en"])
def test_a_reschedule_keeps_its_context_and_shows_old_and_new(page: Any, live_server: Any, language: str) -> None:
    world = prepared_world()
    old = booked(world.patient_a, world.slots[0])
    page.set_viewport_size(PHONE)
    log_in(page, live_server, world, language)

    # The search asked without saying what: a clear error, the page still passes.
    page.goto(live_server.url + url("portal:search", language))
    page.locator("main form[role=search] button[type=submit]").click()
    page.locator("#results .errorlist, main .errorlist").first.wait_for()
    checked(page, f"{language}-search-error")

    # From the dashboard's next visit, "Change the date": already searched on the visit's centre and clinician.
    page.goto(live_server.url + url("portal:home", language))
    page.locator(f"[data-testid=next-visit] a[href='{url('portal:reschedule', language, old.pk)}']").click()
    page.locator("#results a.button.time").first.wait_for()
    assert page.locator("#id_facility").input_value() == str(world.centre.pk)
    assert world.other_centre.name not in page.locator("#results").inner_text()
    checked(page, f"{language}-reschedule-results")

    page.locator("#results a.button.time").first.click()
    page.locator("[data-testid=old-visit]").wait_for()
    assert page.locator("[data-testid=new-visit]").is_visible()
    checked(page, f"{language}-reschedule-confirm")
    page.locator("main form button[type=submit]").click()
    page.locator("[data-testid=old-visit]").wait_for(state="detached")
    old.refresh_from_db()
    assert old.status == Appointment.Status.CANCELLED
    moved = Appointment.objects.get(patient=world.patient_a, status=Appointment.Status.BOOKED)
    assert moved.slot.facility_id == world.centre.pk and moved.slot_id != old.slot_id
    checked(page, f"{language}-rescheduled")
