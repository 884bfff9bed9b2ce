"""Per-login throttling across addresses, with a progressive delay, beside the per-address lockout (django-axes).

The lockout (``carenet.accounts.lockout``) counts failures per login *and* address: an attacker with many
addresses gets ``AXES_FAILURE_LIMIT`` guesses from each. This counts the failures of one login from *any* address:
after ``CARENET_LOGIN_THROTTLE_FREE_FAILURES`` within ``CARENET_LOGIN_THROTTLE_WINDOW_MINUTES``, each further
attempt for that login must wait a doubling delay after the last failure (``CARENET_LOGIN_THROTTLE_BASE_SECONDS``:
1, 2, 4, 8 minutes …, at most ``CARENET_LOGIN_THROTTLE_MAX_MINUTES``) or it is refused without checking the
password — the same answer whether the login exists or not (429; the API's code is ``throttled`` with
``Retry-After``). Attempts refused this way do not count, so the delay never grows past its maximum.

So that nobody can keep the real person out: an address the login succeeded from within
``CARENET_LOGIN_KNOWN_ADDRESS_DAYS`` is not delayed, and a completed login clears the count.

Every door is covered through ``authenticate`` (:class:`LoginGuardBackend`: the patient, staff and admin logins and
``POST /api/v1/auth/token``), wrong two-step codes count through ``user_login_failed``, and a wrong current password
on a password change counts too (:func:`password_recheck_refused`, :func:`password_recheck_failed`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_tasks import task

from carenet.accounts.lockout import API_PREFIX, client_ip, lockout_response
from carenet.accounts.models import LoginKnownAddress, LoginThrottle
from carenet.core import clock

THROTTLED_CODE = "throttled"
#: Request attributes: refused before any password was checked (not counted), and how long to wait.
REFUSED_ATTR = "carenet_login_refused"
RETRY_AFTER_ATTR = "carenet_login_retry_after"


# --- Rules (pure) ---------------------------------------------------------------------------------------------


def throttle_delay(*, failures: int, free: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the last failure: none for the first ``free`` failures, then base, 2×base, 4×base … ≤ cap."""
    if failures < free:
        return dt.timedelta(0)
    return min(base * 2 ** min(failures - free, 32), cap)


def throttle_wait(
    *,
    failures: int,
    last_failure_at: dt.datetime | None,
    now: dt.datetime,
    window: dt.timedelta,
    free: int,
    base: dt.timedelta,
    cap: dt.timedelta,
) -> dt.timedelta | None:
    """How long an attempt at ``now`` must still wait, or None when it may go ahead. Failures older than the
    window are forgotten."""
    if last_failure_at is None or now - last_failure_at > window:
        return None
    delay = throttle_delay(failures=failures, free=free, base=base, cap=cap)
    if not delay:
        return None
    wait = last_failure_at + delay - now
    return min(wait, delay) if wait > dt.timedelta(0) else None


def failures_after(
    *, failures: int, last_failure_at: dt.datetime | None, now: dt.datetime, window: dt.timedelta
) -> int:
    """The count once a failure at ``now`` is added (a count older than the window starts again)."""
    if last_failure_at is None or now - last_failure_at > window:
        return 1
    return failures + 1


# --- Reads and writes -----------------------------------------------------------------------------------------


def _login_hash(login: str) -> str:
    return salted_hmac("carenet.login-throttle", login.strip().casefold(), algorithm="sha256").hexdigest()


def _address_hash(login: str, address: str) -> str:
    return salted_hmac(
        "carenet.login-known-address", f"{login.strip().casefold()}\n{address}", algorithm="sha256"
    ).hexdigest()


def _address(request: HttpRequest) -> str:
    return getattr(request, "axes_ip_address", None) or client_ip(request) or ""


def _limits() -> dict[str, Any]:
    return {
        "window": dt.timedelta(minutes=settings.CARENET_LOGIN_THROTTLE_WINDOW_MINUTES),
        "free": settings.CARENET_LOGIN_THROTTLE_FREE_FAILURES,
        "base": dt.timedelta(seconds=settings.CARENET_LOGIN_THROTTLE_BASE_SECONDS),
        "cap": dt.timedelta(minutes=settings.CARENET_LOGIN_THROTTLE_MAX_MINUTES),
    }


def _known_address(request: HttpRequest, login: str, now: dt.datetime) -> bool:
    since = now - dt.timedelta(days=settings.CARENET_LOGIN_KNOWN_ADDRESS_DAYS)
    return LoginKnownAddress.objects.filter(
        key_hash=_address_hash(login, _address(request)), last_success_at__gte=since
    ).exists()


def login_wait(request: HttpRequest, login: str) -> dt.timedelta | None:
    """How long this attempt for ``login`` must still wait, or None when it may be checked."""
    now = clock.now()
    row = LoginThrottle.objects.filter(login_hash=_login_hash(login)).first()
    if row is None:
        return None
    wait = throttle_wait(failures=row.failures, last_failure_at=row.last_failure_at, now=now, **_limits())
    if wait is None or _known_address(request, login, now):
        return None
    return wait


