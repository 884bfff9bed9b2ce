"""SMS gateways behind one small interface (SMS-4) and e-mail through Django's backends.

A backend sends one message carrying our idempotency key. The real gateway (SMSAPI) is asked to refuse a second
message with the same key (``idx`` + ``check_idx``), and the local backend refuses it the same way, so a retry after
a crash never reaches a patient twice (SMS-3): a refused duplicate counts as already sent.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import threading
import uuid
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str  # the gateway's own word: "QUEUE", "SENT", "DUPLICATE", …
    duplicate: bool = False  # the gateway already had a message with this key


class SendError(Exception):
    """A message could not be handed to the gateway."""


class TransientSendError(SendError):
    """Worth retrying later: network trouble, gateway overload, timeouts."""


class PermanentSendError(SendError):
    """Retrying cannot help: invalid number, blacklisted recipient, rejected content."""


class SmsBackend(Protocol):
    name: str

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult: ...


# --- SMSAPI ---------------------------------------------------------------------------------------------------

# SMSAPI error codes (https://www.smsapi.pl "API error codes"). 53: "Not unique idx parameter, message with the
# same idx has been already sent and &check_idx=1" — for us that means: already sent.
SMSAPI_DUPLICATE_IDX = 53
# Codes about the message or recipient itself: retrying cannot help.
SMSAPI_PERMANENT_CODES = frozenset({11, 12, 13, 14, 17, 18, 20, 27, 57, 94, 96})


class SmsApiBackend:
    """The SMSAPI gateway through its official client (``smsapi-client``)."""

    name = "smsapi"

    def __init__(self, *, token: str, url: str, sender: str, timeout: float, notify_url: str = "") -> None:
        from smsapi.client import SmsApiPlClient

        self.sender = sender
        self.timeout = timeout
        self.notify_url = notify_url
        self.client = SmsApiPlClient(access_token=token)
        # The client builds request URLs from ``domain``; pointing it elsewhere serves tests and benchmarks.
        self.client.domain = url if url.endswith("/") else url + "/"

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        from smsapi.exception import EndpointException, SendException, SmsApiException

        params: dict[str, object] = {
            "to": to.lstrip("+"),
            "message": text,
            "idx": idempotency_key,
            "check_idx": 1,
            "encoding": "utf-8",
            "timeout": self.timeout,
        }
        if self.sender:
            params["from_"] = self.sender
        if self.notify_url:
            params["notify_url"] = self.notify_url
        try:
            response = self.client.sms.send(**params)
        except SendException as error:
            code = _int_or_none(error.code)
            if code == SMSAPI_DUPLICATE_IDX:
                return SendResult(provider_message_id="", status="DUPLICATE", duplicate=True)
            if code in SMSAPI_PERMANENT_CODES:
                raise PermanentSendError(f"SMSAPI error {code}: {error.message}") from error
            raise TransientSendError(f"SMSAPI error {code}: {error.message}") from error
        except EndpointException as error:
            # Non-2xx HTTP answers: overload, maintenance, an auth problem an operator will fix. All retried.
            raise TransientSendError(f"SMSAPI HTTP {error.code}: {str(error.message)[:200]}") from error
        except (requests.RequestException, SmsApiException) as error:
            raise TransientSendError(f"SMSAPI unreachable: {error}") from error
        results = list(response.results)
        if not results:
            raise TransientSendError("SMSAPI accepted the request but returned no message")
        first = results[0]
        if first.error:
            raise PermanentSendError(f"SMSAPI refused the message: {first.error}")
        return SendResult(provider_message_id=str(first.id or ""), status=str(first.status or "QUEUE"))


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# --- Local ----------------------------------------------------------------------------------------------------


class LocalSmsBackend:
    """Development and tests (SMS-4): messages are stored for the developer inbox instead of leaving the building."""

    name = "local"

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        from carenet.messaging.models import LocalSms

        try:
            with transaction.atomic():
                stored = LocalSms.objects.create(
                    idx=idempotency_key, phone=to, text=text, direction=LocalSms.Direction.OUT
                )
        except IntegrityError:
            existing = LocalSms.objects.filter(idx=idempotency_key).first()
            return SendResult(
                provider_message_id=f"local-{existing.pk}" if existing else "", status="DUPLICATE", duplicate=True
            )
        return SendResult(provider_message_id=f"local-{stored.pk}", status="QUEUE")


# --- Construction from settings -------------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[tuple[object, ...], SmsBackend] = {}


def get_sms_backend() -> SmsBackend:
    """The configured SMS backend, built lazily from settings (and rebuilt when the settings change)."""
    kind = settings.CARENET_SMS_BACKEND
    signature: tuple[object, ...] = (
        kind,
        settings.CARENET_SMSAPI_TOKEN,
        settings.CARENET_SMSAPI_URL,
        settings.CARENET_SMSAPI_SENDER,
        settings.CARENET_SMSAPI_TIMEOUT,
        settings.CARENET_SMSAPI_NOTIFY_URL,
    )
    with _lock:
        backend = _cache.get(signature)
        if backend is None:
            backend = _build(kind)
            _cache.clear()
            _cache[signature] = backend
        return backend


def _build(kind: str) -> SmsBackend:
    if kind == "local":
        return LocalSmsBackend()
    if kind == "smsapi":
        if not settings.CARENET_SMSAPI_TOKEN:
            raise ImproperlyConfigured("CARENET_SMSAPI_TOKEN must be set for the smsapi SMS backend")
        return SmsApiBackend(
            token=settings.CARENET_SMSAPI_TOKEN,
            url=settings.CARENET_SMSAPI_URL,
            sender=settings.CARENET_SMSAPI_SENDER,
            timeout=settings.CARENET_SMSAPI_TIMEOUT,
            notify_url=settings.CARENET_SMSAPI_NOTIFY_URL,
        )
    raise ValueError(f"unknown CARENET_SMS_BACKEND {kind!r} (expected 'local' or 'smsapi')")


# --- E-mail ---------------------------------------------------------------------------------------------------


def send_email(*, to: str, subject: str, body: str, idempotency_key: str) -> SendResult:
    """One e-mail through Django's configured backend.

    SMTP has no idempotency key; the Message-ID is derived from ours so that a repeat after a crash is recognisable
    (and dropped by many mail systems) as the same message.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "carenet.example"
    message_id = f"<{digest}@{domain}>"
    email = EmailMessage(subject=subject, body=body, to=[to], headers={"Message-ID": message_id})
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentSendError(f"recipient refused: {error}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientSendError(f"mail server: {error}") from error
    return SendResult(provider_message_id=message_id, status="SENT")


def new_local_id() -> str:
    return uuid.uuid4().hex
