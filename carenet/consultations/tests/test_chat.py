"""The consultation's chat (TEL-2, issue 13): who may write, what is refused, numbering without gaps or duplicates,
and a resend stored once — also when many write at the same moment."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from carenet.accounts.models import User
from carenet.consultations import chat
from carenet.consultations.ice import ice_servers
from carenet.consultations.models import ChatMessage, Consultation
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.realtime.tests.room import consultation_in_progress


@pytest.fixture
def room(cast: Any) -> Consultation:
    return consultation_in_progress(cast)


def post(user: User | None, room: Consultation, client_id: str = "m1", text: str = "Dzień dobry") -> Any:
    assert user is not None
    return chat.chat_post(actor=user, consultation_id=room.pk, client_id=client_id, text=text)


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(ApplicationError) as refused:
        call()
    return refused.value.code


def test_each_side_writes_on_its_own_side_numbered_in_order(cast: Any, room: Consultation) -> None:
    first, created = post(cast.user("patient"), room, "p1", "  Boli mnie głowa.\n Od wczoraj.  ")
    assert created and (first.seq, first.side, first.text) == (1, "patient", "Boli mnie głowa.\n Od wczoraj.")
    second, _ = post(cast.user("clinician_with"), room, "c1", "Proszę opisać ból 🙂")
    assert (second.seq, second.side) == (2, "clinician")
    # The same client id from the other author is another message.
    third, created = post(cast.user("clinician_with"), room, "p1", "Czy boli z tyłu głowy?")
    assert created and third.seq == 3
    assert [m.seq for m in chat.transcript(room)] == [1, 2, 3]
    assert [m.seq for m in chat.chat_after(consultation=room, after_seq=1)] == [2, 3]
    assert [m.seq for m in chat.chat_after(consultation=room, after_seq=0, limit=2)] == [1, 2]
    assert chat.message_json(second) == {
        "seq": 2,
        "id": "c1",
        "side": "clinician",
        "author": "lek. Jan Kowalski",
        "text": "Proszę opisać ból 🙂",
        "at": second.sent_at.isoformat(),
    }
    assert chat.message_json(first)["author"] == "Anna Nowak"
    room.refresh_from_db()
    assert room.last_seq == 3


def test_a_resend_returns_the_stored_message_and_changes_nothing(cast: Any, room: Consultation) -> None:
    message, created = post(cast.user("patient"), room, "p1", "Pierwsza")
    again, created_again = post(cast.user("patient"), room, "p1", "Pierwsza")
    assert created and not created_again and again.pk == message.pk
    # Even after the consultation ended, a client only hears that its message arrived.
    Consultation.objects.filter(pk=room.pk).update(status=Consultation.Status.ENDED)
    late, created_late = post(cast.user("patient"), room, "p1", "Pierwsza")
    assert late.pk == message.pk and not created_late
    assert ChatMessage.objects.count() == 1
    room.refresh_from_db()
    assert room.last_seq == 1


def test_a_guardian_writes_for_the_child_under_their_own_name(cast: Any) -> None:
    child_room = consultation_in_progress(
        cast, patient=cast.child, requested_by=cast.user("guardian"), appointment=cast.child_visit
    )
    message, _ = post(cast.user("guardian"), child_room, "g1", "Córka ma gorączkę.")
    assert (message.side, chat.message_json(message)["author"]) == ("patient", "Piotr Mazur")


@pytest.mark.parametrize(
    ("client_id", "text", "code"),
    [
        ("m1", "", "text_empty"),
        ("m1", " \n\t ", "text_empty"),
        ("m1", "x" * 2001, "text_too_long"),
        ("m1", "a\x00b", "text_invalid"),
        ("m1", "a\x1bb", "text_invalid"),
        ("m1", "a\ud800b", "text_invalid"),
        ("m1", 5, "text_invalid"),
        ("", "x", "client_id_invalid"),
        ("a" * 41, "x", "client_id_invalid"),
        ("ą", "x", "client_id_invalid"),
        ("a b", "x", "client_id_invalid"),
        ("a\n", "x", "client_id_invalid"),
        (None, "x", "client_id_invalid"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    cast: Any, room: Consultation, client_id: Any, text: Any, code: str
) -> None:
    assert code_of(lambda: post(cast.user("patient"), room, client_id, text)) == code
    assert not ChatMessage.objects.exists()
    room.refresh_from_db()
    assert room.last_seq == 0


def test_the_longest_message_and_id_are_taken(cast: Any, room: Consultation) -> None:
    message, _ = post(cast.user("patient"), room, "A-z_0" + "9" * 35, "ż" * 2000)
    assert len(message.text) == 2000


def test_only_the_consultations_two_sides_write_and_only_while_it_is_in_progress(cast: Any, room: Consultation) -> None:
    for role in ("other_patient", "clinician_without", "receptionist_here", "coordinator", "admin", "call_centre"):
        assert code_of(lambda role=role: post(cast.user(role), room)) == "consultation_not_found", role
    for status in (Consultation.Status.ENDED, Consultation.Status.LEFT):
        Consultation.objects.filter(pk=room.pk).update(status=status)
        assert code_of(lambda: post(cast.user("patient"), room, "late")) == "not_in_progress"
    assert code_of(
        lambda: chat.chat_post(actor=cast.user("patient"), consultation_id=2**70, client_id="x", text="x")
    ) == ("consultation_not_found")
    assert not ChatMessage.objects.exists()
    room.refresh_from_db()
    assert room.last_seq == 0


def _race(workers: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``workers`` threads released at once; the errors they raised."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait(10)
            work(number)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _threads_share_the_database() -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a database file or PostgreSQL (CARENET_SQLITE_TEST_PATH; make test runs it)")


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_many_writers_at_once_get_numbers_without_gaps_or_duplicates(cast: Any, room: Consultation) -> None:
    _threads_share_the_database()
    patient, clinician = cast.user("patient"), cast.user("clinician_with")

    def write(number: int) -> None:
        for turn in range(3):
            author = patient if number % 2 else clinician
            chat.chat_post(
                actor=author, consultation_id=room.pk, client_id=f"w{number}-{turn}", text=f"{number}/{turn}"
            )

    assert _race(8, write) == []
    seqs = sorted(ChatMessage.objects.filter(consultation=room).values_list("seq", flat=True))
    assert seqs == list(range(1, 25))
    room.refresh_from_db()
    assert room.last_seq == 24


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_same_message_resent_at_once_is_stored_once(cast: Any, room: Consultation) -> None:
    _threads_share_the_database()
    patient = cast.user("patient")
    results: list[tuple[int, bool]] = []

    def resend(number: int) -> None:
        message, created = chat.chat_post(actor=patient, consultation_id=room.pk, client_id="same", text="Halo?")
        results.append((message.pk, created))

    assert _race(6, resend) == []
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    assert list(ChatMessage.objects.values_list("seq", "client_id")) == [(1, "same")]
    # The numbering went on without a gap.
    message, _ = chat.chat_post(actor=patient, consultation_id=room.pk, client_id="next", text="Jest ktoś?")
    assert message.seq == 2


def test_ice_servers_are_the_configured_ones_plus_turn_with_coturn_credentials(settings: Any) -> None:
    now = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    settings.CARENET_ICE_SERVERS = [{"urls": ["stun:stun.carenet.example:3478"]}]
    settings.CARENET_TURN_URLS = []
    settings.CARENET_TURN_SECRET = "turn-secret"
    assert ice_servers(user_id=7, now=now) == [{"urls": ["stun:stun.carenet.example:3478"]}]

    settings.CARENET_TURN_URLS = ["turn:turn.carenet.example:3478?transport=udp", "turns:turn.carenet.example:5349"]
    settings.CARENET_TURN_CREDENTIAL_SECONDS = 3600
    servers = ice_servers(user_id=7, now=now)
    assert servers[0] == {"urls": ["stun:stun.carenet.example:3478"]}
    turn = servers[1]
    expiry = int(now.timestamp()) + 3600
    assert turn["urls"] == settings.CARENET_TURN_URLS
    assert turn["username"] == f"{expiry}:7"
    expected = base64.b64encode(hmac.new(b"turn-secret", f"{expiry}:7".encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    # The configured list is not changed by what a caller does with its copy.
    servers[0]["urls"].append("stun:evil.example")
    assert settings.CARENET_ICE_SERVERS == [{"urls": ["stun:stun.carenet.example:3478"]}]

    settings.CARENET_TURN_SECRET = ""
    assert len(ice_servers(user_id=7, now=clock.now())) == 1
