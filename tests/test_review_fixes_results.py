"""Holes found by attacking results (CLN-3, CLN-6, issue 12): each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
from django.urls import reverse

from carenet.messaging.models import OutboundMessage
from carenet.results import mllp, samples, services
from carenet.results.models import InboundMessage, Observation, Result
from carenet.results.tests.factories import ResultPatientFactory
from carenet.results.tests.test_mllp import END, START, connect, listener, msa, read_ack
from tests.cast import RESULT_PDF, build_cast, with_collection

__all__ = ["listener"]  # the listener fixture, shared with the listener's own tests

AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def oru(patient, *orders: samples.SampleOrder, control_id: str = "M1") -> str:
    return samples.oru_message(
        pesel=patient.pesel,
        family_name=patient.last_name,
        given_name=patient.first_name,
        orders=list(orders) or [samples.SampleOrder(panel="tsh")],
        at=AT,
        control_id=control_id,
    )


def _body(text: str) -> list[str]:
    """The segments after MSH: one patient's PID and their orders."""
    return [segment for segment in text.split("\r") if segment and not segment.startswith("MSH")]


def test_a_message_with_a_second_patient_files_nothing_for_either() -> None:
    """ORU^R01 allows several PATIENT_RESULT groups, each under its own PID: the second patient's results were
    filed in the first patient's record (and announced to the first patient by SMS)."""
    anna, jan = ResultPatientFactory(), ResultPatientFactory()
    first = oru(anna, control_id="TWO")
    second = oru(jan, samples.SampleOrder(panel="glukoza", filler_order_number="JAN-1"), control_id="X")
    text = first.rstrip("\r") + "\r" + "\r".join(_body(second))

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AR"
    assert "more than one patient" in ack.text or "więcej niż jednego pacjenta" in ack.text
    assert not Result.objects.exists() and not OutboundMessage.objects.exists()
    assert InboundMessage.objects.get().state == InboundMessage.State.REJECTED


def test_the_same_patient_repeated_in_a_second_group_is_still_filed() -> None:
    anna = ResultPatientFactory()
    first = oru(anna, control_id="SAME")
    again = oru(anna, samples.SampleOrder(panel="glukoza", filler_order_number="ANNA-2"), control_id="X")
    text = first.rstrip("\r") + "\r" + "\r".join(_body(again))

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AA"
    assert sorted(Result.objects.values_list("patient_id", "name")) == [
        (anna.pk, "Glukoza na czczo"),
        (anna.pk, "TSH"),
    ]


def test_a_nul_written_as_an_hl7_hex_escape_is_not_stored() -> None:
    """``\\X00\\`` unescapes to a NUL: SQLite stored it in the result, PostgreSQL refused the whole message (the lab
    got "internal error, send it again" for ever and the back office never saw it)."""
    anna = ResultPatientFactory()
    text = oru(anna, control_id="NUL").replace("TSH", "TS\\X00\\H\\X1B\\")
    text = text.replace("\rOBX|", "\rNTE|1||uwaga\\X00\\!\rOBX|", 1)

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AA"
    result = Result.objects.get()
    observation = Observation.objects.get()
    stored = [result.name, result.code, result.report_text, observation.name, observation.value]
    stored += [InboundMessage.objects.get().raw, InboundMessage.objects.get().patient_name]
    assert result.name == "TSH"
    assert not any("\x00" in value or "\x1b" in value for value in stored)


@pytest.mark.parametrize("filler", ["^&" * 150_000, "\rZZZ|" * 150_000, "~" * 300_000])
def test_a_message_of_delimiters_is_refused_before_it_is_parsed(filler: str) -> None:
    """Under the 12 MB limit, 2 MB of ``^&`` took python-hl7 5 s and 470 MB (12 MB: gigabytes and half a minute of
    the listener's one database thread): the message is refused AR before the library builds its tree."""
    anna = ResultPatientFactory()
    text = oru(anna, control_id="BOMB").replace("\rPID|1||", f"\rPID|1||{filler}", 1)

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AR" and ack.text.endswith("(delimiters)")
    assert not Result.objects.exists()


def test_a_real_message_with_a_large_pdf_is_not_counted_as_delimiters() -> None:
    anna = ResultPatientFactory()
    text = oru(anna, samples.SampleOrder(panel="morfologia", with_pdf=True), control_id="PDF")
    assert services.message_receive(text, now=AT).code == "AA"
    assert Result.objects.get().pdf


