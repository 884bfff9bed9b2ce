"""Session safety: shared reception desks must not keep a login open, and no browser or proxy keeps a copy.

- Idle timeout (staff ``CARENET_SESSION_IDLE_MINUTES_STAFF``, patients ``CARENET_SESSION_IDLE_MINUTES_PATIENT``) and an
  absolute limit (``CARENET_SESSION_MAX_HOURS``) on every login session: :class:`SessionLimitMiddleware` logs an
  expired session out and sends the person to their login page with a message (an HTMX request gets
  ``HX-Redirect``; a session call of the JSON API answers 401 ``session_expired``). Bearer tokens of the API are
  not sessions and keep their own lifetime.
- ``Cache-Control: no-store`` on every answer to an authenticated request, by session or bearer token
  (:class:`NoStoreMiddleware`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from carenet.accounts.lockout import API_PREFIX
from carenet.accounts.two_factor import is_staff_member
from carenet.core import clock

#: Session keys: when the login started and when it was last used (POSIX seconds).
STARTED_KEY = "carenet_session_started"
SEEN_KEY = "carenet_session_seen"
#: The last-use time is written at most this often, so a busy page does not save the session on every request.
SEEN_RESOLUTION_SECONDS = 30
SESSION_EXPIRED_CODE = "session_expired"


def idle_limit(*, is_staff: bool) -> dt.timedelta:
    minutes = settings.CARENET_SESSION_IDLE_MINUTES_STAFF if is_staff else settings.CARENET_SESSION_IDLE_MINUTES_PATIENT
    return dt.timedelta(minutes=minutes)


def session_expired(*, started: float, seen: float, now: float, idle: dt.timedelta, max_age: dt.timedelta) -> bool:
    """Expired when unused for longer than ``idle`` or older than ``max_age`` (both limits inclusive)."""
    return now - seen > idle.total_seconds() or now - started > max_age.total_seconds()


def expired_message() -> str:
    return _("You were logged out after a period of inactivity. Log in again.")


class SessionLimitMiddleware:
    """After authentication: ends a login session that was idle too long or is older than the absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = clock.now().timestamp()
        session = request.session
        started = session.get(STARTED_KEY)
        seen = session.get(SEEN_KEY)
        if not isinstance(started, int | float) or not isinstance(seen, int | float):
            session[STARTED_KEY] = session[SEEN_KEY] = now
            return self.get_response(request)
        is_staff = is_staff_member(user)
        max_age = dt.timedelta(hours=settings.CARENET_SESSION_MAX_HOURS)
        if session_expired(started=started, seen=seen, now=now, idle=idle_limit(is_staff=is_staff), max_age=max_age):
            return self._expired(request, is_staff=is_staff)
        if now - seen >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_KEY] = now
        return self.get_response(request)

    def _expired(self, request: HttpRequest, *, is_staff: bool) -> HttpResponse:
        logout(request)
        if request.path_info.startswith(API_PREFIX):
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                return self.get_response(request)  # the token decides; the stale session is simply gone
            return JsonResponse({"code": SESSION_EXPIRED_CODE, "message": expired_message()}, status=401)
        messages.warning(request, expired_message())
        login_url = reverse("staff:login" if is_staff else "portal:login")
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=200)
            response["HX-Redirect"] = login_url
            return response
        if request.method == "GET":
            login_url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(login_url)


def is_authenticated_answer(request: HttpRequest) -> bool:
    """Whether the answer went to a person: a session login (also one just made) or an API bearer token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return getattr(request, "auth", None) is not None or hasattr(request, "carenet_auth_method")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and ``private``) on every answer to an authenticated request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_authenticated_answer(request):
            add_never_cache_headers(response)
        return response


def _login_started(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A new login starts both clocks, even when the session (same user again) keeps its data."""
    if request is not None and hasattr(request, "session"):
        request.session[STARTED_KEY] = request.session[SEEN_KEY] = clock.now().timestamp()


user_logged_in.connect(_login_started, dispatch_uid="carenet.accounts.sessions.login_started")
