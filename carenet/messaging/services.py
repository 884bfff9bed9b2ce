"""The outbox and the inbound path (SMS-1..SMS-4).

Sending: a feature calls :func:`outbox_enqueue` inside its own transaction; the row exists exactly when the change
that caused it commits. A worker (:func:`outbox_dispatch_due`) leases due rows with ``SKIP LOCKED``, sends them
outside the claim transaction and records the outcome. Every message carries its key to the gateway, which refuses
a repeat; a crashed worker's lease expires and the rows are claimed again, so each message goes out exactly once
(SMS-3).

Receiving: a gateway webhook or the developer inbox calls :func:`inbound_receive`; the unique (provider, message id)
makes a repeated webhook act once, and a handler's replies are keyed by the inbound message.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet

from carenet.core import clock
from carenet.core.baked import BakedQuery
from carenet.core.inserts import insert_unless_present
from carenet.core.phones import InvalidPhoneNumber, normalize_phone, phone_or_none
from carenet.messaging import inbound as inbound_registry
from carenet.messaging.backends import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    get_sms_backend,
    new_local_id,
    send_email,
)
from carenet.messaging.models import Channel, InboundMessage, OutboundMessage
from carenet.messaging.policies import DeliveryOutcome, parse_reply, retry_delay_seconds

if TYPE_CHECKING:
    from carenet.accounts.models import Patient

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status


# --- Enqueue --------------------------------------------------------------------------------------------------


def outbox_enqueue(
    *,
    key: str,
    purpose: str,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    patient: Patient | None = None,
    send_after: dt.datetime | None = None,
    secret: str = "",
    secret_expires_at: dt.datetime | None = None,
) -> OutboundMessage:
    """Record a message to send once the caller's transaction commits (SMS-3).

    Call it inside the transaction that makes the change the message tells about. ``key`` names the cause
    (``"booking-confirmation:appointment:123"``): the same key again returns the existing message and sends nothing
    new. An SMS recipient that is not a valid phone number is recorded as failed rather than failing the caller.
    ``secret`` (a first password in ``body``) is scrubbed from the stored body once sent, or once
    ``secret_expires_at`` passes (:func:`outbox_secrets_scrub_expired`); the rest of the text stays.
    """
    secret_start = body.find(secret) if secret else -1
    last_error = ""
    status = Status.PENDING
    if channel == Channel.SMS:
        try:
            recipient = normalize_phone(recipient)
        except InvalidPhoneNumber as error:
            status, last_error = Status.FAILED, str(error)
    message = OutboundMessage(
        key=key,
        purpose=purpose,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        patient=patient,
        status=status,
        last_error=last_error,
        next_attempt_at=send_after or clock.now(),
        secret_start=secret_start if secret_start >= 0 else None,
        secret_length=len(secret) if secret_start >= 0 else None,
        secret_expires_at=secret_expires_at if secret_start >= 0 else None,
    )
    # Insert first (a key is almost always new): one INSERT … ON CONFLICT DO NOTHING (issue 16), where reading first
    # took a SELECT too and an INSERT in a savepoint of its own three statements. No signal listens to the outbox.
    if not insert_unless_present(message):
        existing = OutboundMessage.objects.filter(key=key).first()
        if existing is None:  # the unique key was not what stopped it (SQLite's OR IGNORE skips any constraint)
            raise IntegrityError(f"The outbox message {key!r} could not be written.")
        return existing
    if status == Status.PENDING:
        _hint_dispatch_after_commit()
    return message


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message for :func:`outbox_enqueue_many` (the arguments of :func:`outbox_enqueue`)."""

    key: str
    purpose: str
    channel: str
    recipient: str
    body: str
    subject: str = ""
    patient_id: int | None = None
    send_after: dt.datetime | None = None


