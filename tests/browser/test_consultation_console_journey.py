"""The clinician's online consultations on a small phone (TEL-2, SCH-3, issue 13): at 320 px a clinician opens
"Konsultacje online" from the menu (not on duty: said so, no button to take anyone), then on the day list joins a
booked video visit that began five minutes ago ("Wejdź do pokoju wizyty online"), is in its room waiting for the
patient, writes in the chat (stored and acknowledged), and ends it: the patient never came. Nothing scrolls sideways;
the Content-Security-Policy refuses nothing (the page fixture checks it). Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.booking.models import Appointment
from carenet.consultations.models import ChatMessage, Consultation
from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.scheduling.models import Mode
from tests.browser.accessibility import open_menu
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_consultation_call import eventually
from tests.browser.test_files_journey import no_sideways_scroll
from tests.cast import build_cast
from tests.live_server import database_visible_to_servers, running_server, server_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consultation-console-{name}.png"), full_page=True)


def test_a_clinician_joins_a_booked_video_visit_from_the_day_list_on_a_small_phone(page: Any, asgi_server: Any) -> None:
    cast = build_cast()
    starts = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)  # began; its room is open
    visit = visit_of(cast.patient, cast.clinician_with, cast.consult, starts, mode=Mode.VIDEO)
    with translation.override("pl"):
        login = reverse("staff:login")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(asgi_server.url + login)
    page.fill("#id_username", "lekarz-kowalski")
    page.fill("#id_password", "correct-horse-battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(asgi_server.url + reverse("staff:dashboard"))

    open_menu(page)
    page.get_by_role("link", name="Konsultacje online").click()
    page.wait_for_selector("#no-duty")
    assert "Nie masz teraz dyżuru" in page.inner_text("#no-duty")
    assert page.locator("#take-next").count() == 0
    no_sideways_scroll(page)
    shot(page, "1-console")

    page.goto(asgi_server.url + reverse("staff:dashboard") + "?date=" + clock.local(starts).date().isoformat())
    card = page.locator(f"#visit-{visit.pk}")
    card.wait_for()
    no_sideways_scroll(page)
    shot(page, "2-day")
    card.get_by_role("button", name="Wejdź do pokoju wizyty online").click()
    room = Consultation.objects.get(appointment=visit)
    assert room.kind == Consultation.Kind.BOOKED and room.status == Consultation.Status.IN_PROGRESS
    page.wait_for_url(f"**{reverse('staff:consultation_room', args=[room.pk])}")
    eventually(lambda: page.evaluate("window.carenetRoom.connected()"), what="the room's socket")
    assert "Pacjent nie jest połączony" in page.inner_text("#room-peer")
    assert page.get_attribute("#room-status", "aria-live") == "polite"

    page.fill("#room-text", "Dzień dobry, czekam na Panią w pokoju wizyty.")
    page.get_by_role("button", name="Wyślij").click()
    eventually(
        lambda: [m["pending"] for m in page.evaluate("window.carenetRoom.messages()")] == [False], what="acknowledged"
    )
    assert list(ChatMessage.objects.filter(consultation=room).values_list("seq", "side")) == [(1, "clinician")]
    no_sideways_scroll(page)
    shot(page, "3-room")

    page.select_option("#end-outcome", "no_contact")
    page.click("#end-consultation")
    page.wait_for_selector("#ended")
    assert page.inner_text("#outcome") == "Brak kontaktu z pacjentem"
    room.refresh_from_db()
    visit.refresh_from_db()
    assert room.status == Consultation.Status.ENDED and room.outcome == "no_contact"
    assert visit.status == Appointment.Status.NO_SHOW
    assert "Dzień dobry, czekam na Panią" in page.inner_text("#transcript")
    no_sideways_scroll(page)


def test_the_room_asks_for_a_fresh_token_when_it_reconnects_after_the_old_one_expired(page: Any) -> None:
    """Socket tokens live minutes (here 6 s): a room that reconnects later first asks its page's token URL for a new
    one (POST with the CSRF token), then says hello with it — the server refuses the old one."""
    reason = database_visible_to_servers()
    if reason is not None:
        pytest.skip(reason)
    cast = build_cast()
    starts = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    visit = visit_of(cast.patient, cast.clinician_with, cast.consult, starts, mode=Mode.VIDEO)
    env = server_environment() | {"CARENET_CONSULTATION_TOKEN_SECONDS": "6"}
    with running_server(env=env) as server:
        page.goto(server.url + reverse("staff:login"))
        page.fill("#id_username", "lekarz-kowalski")
        page.fill("#id_password", "correct-horse-battery")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(server.url + reverse("staff:dashboard"))
        page.goto(server.url + reverse("staff:dashboard") + "?date=" + clock.local(starts).date().isoformat())
        page.get_by_role("button", name="Wejdź do pokoju wizyty online").click()
        room = Consultation.objects.get(appointment=visit)
        token_url = reverse("staff:consultation_token", args=[room.pk])
        page.wait_for_url(f"**{reverse('staff:consultation_room', args=[room.pk])}")
        eventually(lambda: page.evaluate("window.carenetRoom.connected()"), what="the room's socket")
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.method) if request.url.endswith(token_url) else None)
        page.wait_for_timeout(7000)  # the page's token is now too old for the server
        page.evaluate("window.carenetRoom.dropSocket()")
        eventually(lambda: page.evaluate("window.carenetRoom.connected()"), what="reconnected with a fresh token")
        assert asked and set(asked) == {"POST"}
        page.fill("#room-text", "Po ponownym połączeniu.")
        page.get_by_role("button", name="Wyślij").click()
        eventually(lambda: ChatMessage.objects.filter(consultation=room).count() == 1, what="stored")
