"""Holes found by the review of online consultations' access, socket and input (TEL-2, TEL-3, CLN-6, issue 13):
each test failed before its fix."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.urls import reverse

from carenet.consultations.models import ChatMessage, Consultation
from carenet.consultations.tokens import socket_ticket
from carenet.realtime import consumers
from carenet.realtime.consumers import ConsultationConsumer
from carenet.realtime.tests.room import RoomClient, consultation_in_progress, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _memory_channel_layer(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def run(scenario: Any) -> None:
    async_to_sync(scenario)()


@pytest.fixture
def room(cast: Any) -> Consultation:
    return consultation_in_progress(cast)


OFFER = {"description": {"type": "offer", "sdp": "v=0"}}


def test_a_user_switched_off_after_the_hello_relays_no_more_signals(cast: Any, room: Consultation) -> None:
    """A deactivated account's open socket could still push WebRTC offers and candidates to the other side."""
    user = cast.user("patient")

    async def scenario() -> None:
        patient, clinician = RoomClient(), RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await database_sync_to_async(type(user).objects.filter(pk=user.pk).update)(is_active=False)
        await patient.send({"type": "signal", "data": OFFER})
        refused = await patient.next_of("error")
        assert refused["code"] == "not_allowed"
        assert await patient.closed() == 4403
        while not await clinician.nothing():
            frame = await clinician.next()
            assert frame["type"] == "peer", frame
        await patient.leave()
        await clinician.leave()

    run(scenario)


