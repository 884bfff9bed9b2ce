"""Front doors of the SMS channel: the gateway's webhooks and the developer inbox (SMS-2, SMS-4).

They translate a request into one service call; the rules live in ``services`` and ``policies``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from carenet.core import clock
from carenet.core.phones import phone_or_none
from carenet.messaging import selectors, services
from carenet.messaging.forms import NewConversationForm, PatientReplyForm
from carenet.messaging.models import LocalSms, OutboundMessage
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


# --- Developer inbox (SMS-4) ----------------------------------------------------------------------------------


def dev_inbox_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.CARENET_SMS_DEV_INBOX:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@dev_inbox_only
@require_http_methods(["GET", "POST"])
def dev_inbox(request: HttpRequest) -> HttpResponse:
    """Conversations of the local gateway, newest first; a form writes as any patient."""
    form = NewConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        services.local_gateway_receive(phone=phone, text=form.cleaned_data["text"])
        messages.success(request, _("The patient's message has been received."))
        return redirect("messaging:dev_conversation", phone=phone)
    conversations = (
        LocalSms.objects.values("phone").annotate(last_at=Max("sent_at"), count=Count("id")).order_by("-last_at")
    )
    page = Paginator(conversations, 20).get_page(request.GET.get("page"))
    latest = {
        sms.phone: sms
        for sms in LocalSms.objects.filter(phone__in=[row["phone"] for row in page]).order_by("sent_at", "id")
    }
    rows = [{**row, "latest": latest.get(row["phone"])} for row in page]
    pending = selectors.outbox_pending_count()
    return render(request, "messaging/dev_inbox.html", {"page": page, "rows": rows, "form": form, "pending": pending})


@dev_inbox_only
@require_http_methods(["GET", "POST"])
def dev_conversation(request: HttpRequest, phone: str) -> HttpResponse:
    """One phone's messages, oldest first, and "reply as the patient" through the inbound path."""
    normalized = phone_or_none(phone)
    if normalized is None:
        raise Http404
    form = PatientReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.local_gateway_receive(phone=normalized, text=form.cleaned_data["text"])
        messages.success(request, _("The patient's reply has been received."))
        return redirect("messaging:dev_conversation", phone=normalized)
    sms_list = list(LocalSms.objects.filter(phone=normalized).order_by("sent_at", "id"))
    outbox = OutboundMessage.objects.filter(recipient=normalized).order_by("-created_at")[:20]
    return render(
        request,
        "messaging/dev_conversation.html",
        {
            "phone": normalized,
            "sms_list": sms_list,
            "outbox": outbox,
            "form": form,
            "pending": selectors.outbox_pending_count(),
        },
    )


@dev_inbox_only
@require_POST
def dev_send_now(request: HttpRequest) -> HttpResponse:
    """Send what is due without waiting for a worker (development convenience)."""
    sent = services.outbox_dispatch_all()
    messages.info(request, _("Messages sent from the queue: %(count)d.") % {"count": sent})
    target = request.POST.get("next", "")
    if not target.startswith("/sms/dev/"):
        target = reverse("messaging:dev_inbox")
    return redirect(target)
