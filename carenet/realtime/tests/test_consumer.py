"""The room's socket in this process (TEL-2, TEL-3, CLN-6, issue 13): who gets in, the chat in order and exactly once,
catching up, relayed signals, presence, and frames that must not break anything."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.core import signing

from carenet.accounts.models import PatientRead
from carenet.consultations import chat
from carenet.consultations.events import publish
from carenet.consultations.models import ChatMessage, Consultation
from carenet.consultations.tokens import socket_token
from carenet.core import clock
from carenet.realtime import consumers
from carenet.realtime.consumers import ConsultationConsumer
from carenet.realtime.tests.room import RoomClient, consultation_in_progress, token_for

# The consumer stores messages in transactions of its own and publishes after they commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _memory_channel_layer(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel layer of this test's own (the servers' tests use Redis)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The consumer's database calls close old connections (as after a request); the test database must stay open.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def run(scenario: Any) -> None:
    async_to_sync(scenario)()


@pytest.fixture
def room(cast: Any) -> Consultation:
    return consultation_in_progress(cast)


def test_a_socket_that_says_no_hello_is_closed_with_4401(room: Consultation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ConsultationConsumer, "hello_seconds", 0.2)

    async def scenario() -> None:
        client = RoomClient()
        assert await client.connect()
        assert await client.closed() == 4401
        await client.leave()

    run(scenario)


def test_a_first_message_other_than_hello_closes_with_4401(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        client = RoomClient()
        assert await client.connect()
        await client.send({"type": "chat", "id": "a", "text": "Dzień dobry"})
        assert (await client.next())["code"] == "hello_first"
        assert await client.closed() == 4401
        await client.leave()

    run(scenario)
    assert not ChatMessage.objects.exists()


def _refused(token: object, close_code: int, code: str) -> None:
    async def scenario() -> None:
        client = RoomClient()
        assert await client.connect()
        await client.send({"type": "hello", "token": token, "after": 0})
        frame = await client.next()
        assert (frame["type"], frame["code"]) == ("error", code)
        assert await client.closed() == close_code
        await client.leave()

    run(scenario)


def test_a_bad_forged_or_old_token_is_refused(cast: Any, room: Consultation) -> None:
    user_id = cast.user("patient").pk
    forged = signing.dumps({"u": user_id, "c": room.pk, "s": "patient"}, salt="something-else", compress=False)
    with time_machine.travel(clock.now() - dt.timedelta(seconds=400), tick=False):
        old = socket_token(user_id=user_id, consultation_id=room.pk, side="patient")
    for token in ("garbage-token", forged, old, None, 12345, {"u": user_id}, "x" * 5000):
        _refused(token, 4403, "token_invalid")
    assert not PatientRead.objects.exists()


def test_someone_elses_consultation_is_not_found_and_the_wrong_side_is_refused(cast: Any, room: Consultation) -> None:
    _refused(token_for(cast, "other_patient", room, "patient"), 4404, "consultation_not_found")
    _refused(token_for(cast, "clinician_without", room, "clinician"), 4404, "consultation_not_found")
    _refused(token_for(cast, "receptionist_here", room, "clinician"), 4404, "consultation_not_found")
    # Anna's own token, but claiming the clinician's side.
    _refused(token_for(cast, "patient", room, "clinician"), 4403, "not_allowed")
    # A token of a user switched off since.
    token = token_for(cast, "clinician_with", room, "clinician")
    cast.user("clinician_with").__class__.objects.filter(pk=cast.user("clinician_with").pk).update(is_active=False)
    _refused(token, 4403, "not_allowed")
    assert not PatientRead.objects.exists()


def test_patient_and_clinician_chat_in_order_each_message_stored_once(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        patient, clinician = RoomClient(), RoomClient()
        welcome = await patient.hello(token_for(cast, "patient", room, "patient"))
        assert welcome["side"] == "patient"
        assert welcome["state"]["status"] == "in_progress" and welcome["state"]["id"] == room.pk
        assert welcome["state"]["clinician"] == "lek. Jan Kowalski"
        assert isinstance(welcome["ice_servers"], list)
        assert (await clinician.hello(token_for(cast, "clinician_with", room, "clinician")))["side"] == "clinician"
        assert await clinician.next() == {"type": "peer", "side": "patient", "present": True}
        assert await patient.next() == {"type": "peer", "side": "clinician", "present": True}

        await patient.send({"type": "chat", "id": "p-1", "text": "  Boli mnie gardło od trzech dni.  "})
        mine, theirs = await patient.next_of("chat"), await clinician.next_of("chat")
        assert mine == theirs
        assert (mine["seq"], mine["id"], mine["side"], mine["text"]) == (
            1,
            "p-1",
            "patient",
            "Boli mnie gardło od trzech dni.",
        )
        assert mine["author"] == "Anna Nowak"

        await clinician.send({"type": "chat", "id": "c-1", "text": "Proszę pokazać gardło do kamery 🙂"})
        await clinician.send({"type": "chat", "id": "c-2", "text": "Czy jest gorączka?\nIle stopni?"})
        received = [await patient.next_of("chat"), await patient.next_of("chat")]
        assert [(m["seq"], m["id"], m["author"]) for m in received] == [
            (2, "c-1", "lek. Jan Kowalski"),
            (3, "c-2", "lek. Jan Kowalski"),
        ]
        assert received[0]["text"] == "Proszę pokazać gardło do kamery 🙂"
        assert [(await clinician.next_of("chat"))["seq"] for _ in range(2)] == [2, 3]

        # A resend (the acknowledgement was lost): acknowledged to the sender alone, stored once.
        await patient.send({"type": "chat", "id": "p-1", "text": "  Boli mnie gardło od trzech dni.  "})
        again = await patient.next_of("chat")
        assert (again["seq"], again["id"]) == (1, "p-1")
        assert await clinician.nothing()
        await patient.leave()
        assert await clinician.next() == {"type": "peer", "side": "patient", "present": False}
        await clinician.leave()

    run(scenario)
    stored = list(ChatMessage.objects.filter(consultation=room).values_list("seq", "side", "client_id"))
    assert stored == [(1, "patient", "p-1"), (2, "clinician", "c-1"), (3, "clinician", "c-2")]
    room.refresh_from_db()
    assert room.last_seq == 3


def test_a_reconnecting_client_gets_exactly_the_messages_after_its_last(cast: Any, room: Consultation) -> None:
    clinician_user = cast.user("clinician_with")
    for number in range(1, 5):
        chat.chat_post(
            actor=clinician_user, consultation_id=room.pk, client_id=f"c{number}", text=f"Wiadomość {number}"
        )

    async def scenario() -> None:
        patient = RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"), after=2)
        assert [(await patient.next())["seq"] for _ in range(2)] == [3, 4]
        assert await patient.nothing()
        await patient.leave()

        fresh = RoomClient()
        await fresh.hello(token_for(cast, "patient", room, "patient"))
        frames = [await fresh.next() for _ in range(4)]
        assert [(f["type"], f["seq"], f["text"]) for f in frames] == [
            ("chat", n, f"Wiadomość {n}") for n in range(1, 5)
        ]
        await fresh.leave()

    run(scenario)


def test_signals_go_to_the_other_side_only(cast: Any, room: Consultation) -> None:
    offer = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}
    candidate = {"candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdpMid": "0"}}

    async def scenario() -> None:
        patient, second_tab, clinician = RoomClient(), RoomClient(), RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await second_tab.hello(token_for(cast, "patient", room, "patient"))
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await patient.send({"type": "signal", "data": offer})
        assert await clinician.next_of("signal") == {"type": "signal", "from": "patient", "data": offer}
        await clinician.send({"type": "signal", "data": candidate})
        assert await patient.next_of("signal") == {"type": "signal", "from": "clinician", "data": candidate}
        assert await second_tab.next_of("signal") == {"type": "signal", "from": "clinician", "data": candidate}
        # Nobody hears their own side's signals.
        for client in (patient, second_tab, clinician):
            while not await client.nothing():
                assert (await client.next())["type"] == "peer"
        await clinician.send({"type": "signal", "data": {"candidate": None}})
        assert (await patient.next_of("signal"))["data"] == {"candidate": None}
        assert (await second_tab.next_of("signal"))["data"] == {"candidate": None}
        # The patient closes one of two tabs: the clinician hears them go, and at once that they are still there.
        await second_tab.leave()
        assert await clinician.next() == {"type": "peer", "side": "patient", "present": False}
        assert await clinician.next() == {"type": "peer", "side": "patient", "present": True}
        await patient.leave()
        assert await clinician.next() == {"type": "peer", "side": "patient", "present": False}
        assert await clinician.nothing()
        await clinician.leave()

    run(scenario)


GARBAGE: list[tuple[str | bytes, str]] = [
    ("not json at all", "not_json"),
    ("", "not_json"),
    ("[" * 5000 + "]" * 5000, "not_json"),
    ('{"type": "chat", "id": "a", "text": "' + "x" * (70 * 1024) + '"}', "too_large"),
    (b"\x00\x01binary", "binary_frame"),
    ("[]", "bad_message"),
    ('{"type": 5}', "bad_message"),
    ('"hello"', "bad_message"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": "chat", "id": 7, "text": "x"}', "bad_message"),
    ('{"type": "chat", "id": "a", "text": ["x"]}', "bad_message"),
    ('{"type": "chat", "id": "a", "text": "nul \\u0000 here"}', "text_invalid"),
    ('{"type": "chat", "id": "a", "text": "lone \\ud800 surrogate"}', "text_invalid"),
    ('{"type": "chat", "id": "a", "text": "   "}', "text_empty"),
    ('{"type": "chat", "id": "a", "text": "' + "x" * 2001 + '"}', "text_too_long"),
    ('{"type": "chat", "id": "🙂", "text": "x"}', "client_id_invalid"),
    ('{"type": "chat", "id": "", "text": "x"}', "client_id_invalid"),
    ('{"type": "chat", "id": "' + "a" * 41 + '", "text": "x"}', "client_id_invalid"),
    ('{"type": "signal", "data": "offer"}', "bad_message"),
    ('{"type": "signal", "data": {"sdp": "x"}}', "bad_message"),
    ('{"type": "hello", "token": "again"}', "already_joined"),
]


def test_garbage_frames_get_an_error_and_the_socket_keeps_working(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        patient = RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        for frame, code in GARBAGE:
            if isinstance(frame, bytes):
                await patient.send_bytes(frame)
            else:
                await patient.send_text(frame)
            answer = await patient.next()
            assert (answer["type"], answer["code"]) == ("error", code), (frame[:60], answer)
            assert answer["message"]
        await patient.send({"type": "ping"})
        assert await patient.next() == {"type": "pong"}
        await patient.send({"type": "chat", "id": "ok-1", "text": "Zażółć gęślą jaźń 🙂"})
        assert (await patient.next_of("chat"))["text"] == "Zażółć gęślą jaźń 🙂"
        await patient.leave()

    run(scenario)
    assert list(ChatMessage.objects.values_list("client_id", flat=True)) == ["ok-1"]


def test_errors_speak_the_users_language(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        english, polish = "Unknown kind of message.", "Nieznany rodzaj wiadomości."
        for headers, text in (
            ([(b"accept-language", b"en-GB,en;q=0.8")], english),
            ([(b"accept-language", b"pl-PL")], polish),
            ([], polish),
            # The language chosen on the site wins over the browser's.
            ([(b"accept-language", b"pl-PL"), (b"cookie", b"csrftoken=x; django_language=en")], english),
            ([(b"accept-language", b"en"), (b"cookie", b"django_language=pl")], polish),
        ):
            client = RoomClient(headers=headers)
            await client.hello(token_for(cast, "patient", room, "patient"))
            await client.send({"type": "dance"})
            assert (await client.next())["message"] == text
            await client.leave()

    run(scenario)


def test_too_many_messages_at_once_are_refused(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        patient = RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        for number in range(consumers.CHAT_LIMIT):
            await patient.send({"type": "chat", "id": f"m{number}", "text": f"{number}"})
            await patient.next_of("chat")
        await patient.send({"type": "chat", "id": "one-too-many", "text": "!"})
        refused = await patient.next()
        assert (refused["type"], refused["code"], refused["id"]) == ("error", "too_fast", "one-too-many")
        await patient.leave()

    run(scenario)
    assert ChatMessage.objects.count() == consumers.CHAT_LIMIT


def test_a_waiting_consultation_takes_no_chat_nor_signals_and_forwards_its_state(cast: Any) -> None:
    waiting = consultation_in_progress(cast, status=Consultation.Status.WAITING, clinician=None, appointment=None)

    async def scenario() -> None:
        patient = RoomClient()
        welcome = await patient.hello(token_for(cast, "patient", waiting, "patient"))
        assert welcome["state"]["status"] == "waiting" and welcome["state"]["clinician"] is None
        await patient.send({"type": "chat", "id": "w1", "text": "Czy długo jeszcze?"})
        assert (await patient.next())["code"] == "not_in_progress"
        await patient.send({"type": "signal", "data": {"candidate": None}})
        assert (await patient.next())["code"] == "not_in_progress"
        state = {"type": "state", "id": waiting.pk, "status": "waiting", "position": 2, "wait_minutes": 9}
        await database_sync_to_async(publish)(waiting.pk, state)
        assert await patient.next() == state
        await database_sync_to_async(publish)(waiting.pk, state | {"status": "left", "position": None})
        assert (await patient.next())["status"] == "left"
        await patient.leave()

    run(scenario)
    assert not ChatMessage.objects.exists()


def test_an_ended_consultation_shows_its_transcript_read_only(cast: Any, room: Consultation) -> None:
    chat.chat_post(actor=cast.user("patient"), consultation_id=room.pk, client_id="p1", text="Dziękuję")
    Consultation.objects.filter(pk=room.pk).update(
        status=Consultation.Status.ENDED, ended_at=clock.now(), outcome=Consultation.Outcome.ADVICE
    )

    async def scenario() -> None:
        patient = RoomClient()
        welcome = await patient.hello(token_for(cast, "patient", room, "patient"))
        assert (welcome["state"]["status"], welcome["state"]["outcome"]) == ("ended", "advice")
        assert (await patient.next())["text"] == "Dziękuję"
        await patient.send({"type": "chat", "id": "p2", "text": "Jeszcze jedno pytanie"})
        assert (await patient.next())["code"] == "not_in_progress"
        await patient.send({"type": "signal", "data": {"candidate": None}})
        assert (await patient.next())["code"] == "not_in_progress"
        await patient.leave()

    run(scenario)


def test_the_clinicians_and_a_guardians_room_reads_are_recorded_once_per_socket(cast: Any, room: Consultation) -> None:
    """CLN-6: the clinician's room is a read of the patient's data (staff door); a patient's own is not recorded."""

    async def scenario() -> None:
        clinician, patient = RoomClient(), RoomClient()
        await clinician.hello(token_for(cast, "clinician_with", room, "clinician"))
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await clinician.send({"type": "ping"})
        await clinician.next_of("pong")
        await clinician.leave()
        await patient.leave()

    run(scenario)
    reads = list(PatientRead.objects.values_list("reader_id", "patient_id", "what", "door", "reference"))
    assert reads == [(cast.user("clinician_with").pk, cast.patient.pk, "consultations", "staff", str(room.pk))]

    child_room = consultation_in_progress(
        cast, patient=cast.child, requested_by=cast.user("guardian"), appointment=cast.child_visit
    )

    async def guardian() -> None:
        client = RoomClient()
        await client.hello(token_for(cast, "guardian", child_room, "patient"))
        await client.leave()

    run(guardian)
    assert PatientRead.objects.filter(reader=cast.user("guardian"), patient=cast.child, door="portal").count() == 1


