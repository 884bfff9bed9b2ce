"""The developer SMS inbox (SMS-4): the conversations of the local gateway, and replies typed as a patient that
reach CareNet through the same inbound path as a real text message. Development only (see ``apps``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.core.phones import phone_or_none
from carenet.dev.forms import NewConversationForm, PatientReplyForm
from carenet.messaging import selectors, services
from carenet.messaging.models import LocalSms, OutboundMessage


def dev_inbox_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.CARENET_SMS_DEV_INBOX:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@dev_inbox_only
@require_http_methods(["GET", "POST"])
def sms_inbox(request: HttpRequest) -> HttpResponse:
    """Conversations of the local gateway, newest first; a form writes as any patient."""
    form = NewConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        services.local_gateway_receive(phone=phone, text=form.cleaned_data["text"])
        messages.success(request, _("The patient's message has been received."))
        return redirect("dev:sms_conversation", phone=phone)
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
    return render(request, "dev/sms_inbox.html", {"page": page, "rows": rows, "form": form, "pending": pending})


@dev_inbox_only
@require_http_methods(["GET", "POST"])
def sms_conversation(request: HttpRequest, phone: str) -> HttpResponse:
    """One phone's messages, oldest first, and "reply as the patient" through the inbound path."""
    normalized = phone_or_none(phone)
    if normalized is None:
        raise Http404
    form = PatientReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.local_gateway_receive(phone=normalized, text=form.cleaned_data["text"])
        messages.success(request, _("The patient's reply has been received."))
        return redirect("dev:sms_conversation", phone=normalized)
    sms_list = list(LocalSms.objects.filter(phone=normalized).order_by("sent_at", "id"))
    outbox = OutboundMessage.objects.filter(recipient=normalized).order_by("-created_at")[:20]
    return render(
        request,
        "dev/sms_conversation.html",
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
def sms_send_now(request: HttpRequest) -> HttpResponse:
    """Send what is due without waiting for a worker (development convenience)."""
    sent = services.outbox_dispatch_all()
    messages.info(request, _("Messages sent from the queue: %(count)d.") % {"count": sent})
    return redirect(_inbox_page(request.POST.get("next", "")))


def _inbox_page(target: str) -> str:
    """``target`` if it is a page of this inbox (in any language: /sms/dev/…, /en/sms/dev/…), else the inbox."""
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and parts.path.startswith("/") and not parts.path.startswith("//"):
        try:
            if resolve(parts.path).namespace == "dev":
                return parts.path
        except Resolver404:
            pass
    return reverse("dev:sms_inbox")