def outbox_enqueue_many(items: Iterable[OutboxItem], *, batch_size: int = 1000) -> int:
    """:func:`outbox_enqueue` for many messages at once (the day's reminders): the same rules — a key already in the
    outbox is left alone, an invalid SMS recipient is recorded as failed — written with one multi-row INSERT per
    ``batch_size`` rows instead of a read, a savepoint and an insert per message. Call it inside the caller's
    transaction. Returns how many keys were new (read back, so a concurrent run that wrote a key first is not
    counted twice)."""
    now = clock.now()
    rows: list[OutboundMessage] = []
    for item in items:
        recipient, status, last_error = item.recipient, Status.PENDING, ""
        if item.channel == Channel.SMS:
            try:
                recipient = normalize_phone(item.recipient)
            except InvalidPhoneNumber as error:
                status, last_error = Status.FAILED, str(error)
        rows.append(
            OutboundMessage(
                key=item.key,
                purpose=item.purpose,
                channel=item.channel,
                recipient=recipient,
                subject=item.subject,
                body=item.body,
                patient_id=item.patient_id,
                status=status,
                last_error=last_error,
                next_attempt_at=item.send_after or now,
            )
        )
    if not rows:
        return 0
    created = 0
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            keys = [row.key for row in chunk]
            before = set(OutboundMessage.objects.filter(key__in=keys).values_list("key", flat=True))
            OutboundMessage.objects.bulk_create([row for row in chunk if row.key not in before], ignore_conflicts=True)
            created += OutboundMessage.objects.filter(key__in=keys).count() - len(before)
        if created and any(row.status == Status.PENDING for row in rows):
            _hint_dispatch_after_commit()
    return created


def _dispatch_hint() -> None:
    """Wake a worker now rather than at the next sweep; only latency depends on it, never correctness.

    Runs after the commit that recorded the messages. A hint still waiting in the database queue (not started)
    will claim them when it starts, so a second one is not written: under load that saves an INSERT and a commit
    per booking (B3)."""
    from carenet.messaging.tasks import dispatch_outbox

    try:
        if _hint_waiting(dispatch_outbox):
            return
        dispatch_outbox.enqueue()
    except Exception:  # a lost hint is covered by the scheduler's periodic sweep
        logger.warning("outbox: could not enqueue a dispatch hint", exc_info=True)


def _hint_waiting(task: Any) -> bool:
    """Whether the database task queue holds a run of ``task`` that no worker has started yet."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    return bool(_hint_waiting_query().rows(task_path=task.module_path, now=clock.now()))


def _ready_runs(_shape: None, *, task_path: str, now: dt.datetime) -> QuerySet[Any, Any]:
    """The not yet started runs of the task at ``task_path`` (django-tasks-db's ``ready()`` as of ``now``)."""
    from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

    return (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task_path)
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
        .order_by()
        .values_list("pk")[:1]
    )


@functools.cache
def _hint_waiting_query() -> BakedQuery[Any]:
    """:func:`_ready_runs` compiled once per process (issue 16): asked after every booking's commit."""
    from django_tasks_db.models import DBTaskResult

    return BakedQuery(DBTaskResult, _ready_runs)


def _hint_dispatch_after_commit() -> None:
    # One hint per transaction, however many messages it records.
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is _dispatch_hint for entry in pending):
        return
    transaction.on_commit(_dispatch_hint)


# --- Dispatch -------------------------------------------------------------------------------------------------


def outbox_dispatch_due(*, batch_size: int | None = None, now: dt.datetime | None = None) -> int:
    """Claim up to ``batch_size`` due messages, send them and record the outcome; returns how many were taken.

    Due: pending with ``next_attempt_at`` reached, or sending with an expired lease (its worker died). The claim is
    a short transaction with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers with
    BEGIN IMMEDIATE), so concurrent workers take disjoint batches; sending happens after it commits (SMS-3).
    """
    size = batch_size or settings.CARENET_OUTBOX_BATCH_SIZE
    claimed, taken = _claim_due(batch_size=size, now=now or clock.now())
    # SMS the gateway took are recorded together (B5: a transaction per message was half a worker's time), at the
    # latest half-way through the lease, so no other worker takes them over meanwhile. If this worker dies first,
    # those rows are still leased: claimed again when the lease expires, they are refused by the gateway as
    # repeated keys and recorded as sent — never sent twice (SMS-3). An e-mail has no such guard at its server: it
    # is recorded at once, as before.
    flush_after = time.monotonic() + settings.CARENET_OUTBOX_LEASE_SECONDS / 2
    sent: list[OutboundMessage] = []
    try:
        for message in claimed:
            _deliver(message, now=now, sent=sent)
            if sent and (sent[-1].channel != Channel.SMS or time.monotonic() >= flush_after):
                _mark_sent_many(sent, now=now)
                sent.clear()
    finally:
        _mark_sent_many(sent, now=now)
    return taken