def test_a_socket_from_another_sites_page_is_refused(cast: Any, room: Consultation) -> None:
    async def scenario() -> None:
        for origin, accepted in (
            (b"https://evil.example", False),
            (b"http://carenet.example.evil.example:80", False),
            (b"null", False),
            (b"http://127.0.0.1:8000", True),
        ):
            client = RoomClient(headers=[(b"origin", origin)])
            assert await client.connect() is accepted, origin
            if accepted:
                await client.leave()

    run(scenario)


def test_the_queue_flows_through_the_socket_from_waiting_to_ended(db: None) -> None:
    """TEL-2 end to end: the waiting patient sees their place move up when someone ahead leaves, then the clinician who
    took them; the two chat; ending it reaches both sides with its outcome."""
    from carenet.consultations import services
    from carenet.consultations.tests.factories import NOW, ConsultationFactory, build_consultation_world

    cw = build_consultation_world()
    first = ConsultationFactory(line=cw.internal, patient=cw.adult(), queued_at=NOW - dt.timedelta(minutes=6))
    mine = ConsultationFactory(line=cw.internal, patient=cw.patient, queued_at=NOW - dt.timedelta(minutes=4))
    clinician_user = cw.on_duty()
    patient_user = cw.patient.user
    assert patient_user is not None

    with time_machine.travel(NOW, tick=True):

        async def scenario() -> None:
            patient = RoomClient()
            welcome = await patient.hello(
                socket_token(user_id=patient_user.pk, consultation_id=mine.pk, side="patient")
            )
            assert (welcome["state"]["status"], welcome["state"]["position"]) == ("waiting", 2)
            await database_sync_to_async(services.consultation_leave)(
                actor=first.requested_by, consultation_id=first.pk
            )
            moved = await patient.next_of("state")
            assert (moved["status"], moved["position"]) == ("waiting", 1)

            taken = await database_sync_to_async(services.consultation_take_next)(actor=clinician_user)
            assert taken is not None and taken.pk == mine.pk
            state = await patient.next_of("state")
            assert state["status"] == "in_progress" and state["clinician"] == str(taken.clinician)

            clinician = RoomClient()
            await clinician.hello(socket_token(user_id=clinician_user.pk, consultation_id=mine.pk, side="clinician"))
            await clinician.send({"type": "chat", "id": "c1", "text": "Dzień dobry, w czym mogę pomóc?"})
            assert (await patient.next_of("chat"))["text"] == "Dzień dobry, w czym mogę pomóc?"
            assert (await clinician.next_of("chat"))["seq"] == 1

            await database_sync_to_async(services.consultation_end)(
                actor=clinician_user, consultation_id=mine.pk, outcome="advice"
            )
            for client in (patient, clinician):
                ended = await client.next_of("state")
                assert (ended["status"], ended["outcome"]) == ("ended", "advice")
                await client.leave()

        run(scenario)


