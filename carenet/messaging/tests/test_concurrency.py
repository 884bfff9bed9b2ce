"""SMS-3 and REL under real concurrency on PostgreSQL: disjoint claims, a repeated webhook racing itself."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from carenet.core import clock
from carenet.core.testing import run_in_threads
from carenet.messaging.backends import SendResult
from carenet.messaging.models import InboundMessage, OutboundMessage
from carenet.messaging.services import inbound_receive, outbox_dispatch_due, outbox_enqueue

from .conftest import RecordingBackend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowRecordingBackend(RecordingBackend):
    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        time.sleep(0.001)  # let the workers overlap
        return super().send(to=to, text=text, idempotency_key=idempotency_key)


def test_concurrent_dispatchers_never_send_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = SlowRecordingBackend()
    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: backend)
    with transaction.atomic():
        for number in range(300):
            outbox_enqueue(key=f"k:{number}", purpose="test", channel="sms", recipient=f"50{number:07d}", body="x")
    claims: list[int] = []

    def worker() -> None:
        while claimed := outbox_dispatch_due(batch_size=7):
            claims.append(claimed)

    errors = run_in_threads(6, lambda _: worker())
    assert not errors
    counts = backend.counts()
    assert len(counts) == 300
    assert set(counts.values()) == {1}
    assert sum(claims) == 300
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 300


def test_the_same_inbound_racing_itself_acts_once() -> None:
    def deliver() -> None:
        inbound_receive(
            provider="smsapi",
            provider_message_id="MO-race",
            sender="48500100200",
            recipient="48799000000",
            text="co?",
            received_at=clock.now(),
        )

    errors = run_in_threads(5, lambda _: deliver())
    assert not errors
    assert InboundMessage.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