def _claim_due(*, batch_size: int, now: dt.datetime) -> tuple[list[OutboundMessage], int]:
    """Lease a batch of due messages; returns the leased messages and how many rows were taken off the queue."""
    lease_until = now + dt.timedelta(seconds=settings.CARENET_OUTBOX_LEASE_SECONDS)
    max_attempts = settings.CARENET_OUTBOX_MAX_ATTEMPTS
    due = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
    with transaction.atomic():
        rows = list(
            OutboundMessage.objects.filter(due)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)[:batch_size]
        )
        # A message whose workers died again and again is not retried for ever (a poison message must not
        # crash-loop the workers): it is failed and shows up for staff.
        crashed_too_often = {m.pk for m in rows if m.status == Status.SENDING and m.attempts >= max_attempts}
        if crashed_too_often:
            OutboundMessage.objects.filter(pk__in=crashed_too_often).update(
                status=Status.FAILED, lease_until=None, last_error="worker lease expired too many times"
            )
        claimed = [m for m in rows if m.pk not in crashed_too_often]
        if claimed:
            OutboundMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
                status=Status.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
            )
    for message in claimed:
        message.status = Status.SENDING
        message.lease_until = lease_until
        message.attempts += 1
    return claimed, len(rows)


def _send(message: OutboundMessage) -> tuple[str, SendResult]:
    if message.channel == Channel.EMAIL:
        return "email", send_email(
            to=message.recipient, subject=message.subject, body=message.body, idempotency_key=message.key
        )
    backend = get_sms_backend()
    return backend.name, backend.send(to=message.recipient, text=message.body, idempotency_key=message.key)


def _deliver(message: OutboundMessage, *, now: dt.datetime | None, sent: list[OutboundMessage]) -> None:
    """Send one leased message; a failure is recorded at once, a success is added to ``sent`` (see
    :func:`_mark_sent_many`)."""
    try:
        provider, result = _send(message)
    except PermanentSendError as error:
        _mark_failed(message, error=str(error))
    except TransientSendError as error:
        _mark_retry(message, error=str(error), now=now)
    except Exception as error:  # a bug in a backend must not stop the batch; the message is retried
        logger.exception("outbox: unexpected error sending %s", message.key)
        _mark_retry(message, error=f"{type(error).__name__}: {error}", now=now)
    else:
        message.status = Status.SENT
        message.provider = provider
        message.sent_at = now or clock.now()
        message.lease_until = None
        message.last_error = "" if not result.duplicate else "gateway already had this key (sent before a restart)"
        if result.provider_message_id:
            message.provider_message_id = result.provider_message_id
        sent.append(message)


#: What recording "sent" writes (the rest of a leased row is not ours to change).
_SENT_FIELDS = ["status", "provider", "sent_at", "lease_until", "last_error", "provider_message_id"]


