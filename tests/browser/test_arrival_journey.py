"""Arrival in a real browser (CHK-2, CHK-3, CHK-4, SMS-1, SMS-2): reception checks a patient in on the day list;
a patient answers the SMS check-in question with "tak" in the developer inbox and gets the room; a patient confirms
on the check-in page "jestem" with the code from the entrance screen. Data is built relative to the real clock
(the live server runs in another thread). Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from carenet.api.tests.factories import RoomFactory, make_slot
from carenet.arrival import policies as checkin_policies
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"arrival-{name}.png"), full_page=True)


def visit_in(world: World, minutes: int) -> Appointment:
    """A booked doctor's consultation at the centre, room 12, starting ``minutes`` from now."""
    starts = clock.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes)
    slot = make_slot(
        starts_at=starts,
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        room=RoomFactory(facility=world.centre, number="12"),
    )
    return booked(world.patient_a, slot)


def test_reception_checks_a_patient_in(page: Any, live_server: Any) -> None:
    world = build_world()
    visit = visit_in(world, 10)
    page.goto(live_server.url + reverse("staff:login"))
    page.fill("#id_username", world.staff["receptionist"].username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse("staff:dashboard"))
    page.locator(f"a[href='{reverse('staff:reception')}']").first.click()
    row = page.locator(f"tr[data-appointment='{visit.pk}']")
    row.wait_for()
    shot(page, "01-day-list")
    row.locator("form[action$='/check_in/'] button").click()
    page.locator(f"tr[data-appointment='{visit.pk}'][data-status='checked_in']").wait_for()
    shot(page, "02-checked-in")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN and visit.check_in_channel == "reception"


def test_patient_answers_tak_in_the_developer_inbox(page: Any, live_server: Any) -> None:
    world = build_world()
    visit = visit_in(world, 10)
    assert arrival.checkin_questions_enqueue() == 1
    patient = world.patient_a
    page.goto(live_server.url + "/sms/dev/")
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.get_by_role("link", name=patient.mobile).click()
    page.locator("section[aria-labelledby=messages-heading] li.bubble.out").first.wait_for()
    shot(page, "03-question")
    page.locator("section[aria-labelledby=reply-heading] textarea").fill("tak")
    page.locator("section[aria-labelledby=reply-heading] button[type=submit]").click()
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.locator("li.bubble.out", has_text="12").last.wait_for()
    shot(page, "04-room-reply")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN and visit.check_in_channel == "sms"


def test_patient_confirms_on_the_check_in_page(page: Any, live_server: Any) -> None:
    world = build_world()
    visit = visit_in(world, 10)
    code = checkin_policies.current_premises_code(
        secret=arrival.premises_secret(), facility_id=world.centre.pk, now=clock.now()
    )
    page.goto(live_server.url + reverse("portal:checkin"))
    page.fill("#id_phone", world.patient_a.mobile)
    page.fill("#id_pesel", world.patient_a.pesel)
    page.fill("#id_code", code)
    shot(page, "05-jestem")
    page.locator("main form button[type=submit]").click()
    page.locator("#checkin-result[data-answer='checked_in']").wait_for()
    assert "12" in page.locator("#checkin-result").inner_text()
    shot(page, "06-jestem-confirmed")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN and visit.check_in_channel == "checkin_page"
