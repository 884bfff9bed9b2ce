"""SMS-3: the outbox — enqueue once per key, dispatch with retries, leases, delivery reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from carenet.core import clock
from carenet.messaging.backends import SendResult
from carenet.messaging.models import Channel, OutboundMessage
from carenet.messaging.policies import DeliveryOutcome
from carenet.messaging.services import delivery_report_receive, outbox_dispatch_due, outbox_enqueue

from .conftest import RecordingBackend

pytestmark = pytest.mark.django_db
Status = OutboundMessage.Status


def enqueue(number: int = 1, **overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "key": f"booking-confirmation:appointment:{number}",
        "purpose": "booking-confirmation",
        "channel": Channel.SMS,
        "recipient": "500 100 200",
        "body": "CareNet: wizyta potwierdzona. Aby odwołać, odpowiedz NIE.",
    }
    fields.update(overrides)
    return outbox_enqueue(**fields)  # type: ignore[arg-type]


def test_enqueue_is_idempotent_by_key() -> None:
    first = enqueue()
    second = enqueue(body="a different text")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1
    assert second.body.startswith("CareNet: wizyta")
    assert first.recipient == "+48500100200"
    assert first.status == Status.PENDING


def test_enqueue_writes_in_one_statement_the_row_save_would_write() -> None:
    """Issue 16: a new key is one INSERT … ON CONFLICT DO NOTHING (no savepoint of its own), a known key that
    INSERT and a read; the stored row is what ``save()`` wrote: every column, the creation time included."""
    with CaptureQueriesContext(connection) as new:
        message = enqueue(secret="NIE", secret_expires_at=clock.now() + dt.timedelta(hours=1))
    assert [q["sql"].split()[0] for q in new.captured_queries][:1] == ["INSERT"]
    assert not any("SAVEPOINT" in q["sql"] for q in new.captured_queries)
    with CaptureQueriesContext(connection) as known:
        again = enqueue(body="another text")
    assert [q["sql"].split()[0] for q in known.captured_queries] == ["INSERT", "SELECT"]
    assert again.pk == message.pk and not message._state.adding
    stored = OutboundMessage.objects.values().get(pk=message.pk)
    saved = OutboundMessage(**{**stored, "id": None, "key": "saved"})
    saved.save(force_insert=True)
    as_saved = OutboundMessage.objects.values().get(pk=saved.pk)
    for column in ("id", "key", "created_at", "next_attempt_at", "secret_expires_at"):
        stored.pop(column), as_saved.pop(column)
    assert stored == as_saved
    assert message.created_at is not None and message.secret_start is not None


def test_enqueue_tells_a_receiver_of_the_outbox_of_every_new_message() -> None:
    """The one-statement insert sends no signals: once something listens to the outbox (an audit log registered
    later), the message is saved as before — the receiver hears the new row once, and a known key is still the
    message already there."""
    from django.db.models.signals import post_save

    heard: list[tuple[int, bool]] = []

    def receiver(sender: type[OutboundMessage], instance: OutboundMessage, created: bool, **_kwargs: object) -> None:
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=OutboundMessage, dispatch_uid="test-outbox-listener")
    try:
        message = enqueue()
        again = enqueue(body="another text")
    finally:
        post_save.disconnect(sender=OutboundMessage, dispatch_uid="test-outbox-listener")
    assert heard == [(message.pk, True)]
    assert again.pk == message.pk and OutboundMessage.objects.count() == 1


def test_enqueue_with_a_receiver_still_refuses_a_row_the_database_refuses() -> None:
    """Saved the normal way (something listens to the outbox), a row refused for another reason than its key (a
    body left NULL) is still an IntegrityError, never taken for a message already there."""
    from django.db.models.signals import post_save

    post_save.connect(lambda **_kwargs: None, sender=OutboundMessage, weak=False, dispatch_uid="test-outbox-null")
    try:
        with pytest.raises(IntegrityError), transaction.atomic():
            enqueue(body=None)
    finally:
        post_save.disconnect(sender=OutboundMessage, dispatch_uid="test-outbox-null")
    assert not OutboundMessage.objects.exists()


def test_enqueue_refuses_a_row_the_database_refuses() -> None:
    """Not the key: a row the database will not take (here a body left NULL) is an IntegrityError, as before."""
    with pytest.raises(IntegrityError), transaction.atomic():
        enqueue(body=None)
    assert not OutboundMessage.objects.exists()


def test_enqueue_with_an_invalid_number_is_recorded_as_failed_not_raised() -> None:
    message = enqueue(recipient="12")
    assert message.status == Status.FAILED
    assert "phone" in message.last_error


def test_rolled_back_transaction_leaves_no_message() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("booking failed")
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_dispatch_hint_per_transaction() -> None:
    with transaction.atomic():
        for number in range(5):
            enqueue(number)
    assert DBTaskResult.objects.filter(task_path="carenet.messaging.tasks.dispatch_outbox").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_hint_waiting_in_the_queue_is_not_written_again() -> None:
    """A hint not started yet will claim every message committed before it starts: later transactions add none
    (B3: an INSERT and a commit per booking saved). Once a worker has started it, the next message writes a new one,
    so no message waits for the periodic sweep."""
    hints = DBTaskResult.objects.filter(task_path="carenet.messaging.tasks.dispatch_outbox")
    for number in range(3):
        with transaction.atomic():
            enqueue(number)
    assert hints.count() == 1
    hints.update(status="RUNNING")
    with transaction.atomic():
        enqueue(10)
    assert hints.count() == 2
    assert hints.filter(status="READY").count() == 1


def test_dispatch_sends_each_due_message_once(recording_backend: RecordingBackend) -> None:
    for number in range(3):
        enqueue(number)
    assert outbox_dispatch_due() == 3
    assert outbox_dispatch_due() == 0
    assert recording_backend.counts() == {f"booking-confirmation:appointment:{n}": 1 for n in range(3)}
    message = OutboundMessage.objects.get(key="booking-confirmation:appointment:0")
    assert message.status == Status.SENT
    assert message.provider == "recording"
    assert message.provider_message_id.startswith("R")
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.lease_until is None


def test_send_after_is_respected(recording_backend: RecordingBackend) -> None:
    now = clock.now()
    enqueue(send_after=now + dt.timedelta(hours=1))
    assert outbox_dispatch_due(now=now) == 0
    assert outbox_dispatch_due(now=now + dt.timedelta(hours=1, seconds=1)) == 1
    assert len(recording_backend.sent) == 1


@override_settings(CARENET_OUTBOX_RETRY_BASE_SECONDS=30, CARENET_OUTBOX_RETRY_MAX_SECONDS=3600)
def test_transient_failure_backs_off_then_sends_once(recording_backend: RecordingBackend) -> None:
    message = enqueue()
    recording_backend.transient_failures[message.key] = 2
    now = clock.now()
    assert outbox_dispatch_due(now=now) == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert message.last_error == "gateway busy"
    assert now + dt.timedelta(seconds=22) <= message.next_attempt_at <= now + dt.timedelta(seconds=38)
    # Not due before the backoff runs out.
    assert outbox_dispatch_due(now=now + dt.timedelta(seconds=10)) == 0
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    assert outbox_dispatch_due(now=later) == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at >= later + dt.timedelta(seconds=45)  # second retry waits about twice as long
    assert outbox_dispatch_due(now=message.next_attempt_at) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 3
    assert recording_backend.counts()[message.key] == 1


@override_settings(CARENET_OUTBOX_MAX_ATTEMPTS=3, CARENET_OUTBOX_RETRY_BASE_SECONDS=1)
def test_transient_failures_give_up_after_max_attempts(recording_backend: RecordingBackend) -> None:
    message = enqueue()
    recording_backend.transient_failures[message.key] = 99
    moment = clock.now()
    for _ in range(5):
        outbox_dispatch_due(now=moment)
        moment += dt.timedelta(hours=1)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert not recording_backend.sent


def test_permanent_failure_fails_at_once(recording_backend: RecordingBackend) -> None:
    message = enqueue()
    recording_backend.permanent_failures.add(message.key)
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error == "invalid number"
    assert message.attempts == 1
    assert outbox_dispatch_due(now=clock.now() + dt.timedelta(days=1)) == 0


def test_unexpected_backend_error_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        name = "broken"

        def send(self, **kwargs: object) -> None:
            raise KeyError("bug")

    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", Broken)
    message = enqueue()
    outbox_dispatch_due()
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert "KeyError" in message.last_error


@override_settings(CARENET_OUTBOX_LEASE_SECONDS=60)
def test_expired_lease_is_claimed_again(recording_backend: RecordingBackend) -> None:
    message = enqueue()
    now = clock.now()
    # A worker claimed it and died before recording the outcome.
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, attempts=1, lease_until=now + dt.timedelta(seconds=60)
    )
    assert outbox_dispatch_due(now=now + dt.timedelta(seconds=30)) == 0  # still leased
    assert outbox_dispatch_due(now=now + dt.timedelta(seconds=61)) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert recording_backend.counts()[message.key] == 1


@override_settings(CARENET_OUTBOX_MAX_ATTEMPTS=3)
def test_a_message_that_keeps_killing_workers_is_failed(recording_backend: RecordingBackend) -> None:
    message = enqueue()
    now = clock.now()
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENDING, attempts=3, lease_until=now)
    assert outbox_dispatch_due(now=now + dt.timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert not recording_backend.sent


def test_late_outcome_of_a_stale_worker_does_not_clobber_a_newer_claim(recording_backend: RecordingBackend) -> None:
    from carenet.messaging import services

    message = enqueue()
    claimed, _ = services._claim_due(batch_size=10, now=clock.now())
    assert [m.pk for m in claimed] == [message.pk]
    # Another worker re-claimed it after the lease expired (attempt 2) …
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=2)
    # … so the first worker's transient failure must not put it back to pending.
    services._mark_retry(claimed[0], error="timeout", now=None)
    message.refresh_from_db()
    assert message.status == Status.SENDING


def test_email_channel_uses_django_mail() -> None:
    enqueue(
        key="first-password:patient:7",
        purpose="first-password",
        channel=Channel.EMAIL,
        recipient="anna@example.com",
        subject="CareNet",
        body="Witamy w CareNet.",
    )
    assert outbox_dispatch_due() == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["anna@example.com"]
    assert sent.extra_headers["Message-ID"].startswith("<")
    message = OutboundMessage.objects.get(key="first-password:patient:7")
    assert message.status == Status.SENT
    assert message.provider == "email"


def test_a_batch_is_recorded_sent_with_one_update(recording_backend: RecordingBackend) -> None:
    """B5: what the gateway took is written once per batch, not a transaction per message; each row keeps its own
    provider id."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(6):
        enqueue(number)
    with CaptureQueriesContext(connection) as captured:
        assert outbox_dispatch_due(batch_size=10) == 6
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('UPDATE "messaging_outboundmessage"')]
    assert len(updates) == 2  # the lease, then "sent" for all six
    rows = list(OutboundMessage.objects.order_by("id"))
    assert {row.status for row in rows} == {Status.SENT}
    assert [row.provider_message_id for row in rows] == [f"R{n}" for n in range(1, 7)]
    assert all(row.lease_until is None and row.sent_at is not None for row in rows)


