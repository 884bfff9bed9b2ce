"""The MLLP listener over a real socket (CLN-3, issue 12): every message acknowledged correctly, nothing stored twice,
no crash — malformed frames and segments, wrong types, unknown patients and orders, duplicates, several messages on
one connection, a connection dropped mid-message, huge messages, NUL/emoji, year 9999, bad attachments.

The listener runs in a thread with its own event loop on a free port (port 0) and is stopped after each test; its
database thread sees what the test committed (``transaction=True``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.management import call_command
from django.db import connections

from carenet.api.tests.factories import PatientFactory
from carenet.clinical.tests.factories import NetworkReferralFactory
from carenet.messaging.models import OutboundMessage
from carenet.results import mllp, samples
from carenet.results.models import InboundMessage, Result
from carenet.results.tests.factories import ResultPatientFactory

AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
START, END = b"\x0b", b"\x1c\r"
ROOT = Path(__file__).resolve().parents[3]

live = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener() -> Iterator[int]:
    """A listener on a free port in a thread of its own; stopped (and its port released) after the test."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(mllp.start("127.0.0.1", 0))
        holder["port"] = server.sockets[0].getsockname()[1]
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # The listener's database thread lets go of its connection (PostgreSQL drops the test database after).
        loop.run_until_complete(sync_to_async(connections.close_all, thread_sensitive=True)())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    yield holder["port"]  # type: ignore[misc]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    assert not thread.is_alive()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    return sock