def test_a_user_switched_off_after_the_hello_posts_nothing_more(cast: Any, room: Consultation) -> None:
    user = cast.user("patient")

    async def scenario() -> None:
        patient = RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        await patient.send({"type": "chat", "id": "p1", "text": "Przed"})
        await patient.next_of("chat")
        await database_sync_to_async(type(user).objects.filter(pk=user.pk).update)(is_active=False)
        await patient.send({"type": "chat", "id": "p2", "text": "Po"})
        refused = await patient.next()
        assert (refused["type"], refused["code"], refused["id"]) == ("error", "not_allowed", "p2")
        assert await patient.closed() == 4403
        await patient.leave()

    run(scenario)
    assert list(ChatMessage.objects.values_list("client_id", flat=True)) == ["p1"]


def test_a_message_stored_while_a_socket_joins_reaches_it(
    cast: Any, room: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket joins the room's group before it reads the state and the messages: a message stored right after
    that read still arrives (by the group), once."""
    admit = ConsultationConsumer.__dict__["_admit"]

    async def admit_then_the_clinician_writes(self: ConsultationConsumer, *args: Any) -> Any:
        welcome = await admit.__get__(self, ConsultationConsumer)(*args)
        await database_sync_to_async(chat.chat_post)(
            actor=cast.user("clinician_with"), consultation_id=room.pk, client_id="meanwhile", text="Jestem."
        )
        return welcome

    monkeypatch.setattr(ConsultationConsumer, "_admit", admit_then_the_clinician_writes)

    async def scenario() -> None:
        patient = RoomClient()
        await patient.hello(token_for(cast, "patient", room, "patient"))
        arrived = await patient.next_of("chat")
        assert (arrived["seq"], arrived["text"]) == (1, "Jestem.")
        assert await patient.nothing()
        await patient.leave()

    run(scenario)