def test_one_user_cannot_hold_more_than_a_few_room_sockets(
    cast: Any, room: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One account (or a stolen token) could open thousands of admitted sockets, each a read, a group member and a
    relay of the room's traffic."""
    monkeypatch.setattr(consumers, "SOCKETS_PER_USER", 3)
    monkeypatch.setattr(ConsultationConsumer, "sockets_of", Counter())
    token = token_for(cast, "patient", room, "patient")

    async def scenario() -> None:
        held = [RoomClient() for _ in range(3)]
        for client in held:
            await client.hello(token)
        extra = RoomClient()
        assert await extra.connect()
        await extra.send({"type": "hello", "token": token, "after": 0})
        refused = await extra.next()
        assert (refused["type"], refused["code"]) == ("error", "too_many_connections")
        assert await extra.closed() == 4429
        await extra.leave()
        # The clinician is not counted with the patient; a socket that went frees its place.
        clinician = RoomClient()
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await held[0].leave()
        again = RoomClient()
        await again.hello(token)
        for client in (*held[1:], again, clinician):
            await client.leave()

    run(scenario)
    assert not ConsultationConsumer.sockets_of


def test_a_refused_hello_does_not_count_against_the_user(
    cast: Any, room: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "SOCKETS_PER_USER", 1)
    monkeypatch.setattr(ConsultationConsumer, "sockets_of", Counter())

    async def scenario() -> None:
        wrong_side = RoomClient()
        assert await wrong_side.connect()
        await wrong_side.send({"type": "hello", "token": token_for(cast, "patient", room, "clinician"), "after": 0})
        assert (await wrong_side.next())["code"] == "not_allowed"
        assert await wrong_side.closed() == 4403
        accepted = RoomClient()
        await accepted.hello(token_for(cast, "patient", room, "patient"))
        await accepted.leave()

    run(scenario)


def _page_token(client: Any, url: str) -> tuple[str, list[tuple[bytes, bytes]]]:
    """The token the room's page asks for, and the headers its browser sends with the socket (its cookies)."""
    answer = client.post(url)
    assert answer.status_code == 200, answer
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    return answer.json()["token"], [(b"cookie", cookie.encode())]


def _hello_refused(token: str, headers: list[tuple[bytes, bytes]]) -> None:
    async def scenario() -> None:
        client = RoomClient(headers=headers)
        assert await client.connect()
        await client.send({"type": "hello", "token": token, "after": 0})
        frame = await client.next()
        assert (frame["type"], frame["code"]) == ("error", "not_allowed")
        assert await client.closed() == 4403
        await client.leave()

    run(scenario)


def test_a_pages_token_opens_the_socket_only_in_its_session_while_logged_in(cast: Any, room: Consultation) -> None:
    """A room token copied out of a page (or left in it after logging out) opened the socket from anywhere for
    its five minutes; an open socket kept posting after its user logged out."""
    browser = cast.client("patient")
    token, cookies = _page_token(browser, reverse("portal:consultation_token", args=[room.pk]))
    _hello_refused(token, [])  # without the session's cookie

    async def logged_in_then_out() -> None:
        socket = RoomClient(headers=cookies)
        await socket.hello(token)
        await socket.send({"type": "chat", "id": "p1", "text": "Przed wylogowaniem"})
        assert (await socket.next_of("chat"))["id"] == "p1"
        await database_sync_to_async(browser.logout)()
        await socket.send({"type": "chat", "id": "p2", "text": "Po wylogowaniu"})
        refused = await socket.next_of("error")
        assert (refused["code"], refused["id"]) == ("not_allowed", "p2")
        assert await socket.closed() == 4403
        await socket.leave()

    run(logged_in_then_out)
    _hello_refused(token, cookies)  # the same cookie, logged out
    assert list(ChatMessage.objects.values_list("client_id", flat=True)) == ["p1"]


def test_the_clinicians_page_token_is_bound_to_the_session_too(cast: Any, room: Consultation) -> None:
    browser = cast.client("clinician_with")
    token, cookies = _page_token(browser, reverse("staff:consultation_token", args=[room.pk]))
    other = cast.client("clinician_without")
    other.get(reverse("staff:consultations"))
    others_cookie = [(b"cookie", f"sessionid={other.cookies['sessionid'].value}".encode())]
    _hello_refused(token, others_cookie)  # another user's session

    async def accepted() -> None:
        socket = RoomClient(headers=cookies)
        assert (await socket.hello(token))["side"] == "clinician"
        await socket.leave()

    run(accepted)


def test_a_deeply_nested_signal_is_refused_and_breaks_no_socket(cast: Any, room: Consultation) -> None:
    """A signal nested a few hundred levels deep (well inside 64 KB) crashed the sender's consumer on the channel
    layer's copy of it (in-memory layer), or was relayed as it was to the other side (Redis)."""
    nested = "[" * 700 + "]" * 700

    async def scenario() -> None:
        patient, clinician = RoomClient(), RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await patient.send_text('{"type": "signal", "data": {"description": {"type": "offer", "sdp": ' + nested + "}}}")
        assert (await patient.next_of("error"))["code"] == "bad_message"
        await patient.send({"type": "signal", "data": OFFER})
        assert (await clinician.next_of("signal"))["data"] == OFFER
        await patient.send({"type": "ping"})
        assert (await patient.next_of("pong"))["type"] == "pong"
        await patient.leave()
        await clinician.leave()

    run(scenario)


def test_a_token_with_a_lone_surrogate_is_no_token(cast: Any, room: Consultation) -> None:
    """``"\\ud800"`` in the hello's token (valid JSON) crashed the consumer while the signature was checked."""
    assert socket_ticket("abcdefghij:\ud800:klmnopqrst") is None
    assert socket_ticket(token_for(cast, "patient", room, "patient")) is not None


def test_a_lone_surrogate_is_neither_echoed_nor_relayed(cast: Any, room: Consultation) -> None:
    """``"\\ud800"`` (valid JSON, not text) in a signal was relayed to the other side, and in a chat id echoed back:
    frames no server can encode as UTF-8, so the socket they were sent to broke."""

    async def scenario() -> None:
        patient, clinician = RoomClient(), RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await patient.send_text('{"type": "signal", "data": {"description": {"type": "offer", "sdp": "\\ud800"}}}')
        await patient.send_text('{"type": "chat", "id": "\\udfff", "text": "Dzień dobry"}')
        for code in ("bad_message", "client_id_invalid"):
            output = await patient.ws.receive_output(3)
            while json.loads(output["text"])["type"] == "peer":
                output = await patient.ws.receive_output(3)
            output["text"].encode("utf-8")
            assert json.loads(output["text"])["code"] == code
        while not await clinician.nothing():
            output = await clinician.ws.receive_output(1)
            output["text"].encode("utf-8")
            assert json.loads(output["text"])["type"] == "peer", output
        await patient.leave()
        await clinician.leave()

    run(scenario)
    assert not ChatMessage.objects.exists()


def test_a_socket_whose_user_logged_out_receives_no_more_of_the_chat(cast: Any, room: Consultation) -> None:
    """A logged-out (or switched-off) user's open room socket kept receiving every new message of the chat."""
    browser = cast.client("patient")
    token, cookies = _page_token(browser, reverse("portal:consultation_token", args=[room.pk]))

    async def scenario() -> None:
        patient, clinician = RoomClient(headers=cookies), RoomClient()
        await patient.hello(token)
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await database_sync_to_async(browser.logout)()
        await clinician.send({"type": "chat", "id": "c1", "text": "Wynik badania jest prawidłowy."})
        assert (await clinician.next_of("chat"))["id"] == "c1"
        refused = await patient.next_of("error")
        assert refused["code"] == "not_allowed"
        assert await patient.closed() == 4403
        await patient.leave()
        await clinician.leave()

    run(scenario)