def test_a_report_that_arrives_during_the_batch_is_not_overwritten(recording_backend: RecordingBackend) -> None:
    """A delivery report recorded while the batch is still sending (by our key) wins over the batch's "sent"."""
    first, second = enqueue(1), enqueue(2)
    original = recording_backend.send

    def send_and_report(*, to: str, text: str, idempotency_key: str) -> object:
        result = original(to=to, text=text, idempotency_key=idempotency_key)
        if idempotency_key == second.key:
            delivery_report_receive(provider="smsapi", outcome=DeliveryOutcome.DELIVERED, idempotency_key=first.key)
        return result

    recording_backend.send = send_and_report  # type: ignore[method-assign,assignment]
    assert outbox_dispatch_due() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.DELIVERED, Status.SENT)
    assert (first.provider, first.lease_until) == ("recording", None)
    assert first.sent_at is not None


def _status_seen_while_sending_the_second(monkeypatch: pytest.MonkeyPatch, first: OutboundMessage) -> list[str]:
    """Sends through a backend that, when asked for the second message, notes the first one's status in the database."""
    seen: list[str] = []

    def send(*, to: str, text: str = "", idempotency_key: str, **_: object) -> SendResult:
        if idempotency_key != first.key:
            seen.append(OutboundMessage.objects.get(pk=first.pk).status)
        return SendResult(provider_message_id=f"id-{idempotency_key}", status="QUEUE")

    class Backend:
        name = "recording"

        def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
            return send(to=to, text=text, idempotency_key=idempotency_key)

    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: Backend())
    monkeypatch.setattr("carenet.messaging.services.send_email", send)
    return seen


