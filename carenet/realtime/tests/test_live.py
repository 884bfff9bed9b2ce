"""The rooms' sockets on real servers (TEL-2, issue 13): uvicorn processes on the test database, clients speaking
WebSocket over TCP. A patient and a clinician on two servers behind one Redis; a server killed mid-chat and started
again; a connection dropped while the other side keeps writing. State lives in the database: nothing is lost and
nothing arrives twice."""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from carenet.consultations import chat
from carenet.consultations.models import ChatMessage, Consultation
from carenet.realtime.tests.room import consultation_in_progress, token_for
from tests.live_server import AsgiServer, database_visible_to_servers, running_servers

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _servers_can_see_the_database() -> None:
    reason = database_visible_to_servers()
    if reason is not None:
        pytest.skip(reason)


class Client:
    """One side's socket over TCP: says hello with its last seq, keeps what it received."""

    def __init__(self, server: AsgiServer, token: str) -> None:
        self.server, self.token = server, token
        self.seqs: list[int] = []
        self.texts: list[str] = []
        self.frames: list[dict[str, Any]] = []
        self.ws: ClientConnection | None = None

    def join(self, server: AsgiServer | None = None) -> dict[str, Any]:
        self.server = server or self.server
        self.ws = connect(self.server.ws_url, open_timeout=10, origin=self.server.url).__enter__()  # type: ignore[arg-type]
        self.ws.send(json.dumps({"type": "hello", "token": self.token, "after": self.seqs[-1] if self.seqs else 0}))
        welcome = self.next()
        assert welcome["type"] == "welcome", welcome
        return welcome

    def next(self, timeout: float = 10) -> dict[str, Any]:
        assert self.ws is not None
        frame = json.loads(self.ws.recv(timeout=timeout))
        self.frames.append(frame)
        if frame["type"] == "chat":
            assert frame["seq"] not in self.seqs, f"message {frame['seq']} arrived twice"
            self.seqs.append(frame["seq"])
            self.texts.append(frame["text"])
        return frame

    def next_of(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next(max(deadline - time.monotonic(), 0.01))
            if frame["type"] == kind:
                return frame
            assert frame["type"] in ("peer", "chat", "error"), frame

    def chats_until(self, count: int, timeout: float = 10) -> None:
        """Read until ``count`` messages have arrived in all."""
        deadline = time.monotonic() + timeout
        while len(self.seqs) < count:
            self.next(max(deadline - time.monotonic(), 0.01))

    def say(self, client_id: str, text: str) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps({"type": "chat", "id": client_id, "text": text}))

    def signal(self, data: dict[str, Any]) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps({"type": "signal", "data": data}))

    def drop(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()
            self.ws = None


@contextlib.contextmanager
def clients(*pairs: tuple[AsgiServer, str]) -> Iterator[list[Client]]:
    made = [Client(server, token) for server, token in pairs]
    try:
        yield made
    finally:
        for client in made:
            client.drop()


def _tokens(cast: Any, room: Consultation) -> tuple[str, str]:
    return token_for(cast, "patient", room, "patient"), token_for(cast, "clinician_with", room, "clinician")


def test_one_server_serves_pages_static_files_and_the_rooms_socket(cast: Any, asgi_server: AsgiServer) -> None:
    with urllib.request.urlopen(asgi_server.url + "/static/js/files.js", timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
    with urllib.request.urlopen(asgi_server.url + "/", timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
    room = consultation_in_progress(cast)
    patient_token, _ = _tokens(cast, room)
    with clients((asgi_server, patient_token)) as (patient,):
        assert patient.join()["state"]["status"] == "in_progress"
        patient.say("p-1", "Dzień dobry")
        assert patient.next_of("chat")["seq"] == 1
        # A frame over 64 KB is refused by the consumer; the socket goes on.
        patient.say("p-2", "x" * (100 * 1024))
        assert patient.next_of("error")["code"] == "too_large"
        # One over the server's limit ends that socket (1009), and only that one.
        patient.say("p-3", "x" * (200 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            patient.next(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        patient.drop()
        patient.join()
        patient.say("p-4", "Czy Pan doktor mnie słyszy?")
        assert patient.next_of("chat")["seq"] == 2
    assert list(ChatMessage.objects.values_list("client_id", flat=True)) == ["p-1", "p-4"]
    # A page of another site cannot open the socket.
    with (
        pytest.raises(Exception, match="403"),
        connect(asgi_server.ws_url, open_timeout=10, origin="https://evil.example"),  # type: ignore[arg-type]
    ):
        pass


def test_patient_and_clinician_on_two_servers_chat_and_signal_through_redis(cast: Any) -> None:
    if not os.environ.get("CARENET_REDIS_URL"):
        pytest.skip("needs Redis for the channel layer across processes: set CARENET_REDIS_URL (scripts/redis-up)")
    room = consultation_in_progress(cast)
    patient_token, clinician_token = _tokens(cast, room)
    with (
        running_servers(2) as (server_a, server_b),
        clients((server_a, patient_token), (server_b, clinician_token)) as (patient, clinician),
    ):
        patient.join()
        clinician.join()
        assert clinician.next_of("peer") == {"type": "peer", "side": "patient", "present": True}
        assert patient.next_of("peer") == {"type": "peer", "side": "clinician", "present": True}

        patient.say("p-1", "Mam wysypkę na przedramieniu.")
        clinician.chats_until(1)
        clinician.say("c-1", "Proszę pokazać ją do kamery.")
        patient.chats_until(2)
        patient.say("p-2", "Już pokazuję.")
        patient.chats_until(3)
        clinician.chats_until(3)
        assert patient.seqs == clinician.seqs == [1, 2, 3]
        assert clinician.texts == ["Mam wysypkę na przedramieniu.", "Proszę pokazać ją do kamery.", "Już pokazuję."]

        offer = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
        answer = {"description": {"type": "answer", "sdp": "v=0\r\n"}}
        patient.signal(offer)
        assert clinician.next_of("signal") == {"type": "signal", "from": "patient", "data": offer}
        clinician.signal(answer)
        assert patient.next_of("signal") == {"type": "signal", "from": "clinician", "data": answer}

        patient.drop()
        assert clinician.next_of("peer") == {"type": "peer", "side": "patient", "present": False}
    assert list(ChatMessage.objects.order_by("seq").values_list("seq", "client_id")) == [
        (1, "p-1"),
        (2, "c-1"),
        (3, "p-2"),
    ]


def test_a_server_killed_mid_chat_loses_nothing_and_repeats_nothing(cast: Any) -> None:
    room = consultation_in_progress(cast)
    patient_token, clinician_token = _tokens(cast, room)
    server = AsgiServer().start()
    try:
        with clients((server, patient_token), (server, clinician_token)) as (patient, clinician):
            patient.join()
            clinician.join()
            patient.say("p-1", "Czy mogę przyjąć ibuprofen?")
            clinician.chats_until(1)
            clinician.say("c-1", "Tak, 400 mg do trzech razy dziennie.")
            patient.chats_until(2)
            clinician.chats_until(2)
            # The patient writes, and the server dies before anyone can tell whether the message was stored.
            patient.say("p-2", "A jeśli gorączka nie spadnie?")
            server.kill()
            for client in (patient, clinician):
                with pytest.raises((ConnectionClosed, TimeoutError)):
                    while True:
                        client.next(timeout=5)
                client.drop()
            # Meanwhile the clinician's answer arrives another way (the API, another server).
            chat.chat_post(
                actor=cast.user("clinician_with"), consultation_id=room.pk, client_id="c-2", text="Proszę zadzwonić."
            )

            server.start()
            patient.join()
            clinician.join()
            # The patient's client resends what it never saw acknowledged, with the same id.
            if "A jeśli gorączka nie spadnie?" not in patient.texts:
                patient.say("p-2", "A jeśli gorączka nie spadnie?")
            patient.chats_until(4)
            clinician.chats_until(4)
            patient.say("p-3", "Dziękuję.")
            patient.chats_until(5)
            clinician.chats_until(5)
    finally:
        server.close()
    stored = list(ChatMessage.objects.filter(consultation=room).order_by("seq").values_list("seq", "text"))
    assert [seq for seq, _ in stored] == [1, 2, 3, 4, 5]
    assert sorted(text for _, text in stored) == sorted(
        [
            "Czy mogę przyjąć ibuprofen?",
            "Tak, 400 mg do trzech razy dziennie.",
            "A jeśli gorączka nie spadnie?",
            "Proszę zadzwonić.",
            "Dziękuję.",
        ]
    )
    for client in (patient, clinician):
        assert sorted(client.seqs) == [1, 2, 3, 4, 5]
        assert sorted(client.texts) == sorted(text for _, text in stored)


def test_a_dropped_connection_catches_up_on_exactly_what_it_missed(cast: Any, asgi_server: AsgiServer) -> None:
    room = consultation_in_progress(cast)
    patient_token, clinician_token = _tokens(cast, room)
    with clients((asgi_server, patient_token), (asgi_server, clinician_token)) as (patient, clinician):
        patient.join()
        clinician.join()
        clinician.say("c-1", "Jak się Pani czuje?")
        patient.chats_until(1)
        patient.drop()
        for number in range(2, 5):
            clinician.say(f"c-{number}", f"Wiadomość {number}")
        clinician.chats_until(4)
        patient.join()
        patient.chats_until(4)
        assert patient.seqs == [1, 2, 3, 4]
        assert patient.texts[1:] == ["Wiadomość 2", "Wiadomość 3", "Wiadomość 4"]
        with pytest.raises(TimeoutError):
            patient.next_of("chat", timeout=0.5)
