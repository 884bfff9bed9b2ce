"""Front doors of the SMS channel: the gateway's webhooks (SMS-2, SMS-4).

They translate a request into one service call; the rules live in ``services`` and ``policies``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from carenet.core import clock
from carenet.core.validation import text_cleaned
from carenet.messaging import services
from carenet.messaging.policies import smsapi_delivery_outcome

logger = logging.getLogger(__name__)

# --- Gateway webhooks -----------------------------------------------------------------------------------------


def _secret_ok(given: str) -> bool:
    expected = settings.CARENET_SMS_WEBHOOK_SECRET
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _timestamp(value: str | None) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value or ""), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.now()


#: The longest gateway message id and outbox key stored; a longer one in a report cannot be ours.
MESSAGE_ID_MAX_LENGTH = 100
OUTBOX_KEY_MAX_LENGTH = 200


def _field(data: QueryDict, name: str) -> str:
    """A webhook field as it can be stored: without NUL or control characters (issue 10), stripped."""
    return text_cleaned(data.get(name, "")).strip()


def _message_id(given: str, *, sender: str, sent: str, text: str) -> str:
    """The gateway's id, or — when it sends none we can store — one derived from the message itself, so a retry of
    the same message still acts once."""
    if given and len(given) <= MESSAGE_ID_MAX_LENGTH:
        return given
    digest = hashlib.sha256("\n".join((given, sender, sent, text)).encode()).hexdigest()
    return f"derived:{digest[:64]}"


def _ok() -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
@require_POST
def smsapi_inbound(request: HttpRequest, secret: str) -> HttpResponse:
    """SMSAPI's callback for a received SMS (fields ``MsgId``, ``sms_from``, ``sms_to``, ``sms_text``,
    ``sms_date``, ``username``). Answers "OK"; a repeated callback acts once.

    The gateway repeats a callback until it gets a 200, so anything but a wrong secret answers 200 (issue 10): a
    text with NUL or control characters is stored without them, a missing or oversize ``MsgId`` is replaced by one
    derived from the message, and a message without a sender — nobody to act for or answer — is logged, not
    stored."""
    if not _secret_ok(secret):
        return HttpResponseForbidden("forbidden", content_type="text/plain")
    data = request.POST
    sender, text, sent = _field(data, "sms_from"), text_cleaned(data.get("sms_text", "")), _field(data, "sms_date")
    if not sender:
        logger.warning("smsapi inbound without a sender ignored (MsgId %r)", _field(data, "MsgId")[:100])
        return _ok()
    services.inbound_receive(
        provider="smsapi",
        provider_message_id=_message_id(_field(data, "MsgId"), sender=sender, sent=sent, text=text),
        sender=sender,
        recipient=_field(data, "sms_to"),
        text=text,
        received_at=_timestamp(sent),
    )
    return _ok()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def smsapi_report(request: HttpRequest, secret: str) -> HttpResponse:
    """SMSAPI's delivery reports (``MsgId``, ``status``, ``idx``, ``donedate``; several reports come as
    comma-separated lists). Answers "OK" — also to a report it cannot match (issue 10: an id with NUL or control
    characters is read without them, one too long to be ours matches nothing)."""
    if not _secret_ok(secret):
        return HttpResponseForbidden("forbidden", content_type="text/plain")
    data = request.POST if request.method == "POST" else request.GET
    ids = _field(data, "MsgId").split(",")
    statuses = _field(data, "status").split(",")
    keys = _field(data, "idx").split(",")
    done = _field(data, "donedate").split(",")
    for position, status in enumerate(statuses):
        outcome = smsapi_delivery_outcome(status)
        if outcome is None:
            continue
        message_id = ids[position].strip() if position < len(ids) else ""
        key = keys[position].strip() if position < len(keys) else ""
        services.delivery_report_receive(
            provider="smsapi",
            outcome=outcome,
            provider_message_id=message_id if len(message_id) <= MESSAGE_ID_MAX_LENGTH else "",
            idempotency_key=key if len(key) <= OUTBOX_KEY_MAX_LENGTH else "",
            at=_timestamp(done[position] if position < len(done) else None),
        )
    return _ok()