def test_an_email_is_recorded_sent_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """SMS-3: a mail server does not refuse a repeated message, so an e-mail is recorded sent before the next one
    goes: a worker killed mid-batch must not leave it to be sent again after the lease."""
    fields = {"channel": Channel.EMAIL, "recipient": "anna@example.com", "subject": "CareNet"}
    first = enqueue(1, **fields)
    enqueue(2, **fields)
    seen = _status_seen_while_sending_the_second(monkeypatch, first)
    assert outbox_dispatch_due() == 2
    assert seen == [Status.SENT]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@override_settings(CARENET_OUTBOX_LEASE_SECONDS=0)
def test_sms_are_recorded_before_half_the_lease_has_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow gateway must not let the lease expire on SMS already sent (another worker would take them over):
    past half the lease, what was sent is recorded before the next message."""
    first = enqueue(1)
    enqueue(2)
    seen = _status_seen_while_sending_the_second(monkeypatch, first)
    assert outbox_dispatch_due() == 2
    assert seen == [Status.SENT]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_delivery_report_by_key_and_by_provider_id(recording_backend: RecordingBackend) -> None:
    first, second = enqueue(1), enqueue(2)
    outbox_dispatch_due()
    second.refresh_from_db()
    assert delivery_report_receive(provider="smsapi", outcome=DeliveryOutcome.DELIVERED, idempotency_key=first.key) == 1
    assert delivery_report_receive(provider="smsapi", outcome=DeliveryOutcome.DELIVERED, idempotency_key=first.key) == 0
    assert (
        delivery_report_receive(
            provider="recording", outcome=DeliveryOutcome.UNDELIVERED, provider_message_id=second.provider_message_id
        )
        == 1
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.DELIVERED
    assert first.delivered_at is not None
    assert second.status == Status.UNDELIVERED
    assert delivery_report_receive(provider="smsapi", outcome=DeliveryOutcome.DELIVERED) == 0


def test_enqueue_many_keeps_the_rules_of_enqueue_in_batches(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """The set-based path (the day's reminders): existing keys untouched, bad numbers failed, a hint per call."""
    from carenet.messaging.services import OutboxItem, outbox_enqueue_many

    existing = OutboundMessage.objects.create(
        key="reminder:appointment:1",
        purpose="reminder",
        channel=Channel.SMS,
        recipient="+48500100200",
        body="first text",
    )
    items = [
        OutboxItem(
            key=f"reminder:appointment:{n}",
            purpose="reminder",
            channel=Channel.SMS,
            recipient="500 100 200",
            body=f"text {n}",
        )
        for n in range(1, 6)
    ]
    items.append(
        OutboxItem(
            key="reminder:appointment:bad", purpose="reminder", channel=Channel.SMS, recipient="not a phone", body="x"
        )
    )
    with django_capture_on_commit_callbacks() as hints, transaction.atomic():
        assert outbox_enqueue_many(items, batch_size=2) == 5
    assert len(hints) == 1
    assert outbox_enqueue_many(items) == 0
    assert OutboundMessage.objects.get(pk=existing.pk).body == "first text"
    assert OutboundMessage.objects.get(key="reminder:appointment:3").recipient == "+48500100200"
    assert OutboundMessage.objects.get(key="reminder:appointment:bad").status == Status.FAILED
    assert OutboundMessage.objects.filter(status=Status.PENDING).count() == 5