def read_ack(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(END):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(START) and data.endswith(END), data[:200]
    return data[1:-2].decode("utf-8")


def exchange(port: int, *messages: str | bytes) -> list[str]:
    with connect(port) as sock:
        answers = []
        for message in messages:
            body = message.encode("utf-8") if isinstance(message, str) else message
            sock.sendall(START + body + END)
            answers.append(read_ack(sock))
        return answers


def msa(ack: str) -> list[str]:
    return next(line for line in ack.split("\r") if line.startswith("MSA")).split("|")


def oru(patient, *orders: samples.SampleOrder, control_id: str = "M1", **overrides) -> str:
    fields = {
        "pesel": patient.pesel,
        "family_name": patient.last_name,
        "given_name": patient.first_name,
        "orders": list(orders) or [samples.SampleOrder(panel="morfologia")],
        "at": AT,
        "control_id": control_id,
    }
    return samples.oru_message(**(fields | overrides))


@live
def test_two_messages_on_one_connection_are_acknowledged_in_order_and_a_resend_changes_nothing(listener: int) -> None:
    patient = ResultPatientFactory()
    first = oru(patient, samples.SampleOrder(panel="tsh", values={"3016-3": Decimal("6.1")}), control_id="A1")
    second = oru(patient, samples.SampleOrder(panel="glukoza"), control_id="A2")
    answers = exchange(listener, first, second)
    assert [msa(ack)[1:3] for ack in answers] == [["AA", "A1"], ["AA", "A2"]]
    assert all(ack.startswith("MSH|^~\\&|CARENET|CARENET|ALAB|ALAB-WAW") for ack in answers)
    again = exchange(listener, first)
    assert again == answers[:1]
    assert InboundMessage.objects.count() == 2 and Result.objects.count() == 2
    assert Result.objects.get(code="3016-3").observations.get().abnormal_flag == "H"


@live
def test_a_connection_dropped_mid_message_stores_nothing_and_the_server_goes_on(listener: int) -> None:
    patient = ResultPatientFactory()
    text = oru(patient, control_id="DROP").encode()
    with connect(listener) as sock:
        sock.sendall(START + text[: len(text) // 2])
    ack = exchange(listener, oru(patient, control_id="AFTER"))[0]
    assert msa(ack)[1:3] == ["AA", "AFTER"]
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["AFTER"]


@live
def test_a_frame_without_its_start_byte_is_refused_and_other_connections_are_unaffected(listener: int) -> None:
    patient = ResultPatientFactory()
    with connect(listener) as other, connect(listener) as bad:
        bad.sendall(b"MSH|^~\\&|no start block" + END)
        assert msa(read_ack(bad))[1] == "AR"
        assert bad.recv(10) == b""  # closed after the refusal
        other.sendall(START + oru(patient).encode() + END)
        assert msa(read_ack(other))[1:3] == ["AA", "M1"]


@live
@pytest.mark.parametrize(
    ("body", "code", "control_id"),
    [
        (b"\x00\x01garbage \xff\xfe not HL7", "AR", ""),
        (b"PID|1||85051700017^^^^PESEL\rOBX|1|NM|x||1", "AR", ""),
        (b"MSH|^~\\&|LAB|ALAB|CARENET|CARENET|20261120||ADT^A01^ADT_A01|T1|P|2.5\rPID|1", "AR", "T1"),
        (b"MSH|^~\\&|LAB|ALAB|CARENET|CARENET|20261120||ORU^R01|T2|P|2.5\rPID|1\rOBX|1|NM|a||1", "AR", "T2"),
        (b"MSH|^~\\&|LAB|ALAB|CARENET|CARENET|20261120||ORU^R01|T3|P|2.5\rPID|1|||\rOBR|1||L1|x^y||||\xc5", "AE", "T3"),
        (b"MSH|^~\\&|LAB|ALAB|||99991231235959||ORU^R01|T4|P|2.5\rPID|1||85051700017^^^^PESEL\rOBR|1", "AR", "T4"),
        (b"MSH|^~\\&|LAB|ALAB|||2026||ORU|T5|P|2.5", "AR", "T5"),
        (b"MSH", "AR", ""),
        (b"", "AR", ""),
    ],
)
def test_malformed_and_unsupported_messages_are_acknowledged_and_never_crash_the_server(
    listener: int, body: bytes, code: str, control_id: str
) -> None:
    ack = exchange(listener, body)[0]
    assert msa(ack)[1:3] == [code, control_id]
    assert not Result.objects.exists()
    # …and the listener still answers.
    assert msa(exchange(listener, b"MSH|^~\\&|LAB|ALAB|||2026||ADT^A01|Z9|P|2.5")[0])[1:3] == ["AR", "Z9"]


@live
def test_an_unknown_patient_or_order_is_answered_ae_and_kept_for_review(listener: int) -> None:
    patient = ResultPatientFactory()
    stranger_referral = NetworkReferralFactory(patient=ResultPatientFactory())
    ghost = PatientFactory.build(pesel="44051401458", last_name="Nieznany", first_name="Jan")
    answers = exchange(
        listener,
        oru(ghost, control_id="U1"),
        oru(patient, samples.SampleOrder(placer_order_number=f"CN{stranger_referral.pk}"), control_id="U2"),
    )
    assert [msa(ack)[1:3] for ack in answers] == [["AE", "U1"], ["AE", "U2"]]
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"review"}
    assert not Result.objects.exists() and not OutboundMessage.objects.exists()


@live
def test_nul_emoji_invalid_utf8_and_year_9999_over_the_socket(listener: int) -> None:
    patient = ResultPatientFactory()
    nul_emoji = oru(patient, control_id="N1").replace("Leukocyty (WBC)", "Leukocyty \x00🧪")
    year_9999 = oru(patient, control_id="N2").replace("|20261120", "|99991120")
    latin2 = oru(patient, samples.SampleOrder(filler_order_number="L3"), control_id="N3").encode("utf-8")
    latin2 = latin2.replace("Płytki".encode(), b"P\xb3ytki")
    answers = exchange(listener, nul_emoji, year_9999, latin2)
    assert [msa(ack)[1:3] for ack in answers] == [["AA", "N1"], ["AR", "N2"], ["AA", "N3"]]
    assert "1900" in msa(answers[1])[3]
    assert Result.objects.count() == 2
    assert Result.objects.get(message__control_id="N1").observations.filter(name="Leukocyty 🧪").exists()
    assert "\x00" not in InboundMessage.objects.get(control_id="N1").raw


@live
def test_an_attachment_that_is_not_a_pdf_is_left_out(listener: int) -> None:
    patient = ResultPatientFactory()
    fake = base64.b64encode(b"MZ\x90\x00 an executable").decode()
    text = oru(patient).rstrip("\r") + f"\rOBX|9|ED|PDF^Raport||^application^pdf^Base64^{fake}||||||F\r"
    ack = exchange(listener, text)[0]
    assert msa(ack)[1] == "AA" and "PDF" in msa(ack)[3]
    assert not Result.objects.get().pdf


@live
def test_huge_messages_are_refused_ar(listener: int) -> None:
    patient = ResultPatientFactory()
    big = oru(patient, control_id="BIG") + "NTE|1||" + "x" * (mllp.results_hl7.MAX_MESSAGE_CHARS + 10) + "\r"
    assert msa(exchange(listener, big)[0])[1:3] == ["AR", "BIG"]
    assert len(InboundMessage.objects.get(control_id="BIG").raw) < 70_000
    # Beyond what the stream holds: refused without reading further, the connection closed, the server unharmed.
    with connect(listener) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(START + b"MSH|^~\\&|X|Y|||2026||ORU^R01|HUGE|P|2.5\rNTE|1||" + b"y" * (mllp.STREAM_LIMIT + 10))
        # The refusal may be lost to the reset of a connection closed with unread data.
        with contextlib.suppress(ConnectionResetError):
            assert msa(read_ack(sock))[1] == "AR"
    assert msa(exchange(listener, oru(patient, control_id="OK"))[0])[1:3] == ["AA", "OK"]
    assert not InboundMessage.objects.filter(control_id="HUGE").exists()


@live
def test_concurrent_connections_are_all_answered(listener: int) -> None:
    patient = ResultPatientFactory()
    results: dict[int, str] = {}

    def send(number: int) -> None:
        text = oru(patient, samples.SampleOrder(panel="tsh", filler_order_number=f"L{number}"), control_id=f"C{number}")
        results[number] = exchange(listener, text)[0]

    threads = [threading.Thread(target=send, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(msa(ack)[2] for ack in results.values()) == [f"C{n}" for n in range(6)]
    assert Result.objects.count() == 6


@pytest.mark.django_db
def test_the_in_process_listener_shares_the_callers_transaction() -> None:
    """What the demo does: a listener started and stopped around the messages, inside the caller's transaction."""
    patient = ResultPatientFactory()
    answers = async_to_sync(mllp.serve_and_send)([oru(patient, control_id="D1"), oru(patient, control_id="D1")])
    assert [msa(ack)[1:3] for ack in answers] == [["AA", "D1"], ["AA", "D1"]]
    assert InboundMessage.objects.count() == 1


@live
def test_the_sample_command_sends_a_panel_and_prints_the_ack(listener: int) -> None:
    patient = ResultPatientFactory()
    out = StringIO()
    call_command("results_send_sample", "--port", str(listener), "--pesel", patient.pesel, stdout=out)
    assert "MSA|AA|" in out.getvalue()
    assert Result.objects.filter(patient=patient).count() == 4
    call_command(
        "results_send_sample", "--port", str(listener), "--pesel", patient.pesel, "--kind", "imaging", stdout=out
    )
    imaging = Result.objects.get(patient=patient, kind="imaging")
    assert imaging.pdf and imaging.report_text


def test_the_listen_command_serves_until_stopped() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "results_listen", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert "MLLP listener on 127.0.0.1:" in line, (
            line,
            process.stderr.read() if process.poll() is not None else "",
        )  # type: ignore[union-attr]
        port = int(line.rsplit(":", 1)[1])
        ack = exchange(port, b"not hl7")[0]
        assert msa(ack)[1] == "AR"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
