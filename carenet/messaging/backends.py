"""SMS gateways behind one small interface (SMS-4) and e-mail through Django's backends.

A backend sends one message carrying our idempotency key. The real gateway (SMSAPI) is asked to refuse a second
message with the same key (``idx`` + ``check_idx``), and the local backend refuses it the same way, so a retry after
a crash never reaches a patient twice (SMS-3): a refused duplicate counts as already sent.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import smtplib
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

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
        self._local = threading.local()
        _install_pooled_transport()

    def session(self) -> requests.Session:
        """This thread's HTTP session to the gateway: its keep-alive connection is reused by every send."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # The proxy and CA bundle settings of the environment, read once rather than at every request (reading
            # the whole environment twice per message was a tenth of a worker's time).
            settings = session.merge_environment_settings(self.client.domain, {}, None, None, None)
            session.proxies, session.verify, session.trust_env = settings["proxies"], settings["verify"], False
        return session

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
        session_token = _current_session.set(self.session())
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
        finally:
            _current_session.reset(session_token)
        results = list(response.results)
        if not results:
            raise TransientSendError("SMSAPI accepted the request but returned no message")
        first = results[0]
        if first.error:
            raise PermanentSendError(f"SMSAPI refused the message: {first.error}")
        return SendResult(provider_message_id=str(first.id or ""), status=str(first.status or "QUEUE"))


# The official client sends every request with ``requests.request``, which opens a new session, and so a new TCP
# connection, each time: a TLS handshake per SMS on the Internet; on loopback a worker sent 1.3-2.5 times fewer
# messages per second than over one kept-alive connection (B5). The client offers no way to hand it a session, so
# its module's ``requests`` is replaced by a stand-in whose ``request`` goes through the session of the backend
# sending right now (set around each call), and opens a new connection, as before, for any other caller. Errors are
# those of requests either way, so they map to the same retry or failure. A kept connection the gateway has closed
# is noticed and replaced by urllib3 before the request, or fails it with a ConnectionError: transient, retried,
# and the ``idx`` keeps the retry from sending twice.
_current_session: contextvars.ContextVar[requests.Session | None] = contextvars.ContextVar(
    "smsapi_session", default=None
)
_transport_lock = threading.Lock()


class _PooledRequests:
    """What ``smsapi.endpoint`` sees as the ``requests`` module (see above)."""

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        session = _current_session.get()
        if session is None:
            return requests.request(method, url, **kwargs)  # noqa: S113 - the client passes its timeout in kwargs
        return session.request(method, url, **kwargs)

    def __getattr__(self, name: str) -> object:
        return getattr(requests, name)


def _install_pooled_transport() -> None:
    import smsapi.endpoint

    with _transport_lock:
        current = getattr(smsapi.endpoint, "requests", None)
        if isinstance(current, _PooledRequests):
            return
        if current is not requests:  # a client version that no longer sends this way: keep its own transport
            logger.warning("smsapi-client sends without requests.request; SMS connections are not reused")
            return
        smsapi.endpoint.requests = _PooledRequests()


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