def _mark_sent_many(messages: list[OutboundMessage], *, now: dt.datetime | None) -> None:
    """Record that the gateway has these messages, whoever holds their lease now, unless a delivery report already
    said more (only rows still sending or pending are written): one UPDATE per channel and batch. A row a report
    has already moved on still gets when and through whom it was sent."""
    for channel in (Channel.SMS, Channel.EMAIL):
        batch = [message for message in messages if message.channel == channel]
        if not batch:
            continue
        with transaction.atomic():
            if channel == Channel.SMS:  # only the SMS gateway refuses a repeated key; e-mail keeps the fsync
                _relax_commit_durability()
            written = OutboundMessage.objects.filter(status__in=[Status.SENDING, Status.PENDING]).bulk_update(
                batch, _SENT_FIELDS
            )
            if written < len(batch):
                OutboundMessage.objects.filter(
                    pk__in=[message.pk for message in batch],
                    status__in=[Status.DELIVERED, Status.UNDELIVERED],
                    sent_at__isnull=True,
                ).update(sent_at=batch[-1].sent_at, provider=batch[-1].provider, lease_until=None)
            for message in batch:
                if message.secret_length is not None:
                    _secret_scrub(message)


#: What a scrubbed secret reads as in the stored body.
SCRUBBED = "[***]"


def secret_scrubbed(body: str, *, start: int, length: int) -> str:
    """``body`` without the secret at ``start``: the rest of the text stays as it was."""
    return body[:start] + SCRUBBED + body[start + length :]


def _secret_scrub(message: OutboundMessage) -> None:
    """The first password is in the patient's phone now (or no longer works): our copy goes."""
    if message.secret_start is None or message.secret_length is None:
        return
    message.body = secret_scrubbed(message.body, start=message.secret_start, length=message.secret_length)
    message.secret_start = message.secret_length = message.secret_expires_at = None
    OutboundMessage.objects.filter(pk=message.pk, secret_length__isnull=False).update(
        body=message.body, secret_start=None, secret_length=None, secret_expires_at=None
    )


def outbox_secrets_scrub_expired(*, now: dt.datetime) -> int:
    """Scrub the secrets that expired before ``now`` from messages never sent (failed, or still waiting): run hourly.
    Returns how many messages were scrubbed."""
    scrubbed = 0
    with transaction.atomic():
        expired = OutboundMessage.objects.select_for_update().filter(
            secret_length__isnull=False, secret_expires_at__lt=now
        )
        for message in expired:
            _secret_scrub(message)
            scrubbed += 1
    return scrubbed


def _relax_commit_durability() -> None:
    """On PostgreSQL, let this transaction commit without waiting for the disk (``synchronous_commit = off``).

    For "the gateway has it" only: if the server crashed before flushing it, the row is still ``sending`` with a
    lease, is claimed again when the lease expires, and the gateway refuses the repeated key — the message is then
    recorded as sent, never sent twice (SMS-3). Waiting for one fsync per message was most of a worker's time (B5)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _mark_retry(message: OutboundMessage, *, error: str, now: dt.datetime | None) -> None:
    if message.attempts >= settings.CARENET_OUTBOX_MAX_ATTEMPTS:
        _mark_failed(message, error=error)
        return
    delay = retry_delay_seconds(
        attempt=message.attempts,
        base=settings.CARENET_OUTBOX_RETRY_BASE_SECONDS,
        cap=settings.CARENET_OUTBOX_RETRY_MAX_SECONDS,
        jitter=random.random(),
    )
    # Fenced by the attempt number: if our lease expired and another worker claimed the row, leave it alone.
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts).update(
        status=Status.PENDING,
        lease_until=None,
        next_attempt_at=(now or clock.now()) + dt.timedelta(seconds=delay),
        last_error=error[:2000],
    )


def _mark_failed(message: OutboundMessage, *, error: str) -> None:
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts).update(
        status=Status.FAILED, lease_until=None, last_error=error[:2000]
    )


# --- Delivery reports -----------------------------------------------------------------------------------------


def delivery_report_receive(
    *,
    provider: str,
    outcome: DeliveryOutcome,
    provider_message_id: str = "",
    idempotency_key: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Record a gateway's delivery report; matches by our key (``idx``) or the gateway's id. Idempotent."""
    match = Q()
    if idempotency_key:
        match |= Q(key=idempotency_key)
    if provider_message_id:
        match |= Q(provider=provider, provider_message_id=provider_message_id)
    if not match:
        return 0
    new_status = Status.DELIVERED if outcome == DeliveryOutcome.DELIVERED else Status.UNDELIVERED
    updates: dict[str, object] = {"status": new_status}
    if outcome == DeliveryOutcome.DELIVERED:
        updates["delivered_at"] = at or clock.now()
    with transaction.atomic():
        changed = (
            OutboundMessage.objects.filter(match)
            .filter(status__in=[Status.SENDING, Status.SENT, Status.PENDING, Status.UNDELIVERED])
            .exclude(status=new_status)
            .update(**updates)
        )
        if provider_message_id and idempotency_key:
            OutboundMessage.objects.filter(key=idempotency_key, provider_message_id="").update(
                provider_message_id=provider_message_id
            )
    return changed


