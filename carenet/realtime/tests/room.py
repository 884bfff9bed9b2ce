"""Helpers of the socket tests: a consultation in progress between the cast's Anna and her clinician, and a client
that speaks the room's protocol to the ASGI application in this process."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator

from carenet.consultations.models import Consultation
from carenet.consultations.tokens import socket_token
from carenet.core import clock
from carenet.realtime.routing import websocket_application


def consultation_in_progress(cast: Any, **fields: Any) -> Consultation:
    """Anna's booked video visit's room, open with ``clinician_with`` (built here, not through the queue)."""
    now = clock.now()
    values: dict[str, Any] = {
        "kind": Consultation.Kind.BOOKED,
        "patient": cast.patient,
        "requested_by": cast.patient.user,
        "mode": Consultation.Mode.VIDEO,
        "channel": "portal",
        "status": Consultation.Status.IN_PROGRESS,
        "queued_at": now,
        "taken_at": now,
        "clinician": cast.clinician_with,
        "appointment": cast.visit,
    } | fields
    return Consultation.objects.create(**values)


def token_for(cast: Any, role: str, consultation: Consultation, side: str) -> str:
    return socket_token(user_id=cast.user(role).pk, consultation_id=consultation.pk, side=side)


class RoomClient:
    """One socket: ``await hello(token)`` → the welcome; ``await next()`` → the next frame as JSON."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        scope = {"type": "websocket", "path": "/ws/consultations/", "query_string": b"", "headers": headers or []}
        self.ws = ApplicationCommunicator(websocket_application(), scope)
        self.open = False

    async def connect(self) -> bool:
        await self.ws.send_input({"type": "websocket.connect"})
        output = await self.ws.receive_output(3)
        self.open = output["type"] == "websocket.accept"
        return self.open

    async def send_text(self, text: str) -> None:
        await self.ws.send_input({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        await self.ws.send_input({"type": "websocket.receive", "bytes": data})

    async def send(self, content: Any) -> None:
        await self.send_text(json.dumps(content))

    async def hello(self, token: str, after: int = 0) -> dict[str, Any]:
        assert await self.connect()
        await self.send({"type": "hello", "token": token, "after": after})
        welcome = await self.next()
        assert welcome["type"] == "welcome", welcome
        return welcome

    async def next(self, timeout: float = 3) -> dict[str, Any]:
        output = await self.ws.receive_output(timeout)
        assert output["type"] == "websocket.send", output
        return json.loads(output["text"])

    async def next_of(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        """The next frame of ``kind``, skipping presence frames (``peer``) on the way."""
        while True:
            frame = await self.next(timeout)
            if frame["type"] == kind:
                return frame
            assert frame["type"] == "peer", frame

    async def closed(self, timeout: float = 3) -> int:
        """The close code the server sent (skipping any frames before it)."""
        while True:
            output = await self.ws.receive_output(timeout)
            if output["type"] == "websocket.close":
                self.open = False
                return int(output.get("code", 1000))

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout)

    async def leave(self) -> None:
        await self.ws.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.ws.wait(3)
        self.open = False
