"""The reply-handler registry (SMS-2, CXL-2): the first matching handler acts, inside the inbound transaction."""

from __future__ import annotations

import pytest

from carenet.core import clock
from carenet.messaging import inbound
from carenet.messaging.models import InboundMessage, LocalSms, OutboundMessage
from carenet.messaging.policies import ReplyKind
from carenet.messaging.services import inbound_receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_registry")]


def receive(text: str, msg_id: str = "1") -> InboundMessage:
    return inbound_receive(
        provider="smsapi",
        provider_message_id=msg_id,
        sender="48500100200",
        recipient="48799000000",
        text=text,
        received_at=clock.now(),
    )


def test_registered_handler_takes_matching_replies() -> None:
    seen: list[inbound.InboundContext] = []

    def handle_no(context: inbound.InboundContext) -> inbound.HandlerResult:
        seen.append(context)
        return inbound.HandlerResult(outcome="cancelled", replies=["CareNet: wizyta odwołana.", "Do zobaczenia."])

    inbound.register("cancel", lambda c: c.reply.kind == ReplyKind.NO, handle_no)
    message = receive(" Nie, dziękuję")
    assert message.handler == "cancel"
    assert message.outcome == "cancelled"
    assert message.handled_at is not None
    assert seen[0].sender == "+48500100200"
    replies = OutboundMessage.objects.order_by("key")
    assert [r.key for r in replies] == [f"reply:{message.pk}", f"reply:{message.pk}:1"]
    assert receive("TAK", msg_id="2").handler == inbound.FALLBACK


def test_priority_decides_between_matching_handlers() -> None:
    inbound.register("late", lambda c: True, lambda c: inbound.HandlerResult(outcome="late"), priority=50)
    inbound.register("early", lambda c: True, lambda c: inbound.HandlerResult(outcome="early"), priority=10)
    assert receive("TAK").handler == "early"


def test_failing_handler_is_rolled_back_and_patient_gets_a_polite_answer() -> None:
    def broken(context: inbound.InboundContext) -> inbound.HandlerResult:
        LocalSms.objects.create(idx="written-by-handler", phone="+48500100200", text="x", direction="out")
        raise RuntimeError("bug")

    inbound.register("broken", lambda c: True, broken)
    message = receive("TAK")
    assert message.handler == "broken"
    assert message.outcome == "error: RuntimeError"
    assert not LocalSms.objects.filter(idx="written-by-handler").exists()
    [reply] = OutboundMessage.objects.all()
    assert "infolinię" in reply.body