# --- Inbound --------------------------------------------------------------------------------------------------


def inbound_receive(
    *,
    provider: str,
    provider_message_id: str,
    sender: str,
    recipient: str,
    text: str,
    received_at: dt.datetime,
) -> InboundMessage:
    """Accept one message from a patient and act on it once (SMS-2, CXL-2, CHK-3).

    The same (provider, message id) delivered again returns the first record and does nothing. The reply handler
    chosen from the registry runs in this transaction; its replies go to the outbox keyed by this message, so even
    a re-run never answers twice. A handler that fails is rolled back alone and the patient gets a polite answer.
    """
    normalized_sender = (phone_or_none(sender) or sender.strip())[:32]
    recipient = recipient.strip()[:32]
    with transaction.atomic():
        message, created = InboundMessage.objects.get_or_create(
            provider=provider,
            provider_message_id=provider_message_id,
            defaults={
                "sender": normalized_sender,
                "recipient": recipient,
                "text": text,
                "received_at": received_at,
            },
        )
        if not created:
            return message
        context = inbound_registry.InboundContext(
            message=message,
            sender=normalized_sender,
            reply=parse_reply(text),
            now=clock.now(),
        )
        route = inbound_registry.route(context)
        try:
            with transaction.atomic():
                result = route.handler(context)
        except Exception as error:
            logger.exception("inbound: handler %s failed for message %s", route.name, message.pk)
            result = inbound_registry.HandlerResult(
                outcome=f"error: {type(error).__name__}"[:200],
                replies=[inbound_registry.technical_error_reply()],
            )
        for number, reply in enumerate(result.replies):
            outbox_enqueue(
                key=f"reply:{message.pk}" if number == 0 else f"reply:{message.pk}:{number}",
                purpose="sms-reply",
                channel=Channel.SMS,
                recipient=normalized_sender,
                body=reply,
                patient=result.patient,
            )
        message.handler = route.name
        message.outcome = result.outcome[:200]
        message.handled_at = clock.now()
        message.save(update_fields=["handler", "outcome", "handled_at"])
    return message


# --- Local gateway (development) ------------------------------------------------------------------------------


def local_gateway_receive(*, phone: str, text: str) -> InboundMessage:
    """The developer inbox's "reply as the patient" (SMS-4): stored like a phone's message, then handled exactly
    like a webhook from the real gateway (provider "local")."""
    from carenet.messaging.models import LocalSms

    sender = normalize_phone(phone)
    now = clock.now()
    with transaction.atomic():
        last_to_patient = (
            LocalSms.objects.filter(phone=sender, direction=LocalSms.Direction.OUT).order_by("-sent_at", "-id").first()
        )
        stored = LocalSms.objects.create(
            idx=f"local-in:{new_local_id()}",
            phone=sender,
            text=text,
            direction=LocalSms.Direction.IN,
            sent_at=now,
            in_reply_to=last_to_patient,
        )
        return inbound_receive(
            provider="local",
            provider_message_id=stored.idx,
            sender=sender,
            recipient=settings.CARENET_SMSAPI_SENDER,
            text=text,
            received_at=now,
        )


def outbox_dispatch_all(*, max_rounds: int = 100) -> int:
    """Send everything due now, in batches (the developer inbox's "send now"; workers use the task)."""
    total = 0
    for _ in range(max_rounds):
        claimed = outbox_dispatch_due()
        total += claimed
        if claimed == 0:
            break
    return total