@pytest.mark.django_db(transaction=True)
def test_connections_beyond_the_limit_are_closed_and_the_listener_goes_on(listener: int, monkeypatch) -> None:
    """Any number of connections were served at once, each holding a file descriptor for 5 minutes of silence and up
    to 13 MB of a frame: a few hundred idle or slow clients exhausted the listener."""
    monkeypatch.setattr(mllp, "MAX_CONNECTIONS", 2)
    anna = ResultPatientFactory()
    first, second = connect(listener), connect(listener)
    try:
        for number, sock in enumerate((first, second)):
            sock.sendall(START + oru(anna, control_id=f"K{number}").encode() + END)
            assert msa(read_ack(sock))[1] == "AA"  # both are being served
        with connect(listener) as third:
            third.settimeout(5)
            assert third.recv(1024) == b""  # closed by the listener at once
    finally:
        first.close()
    for _attempt in range(50):  # the listener notices the first one closed
        with connect(listener) as fourth:
            fourth.settimeout(5)
            try:
                fourth.sendall(START + oru(anna, control_id="K9").encode() + END)
                answer = fourth.recv(65536)
            except OSError:
                answer = b""
        if answer:
            break
        time.sleep(0.1)
    assert b"MSA|AA|K9" in answer
    second.close()


def test_the_desk_prints_a_result_for_the_patient_in_person_only_after_checking_them() -> None:
    """``?in_person=1`` printed any result of any patient without a check: a person authorised for imaging only got
    the laboratory report, after the revocation too, by changing the printout's link."""
    cast = with_collection(build_cast())
    result, ewa = cast.collection_result, cast.collection_authorisation
    assert result is not None and ewa is not None
    ewa.scope = "imaging"  # Ewa may collect imaging reports only; the result is a laboratory one
    ewa.save()
    desk = cast.client("receptionist_here")
    pdf = reverse("staff:collection_result_pdf", args=[cast.patient.pk, result.pk])

    assert desk.get(pdf, {"authorisation": ewa.pk}).status_code == 404
    assert desk.get(pdf, {"in_person": "1"}).status_code == 404
    assert desk.get(pdf, {"in_person": "1", "authorisation": ewa.pk}).status_code == 404

    # The patient in person, identity document checked: the page's link prints, for this desk user only.
    check = desk.post(
        reverse("staff:collection_check", args=[cast.patient.pk]), {"who": "in_person", "id_checked": "on"}
    )
    link = re.search(rf'href="({re.escape(pdf)}\?in_person=[^"]+)"', check.content.decode())
    assert link is not None
    answer = desk.get(html.unescape(link.group(1)))
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == RESULT_PDF  # type: ignore[attr-defined]
    assert cast.client("receptionist_elsewhere").get(html.unescape(link.group(1))).status_code == 404
    other = reverse("staff:collection_result_pdf", args=[cast.other_patient.pk, result.pk])
    token = html.unescape(link.group(1)).split("in_person=", 1)[1]
    assert desk.get(other, {"in_person": token}).status_code == 404


def test_a_message_naming_two_pesels_is_kept_for_review_not_filed_for_the_first() -> None:
    """PID-3 with two PESEL repetitions (a child's and the parent's, who share a family name): the results were filed
    for whichever came first."""
    mother = ResultPatientFactory(last_name="Kowalska")
    child = ResultPatientFactory(last_name="Kowalska")
    text = oru(mother, control_id="TWINPESEL").replace(
        f"PID|1||{mother.pesel}^", f"PID|1||{mother.pesel}^^^^PESEL~{child.pesel}^", 1
    )

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AE"
    assert not Result.objects.exists() and not OutboundMessage.objects.exists()
    assert InboundMessage.objects.get().state == InboundMessage.State.REVIEW


@pytest.mark.parametrize("encoding", ["0~\\&", "^~A&", "^ \\&", "^^~\\", "^.~\\&"])
def test_letters_or_digits_as_delimiters_get_a_readable_ar(encoding: str) -> None:
    """MSH-2 ``0~\\&`` made ``0`` the component separator: the ACK copied it (``MSH|0~\\&|``, message type
    ``ACK01^ORU_R0ACK``), an answer the laboratory cannot read."""
    anna = ResultPatientFactory()
    text = oru(anna, control_id="ENC").replace("MSH|^~\\&|", f"MSH|{encoding}|", 1)

    ack = services.message_receive(text, now=AT)

    assert ack.code == "AR" and not Result.objects.exists()
    header = ack.message.split("\r", 1)[0].split("|")
    assert header[1] == "^~\\&" and header[8].startswith("ACK")


def test_a_cancelled_exam_files_no_result_and_sends_no_sms() -> None:
    """OBR-25 X: the laboratory could not do the exam — no empty result, no "your results are ready"; a finished exam
    in the same message is still filed."""
    patient = ResultPatientFactory()
    text = oru(
        patient,
        samples.SampleOrder(panel="tsh", status="X", filler_order_number="L-X1"),
        samples.SampleOrder(panel="glukoza", filler_order_number="L-F1"),
    )
    ack = services.message_receive(text, now=AT)
    assert ack.code == "AA" and "L-X1" in ack.text  # the note names the cancelled exam
    assert list(Result.objects.values_list("filler_order_number", flat=True)) == ["L-F1"]
    assert OutboundMessage.objects.filter(patient=patient).count() == 1
    only_cancelled = oru(patient, samples.SampleOrder(panel="tsh", status="X"), control_id="M2")
    assert services.message_receive(only_cancelled, now=AT).code == "AA"
    assert Result.objects.count() == 1 and OutboundMessage.objects.filter(patient=patient).count() == 1