def login_failure_record(login: str) -> None:
    """One more failure of ``login`` from any address."""
    now = clock.now()
    window = _limits()["window"]
    with transaction.atomic():
        row, created = LoginThrottle.objects.select_for_update().get_or_create(
            login_hash=_login_hash(login), defaults={"failures": 1, "last_failure_at": now}
        )
        if created:
            return
        row.failures = failures_after(
            failures=row.failures, last_failure_at=row.last_failure_at, now=now, window=window
        )
        row.last_failure_at = now
        row.save(update_fields=["failures", "last_failure_at"])


def login_success_record(request: HttpRequest, login: str) -> None:
    """The whole login is done: the count goes and this address is known for the login."""
    now = clock.now()
    LoginThrottle.objects.filter(login_hash=_login_hash(login)).delete()
    LoginKnownAddress.objects.update_or_create(
        key_hash=_address_hash(login, _address(request)), defaults={"last_success_at": now}
    )


def login_records_prune(*, now: dt.datetime) -> int:
    """Forget counts past their window and addresses not used for a login within the known-address period."""
    since = now - dt.timedelta(days=settings.CARENET_LOGIN_KNOWN_ADDRESS_DAYS)
    addresses, _ = LoginKnownAddress.objects.filter(last_success_at__lt=since).delete()
    counts, _ = LoginThrottle.objects.filter(last_failure_at__lt=now - _limits()["window"]).delete()
    return addresses + counts


@task()
def prune_login_records() -> int:
    """Hourly: see :func:`login_records_prune`."""
    return login_records_prune(now=clock.now())


def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_login_failed``: a password or code was checked and was wrong. Attempts refused before any check (a
    lockout, this throttle) are not counted, so a waiting login's delay does not grow past its maximum."""
    login = credentials.get("username")
    if request is None or not isinstance(login, str) or not login or getattr(request, REFUSED_ATTR, False):
        return
    login_failure_record(login)


user_login_failed.connect(_count_failure, dispatch_uid="carenet.accounts.throttle.count_failure")


# --- Front doors ----------------------------------------------------------------------------------------------


class LoginGuardBackend(AxesStandaloneBackend):
    """First in ``AUTHENTICATION_BACKENDS``: the per-address lockout (axes), then the per-login delay. Either one
    refuses before any password is checked; the backends after it check the password."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        try:
            super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            if request is not None:
                setattr(request, REFUSED_ATTR, True)
            raise
        if request is None or not username:
            return None
        wait = login_wait(request, username)
        if wait is not None:
            setattr(request, REFUSED_ATTR, True)
            setattr(request, RETRY_AFTER_ATTR, wait)
            raise PermissionDenied("this login must wait before the next attempt")
        return None


def retry_after_seconds(wait: dt.timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def throttled_message() -> str:
    return _("Too many failed attempts for this login. Wait a few minutes and try again, or call us.")


def throttled_response(request: HttpRequest, wait: dt.timedelta) -> HttpResponse:
    """429 with ``Retry-After``: the API's ``{"code": "throttled"}``, or the lockout page with the minutes to wait.
    Nothing in it depends on whether the login exists."""
    seconds = retry_after_seconds(wait)
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"code": THROTTLED_CODE, "message": throttled_message()}, status=429)
    else:
        match = getattr(request, "resolver_match", None)
        staff_side = match is not None and match.namespace in {"staff", "admin"}
        template = "staff/two_factor/locked_out.html" if staff_side else "portal/account/locked_out.html"
        response = render(request, template, {"minutes": math.ceil(seconds / 60)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class LoginThrottleMiddleware:
    """After the view: a login refused by the per-login delay gets the throttled answer instead of the door's
    "wrong login or password" (the way axes' middleware answers a lockout)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        wait = getattr(request, RETRY_AFTER_ATTR, None)
        if wait is not None:
            return throttled_response(request, wait)
        return response


def password_recheck_refused(request: HttpRequest, login: str) -> HttpResponse | None:
    """Before a current password is checked again (a password change): the answer if the login is locked at this
    address or must wait, else None."""
    from axes.handlers.proxy import AxesProxyHandler

    if not AxesProxyHandler.is_allowed(request, {"username": login}):
        return lockout_response(request)
    wait = login_wait(request, login)
    return throttled_response(request, wait) if wait is not None else None


def password_recheck_failed(request: HttpRequest, login: str) -> HttpResponse | None:
    """A wrong current password counts as a failed login (lockout and throttle); the answer if that locked the
    login, else None (the page shows its form error)."""
    user_login_failed.send(sender=__name__, credentials={"username": login}, request=request)
    if getattr(request, "axes_locked_out", False):
        return lockout_response(request)
    wait = login_wait(request, login)
    return throttled_response(request, wait) if wait is not None else None
