"""The login lockout (django-axes): whose address a failure counts against, and the one answer a locked login gets.

Failures are keyed on the login *and* the address (``AXES_LOCKOUT_PARAMETERS``), and a lock lifts by itself after
the cool-off: a stranger hammering a patient's login from elsewhere locks only their own address, never the patient.
The answer is the same whether the login exists or not, and whether the password sent during the lock was right.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

#: The JSON API lives outside the language prefixes; its lockout answer is JSON with a stable code.
API_PREFIX = "/api/"
LOCKED_OUT_CODE = "locked_out"


def client_ip(request: HttpRequest) -> str | None:
    """The address a failure counts against. Without a proxy of ours in front (CARENET_TRUSTED_PROXY_COUNT 0) only
    REMOTE_ADDR counts, so a client cannot choose its address with a header; behind N proxies, the address the
    outermost one saw (the N-th entry from the right of X-Forwarded-For, which the client cannot forge)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "CARENET_TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) >= count:
        return forwarded[-count]
    return remote


def cool_off_minutes() -> int:
    hours = settings.AXES_COOLOFF_TIME
    if hasattr(hours, "total_seconds"):
        return max(1, round(hours.total_seconds() / 60))
    return max(1, round(float(hours) * 60))


def locked_out_message() -> str:
    return _("Too many failed attempts. Try again later or call us.")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 everywhere. The API answers ``{"code": "locked_out"}``; a page says when to try
    again and whom to call. Nothing in it depends on the login that was tried."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"code": LOCKED_OUT_CODE, "message": locked_out_message()}, status=429)
    match = getattr(request, "resolver_match", None)
    staff_side = match is not None and match.namespace in {"staff", "admin"}
    template = "staff/two_factor/locked_out.html" if staff_side else "portal/account/locked_out.html"
    return render(request, template, {"minutes": cool_off_minutes()}, status=429)
