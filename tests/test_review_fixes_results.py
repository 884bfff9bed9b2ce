"""Holes found by attacking results (CLN-3, CLN-6, issue 12): each test failed before its fix."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.messaging.models import OutboundMessage
from carenet.results import samples, services
from carenet.results.models import InboundMessage, Result
from carenet.results.tests.factories import ResultPatientFactory

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
