"""Front doors of the SMS channel: the gateway's webhooks and the developer inbox (SMS-2, SMS-4).

They translate a request into one service call; the rules live in ``services`` and ``policies``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from carenet.core import clock
from carenet.core.phones import phone_or_none
from carenet.core.validation import text_cleaned
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
