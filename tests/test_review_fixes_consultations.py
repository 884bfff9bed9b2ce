"""Holes found by the review of online consultations' access, socket and input (TEL-2, TEL-3, CLN-6, issue 13):
each test failed before its fix."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from carenet.consultations.models import Consultation
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
