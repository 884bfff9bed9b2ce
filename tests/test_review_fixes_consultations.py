"""Holes found by the review of online consultations' access, socket and input (TEL-2, TEL-3, CLN-6, issue 13):
each test failed before its fix."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from carenet.consultations.models import Consultation
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
