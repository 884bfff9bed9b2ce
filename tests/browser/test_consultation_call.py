"""A video consultation between two browsers (TEL-2, CLN-5, issue 13): Chromium with a fake camera and microphone,
a patient's and a clinician's context on one real ASGI server (pages and the rooms' socket, ``asgi_server``).

The patient starts a video consultation and waits; the clinician takes the next patient from "Konsultacje online";
both rooms open and the call connects with media flowing both ways (WebRTC statistics: bytes received on each side).
They chat; the patient's connection is cut while the clinician writes twice, and after it comes back the patient
has every message in order exactly once. The clinician issues a recommendation from the room without leaving the
call, then ends the consultation with its outcome and the patient's page turns to the summary. Both rooms at
390 px: nothing scrolls sideways, the Content-Security-Policy refuses nothing. Screenshots go to test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.clinical.models import Recommendation
from carenet.consultations.models import ChatMessage, Consultation
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_files_journey import no_sideways_scroll
from tests.cast import build_cast, with_consultation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consultation-call-{name}.png"), full_page=True)


def eventually(check: Callable[[], Any], *, seconds: float = 30, what: str = "") -> Any:
    """Ask ``check`` until it answers something true (the call and the sockets are asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what} (last: {answer!r})")
        time.sleep(0.25)


def stats(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("window.carenetRoom.stats()"))


def texts(page: Any) -> list[str]:
    return [message["text"] for message in page.evaluate("window.carenetRoom.messages()") if not message["pending"]]


def send(page: Any, text: str) -> None:
    page.fill("#room-text", text)
    page.click("#room-send")


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_video_consultation_connects_both_ways_and_the_chat_survives_a_dropped_connection(
    media_browser: Any, asgi_server: Any
) -> None:
    cast = with_consultation(build_cast())  # the internal medicine line, clinician_with on duty now
    with translation.override("pl"):
        portal_login, staff_login = reverse("portal:login"), reverse("staff:login")
        lines, console = reverse("portal:consultations"), reverse("staff:consultations")
    contexts, refused = [], []
    pages: dict[str, Any] = {}
    for side in ("patient", "clinician"):
        context = media_browser.new_context(locale="pl-PL", viewport=PHONE, permissions=["camera", "microphone"])
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        pages[side] = page
    patient, clinician = pages["patient"], pages["clinician"]
    base = asgi_server.url
    try:
        # The patient starts a video consultation in the internal medicine line and waits.
        log_in(patient, base + portal_login, "anna")
        patient.goto(base + lines)
        patient.locator("tr[data-line=interna] a.button").click()
        patient.wait_for_selector("#start-form")
        patient.check("#mode-video")
        patient.locator("#start-form button[type=submit]").click()
        patient.wait_for_selector("#queue-position")
        waiting = Consultation.objects.get(patient=cast.patient, status=Consultation.Status.WAITING)
        assert waiting.mode == Consultation.Mode.VIDEO

        # The clinician sees one patient waiting and takes the next one: the room opens on both sides.
        log_in(clinician, base + staff_login, "lekarz-kowalski")
        clinician.goto(base + console)
        assert clinician.get_attribute("#line-interna", "data-waiting") == "1"
        no_sideways_scroll(clinician)
        shot(clinician, "1-console")
        clinician.click("#take-next")
        clinician.wait_for_url(f"**{reverse('staff:consultation_room', args=[waiting.pk])}")
        patient.wait_for_selector("#consultation-room[data-status=in_progress]", timeout=20000)
        clinician.wait_for_selector("#consultation-room[data-status=in_progress]")

        # Media flows both ways: each side's connection has received bytes of the other's sound and picture.
        for page in (patient, clinician):
            eventually(lambda page=page: stats(page)["inbound"] > 0, what="media received")
        assert stats(patient)["state"] == stats(clinician)["state"] == "connected"
        assert stats(patient)["outbound"] > 0 and stats(clinician)["outbound"] > 0
        eventually(lambda: "Lekarz jest w pokoju" in patient.inner_text("#room-peer"), what="presence")
        assert "Rozmowa połączona" in clinician.inner_text("#room-call")

        # The chat: one message each way, then the patient's connection is cut while the clinician writes twice.
        send(patient, "Dzień dobry, od wczoraj boli mnie gardło.")
        eventually(lambda: texts(clinician) == ["Dzień dobry, od wczoraj boli mnie gardło."], what="first message")
        send(clinician, "Dzień dobry. Czy ma Pani gorączkę?")
        eventually(lambda: len(texts(patient)) == 2, what="the reply")
        patient.evaluate("window.carenetRoom.dropSocket()")
        send(clinician, "Proszę pokazać gardło do kamery.")
        send(clinician, "I zmierzyć temperaturę.")
        expected = [
            "Dzień dobry, od wczoraj boli mnie gardło.",
            "Dzień dobry. Czy ma Pani gorączkę?",
            "Proszę pokazać gardło do kamery.",
            "I zmierzyć temperaturę.",
        ]
        eventually(lambda: texts(patient) == expected, what="the catch-up after reconnecting")
        eventually(lambda: texts(clinician) == expected, what="the clinician's own messages")
        seqs = [message["seq"] for message in patient.evaluate("window.carenetRoom.messages()")]
        assert seqs == [1, 2, 3, 4]  # in order, each exactly once
        assert list(ChatMessage.objects.filter(consultation=waiting).values_list("text", flat=True)) == expected
        # The call connects again after the patient's connection came back.
        eventually(lambda: stats(patient)["state"] == "connected" and stats(patient)["inbound"] > 0, what="call back")

        for side, page in pages.items():
            page.wait_for_timeout(500)  # a frame of the remote video drawn for the picture
            no_sideways_scroll(page)
            shot(page, f"2-room-{side}")

        # A recommendation issued from the room (HTMX): the call goes on, the page is not left.
        before = stats(clinician)["inbound"]
        clinician.click("#issue-recommendation > summary")
        clinician.fill("#id_recommendation-text", "Płukanie gardła szałwią, dużo pić; kontrola, gdy gorączka.")
        clinician.get_by_role("button", name="Wystaw zalecenie").click()
        clinician.wait_for_selector("#issued :text('Płukanie gardła')")
        assert Recommendation.objects.get().appointment_id == Consultation.objects.get(pk=waiting.pk).appointment_id
        eventually(lambda: stats(clinician)["inbound"] > before, what="media still flowing after issuing")
        assert clinician.url.endswith(reverse("staff:consultation_room", args=[waiting.pk]))

        # The clinician ends the consultation with its outcome: the patient's page turns to the summary.
        clinician.select_option("#end-outcome", "documents")
        clinician.click("#end-consultation")
        clinician.wait_for_selector("#ended")
        patient.wait_for_selector("#consultation-room", state="detached", timeout=20000)
        ended = Consultation.objects.get(pk=waiting.pk)
        assert ended.status == Consultation.Status.ENDED and ended.outcome == "documents"
        no_sideways_scroll(patient)
        shot(patient, "3-after-patient")
        shot(clinician, "3-after-clinician")
    finally:
        for context in contexts:
            context.close()
    assert not refused, refused
