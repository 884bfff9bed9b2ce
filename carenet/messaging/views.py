"""Front doors of the SMS channel: the gateway's webhooks (SMS-2, SMS-4).

They translate a request into one service call; the rules live in ``services`` and ``policies``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from carenet.core import clock
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


@csrf_exempt
@require_POST
def smsapi_inbound(request: HttpRequest, secret: str) -> HttpResponse:
    """SMSAPI's callback for a received SMS (fields ``MsgId``, ``sms_from``, ``sms_to``, ``sms_text``,
    ``sms_date``, ``username``). Answers "OK"; a repeated callback acts once."""
    if not _secret_ok(secret):
        return HttpResponseForbidden("forbidden", content_type="text/plain")
    data = request.POST
    message_id, sender = data.get("MsgId", "").strip(), data.get("sms_from", "").strip()
    if not message_id or not sender or len(message_id) > 100:
        return HttpResponseBadRequest(
            "MsgId (up to 100 characters) and sms_from are required", content_type="text/plain"
        )
    services.inbound_receive(
        provider="smsapi",
        provider_message_id=message_id,
        sender=sender,
        recipient=data.get("sms_to", ""),
        text=data.get("sms_text", ""),
        received_at=_timestamp(data.get("sms_date")),
    )
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def smsapi_report(request: HttpRequest, secret: str) -> HttpResponse:
    """SMSAPI's delivery reports (``MsgId``, ``status``, ``idx``, ``donedate``; several reports come as
    comma-separated lists). Answers "OK"."""
    if not _secret_ok(secret):
        return HttpResponseForbidden("forbidden", content_type="text/plain")
    data = request.POST if request.method == "POST" else request.GET
    ids = data.get("MsgId", "").split(",")
    statuses = data.get("status", "").split(",")
    keys = data.get("idx", "").split(",")
    done = data.get("donedate", "").split(",")
    for position, status in enumerate(statuses):
        outcome = smsapi_delivery_outcome(status)
        if outcome is None:
            continue
        services.delivery_report_receive(
            provider="smsapi",
            outcome=outcome,
            provider_message_id=ids[position].strip() if position < len(ids) else "",
            idempotency_key=keys[position].strip() if position < len(keys) else "",
            at=_timestamp(done[position] if position < len(done) else None),
        )
    return HttpResponse("OK", content_type="text/plain")
