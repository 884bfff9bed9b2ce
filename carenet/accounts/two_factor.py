"""TOTP two-factor login (django-otp): who must give a code, checking a code once, enrolling and removing a device.

- Staff (every role but patient, and superusers) must use a TOTP app when ``CARENET_STAFF_TOTP_REQUIRED`` is on
  (the default; the test settings switch it off): after the password a staff member without a confirmed device
  enrols one (QR code + secret), one with a device types its code. Patients may turn TOTP on under "Moje konto";
  then their login asks for the code too.
- The password alone opens only an *unverified* session: :class:`TwoFactorMiddleware` lets it reach the code and
  enrolment pages and logging out, nothing else (pages redirect there, the JSON API treats it as anonymous). So the
  staff consoles, the Django admin and the portal are all guarded in this one place.
- A code works once (django-otp keeps the last accepted time step; the check runs on the locked device row), wrong
  codes are throttled per device (1 s, 2 s, 4 s, ... between tries) and count as failed logins for the lockout.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import Exists
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.lockout import API_PREFIX, client_ip, lockout_response
from carenet.accounts.models import User
from carenet.accounts.permissions import STAFF_ROLES, role_of

DEVICE_NAME = "CareNet"
CODE_PATTERN = re.compile(r"\d{6}")


class Step(enum.StrEnum):
    """What an authenticated session still owes before it may do anything."""

    NONE = "none"
    VERIFY = "verify"
    ENROL = "enrol"


class Outcome(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"
    LOCKED = "locked"


# --- Rules (pure) ---------------------------------------------------------------------------------------------


def second_factor_step(*, is_staff: bool, has_device: bool, staff_totp_required: bool) -> Step:
    """A confirmed device is always asked for; staff without one enrol when the setting requires it; a patient
    without one logs in with the password alone (TOTP is optional for patients)."""
    if has_device:
        return Step.VERIFY
    if is_staff and staff_totp_required:
        return Step.ENROL
    return Step.NONE


def normalize_code(raw: str | None) -> str | None:
    """Six digits, spaces or a dash allowed in between ("123 456"); anything else is no code at all."""
    digits = re.sub(r"[\s-]", "", raw or "")
    return digits if CODE_PATTERN.fullmatch(digits) else None


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- Reads ----------------------------------------------------------------------------------------------------


def is_staff_member(user: Any) -> bool:
    """Whether the login works in the consoles (the permission table's staff roles; a superuser is staff)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):  # whoever may open the back office logs in with two steps
        return True
    return role_of(role=str(user.role), is_superuser=bool(user.is_superuser)) in STAFF_ROLES


#: Set on a login read by a request's session together with whether it has a confirmed device (issue 16): the
#: two-step check of that request then needs no query of its own.
HAS_DEVICE_ATTR = "has_confirmed_device"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def confirmed_device_q(*, user_ref: Any) -> Exists:
    """Whether the login ``user_ref`` (an ``OuterRef`` to a user id) has a confirmed device, for a query that reads
    the login (:data:`HAS_DEVICE_ATTR`)."""
    return Exists(TOTPDevice.objects.filter(user_id=user_ref, confirmed=True))


def step_for(user: Any) -> Step:
    has_device = getattr(user, HAS_DEVICE_ATTR, None)  # read with the login by this request's session, if it was
    if not isinstance(has_device, bool):
        has_device = confirmed_device(user) is not None
    return second_factor_step(
        is_staff=is_staff_member(user),
        has_device=has_device,
        staff_totp_required=bool(getattr(settings, "CARENET_STAFF_TOTP_REQUIRED", True)),
    )


def session_step(request: HttpRequest) -> Step:
    """What this request's session still owes: nothing for anonymous visitors and verified sessions."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Step.NONE
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return Step.NONE
    return step_for(user)


def step_url(user: Any, step: Step) -> str:
    if not is_staff_member(user):
        return reverse("portal:login_code")
    return reverse("staff:two_factor_enrol" if step is Step.ENROL else "staff:two_factor")


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in (base32, without padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def secret_grouped(device: TOTPDevice) -> str:
    secret = secret_base32(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no external request, allowed by the CSP). It scales with its box
    (a viewBox, no fixed size: a long login makes a bigger code, which must still fit a 320 px phone) and is named
    by the page (templates/accounts/_authenticator_setup.html) in its language (BEY-5, issue 14)."""
    code = segno.make(device.config_url, error="m")
    return str(code.svg_inline(scale=5, light="#fff", title=_("QR code for the authenticator app"), omitsize=True))


# --- State changes --------------------------------------------------------------------------------------------


def enrolment_device(*, user: User) -> TOTPDevice:
    """The user's device being set up: the same unconfirmed one until confirmed, so the QR code stays put."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        return device


def code_check(*, request: HttpRequest, user: User, device_id: int, code: str | None) -> Outcome:
    """Check ``code`` against the user's device, once: the device row is locked so two requests with the same code
    cannot both pass. A wrong code counts as a failed login for axes (keyed on login and address)."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return Outcome.LOCKED
    token = normalize_code(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user).first()
        if device is None:
            return Outcome.INVALID
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return Outcome.THROTTLED
        verified = device.verify_token(token or "")
    if verified:
        return Outcome.OK
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return Outcome.LOCKED if getattr(request, "axes_locked_out", False) else Outcome.INVALID


def device_confirm(*, user: User, device_id: int) -> TOTPDevice:
    """Enrolment done: this device is the user's one; any other left over from an earlier attempt goes."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device_id, user=user)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return device


def devices_remove(*, user: User) -> int:
    """Turn two-factor login off for the user (a patient's choice, after password and code; or staff resetting the
    password of a patient who lost their authenticator, ACC-6). Returns how many devices went."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return deleted


def session_verify(request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session as verified with ``device`` (django-otp keeps the device's id in the session). The login is
    complete now: its failed attempts are cleared (:func:`login_failures_reset`)."""
    otp_login(request, device)
    login_failures_reset(request, device.user)


def login_failures_reset(request: HttpRequest, user: Any) -> int:
    """Clear the failed logins of ``user`` from this request's address (axes) — only once the WHOLE login is done.

    ``AXES_RESET_ON_SUCCESS`` is off: axes would clear them when the password step succeeds, before the code is
    checked, so someone knowing the password could loop "password, wrong codes, password …" forever. Instead an
    account that owes no code is cleared right after the password (:func:`_password_step_done`), one that owes a
    code (or an enrolment) when the session is verified (:func:`session_verify`). Front doors that complete a login
    themselves (the API token endpoint) call this after the code is accepted."""
    from axes.utils import reset

    from carenet.accounts.throttle import login_success_record

    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    login_success_record(request, user.get_username())  # the per-login delay, and this address now known
    return reset(ip=address, username=user.get_username())


def _password_step_done(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: the password was right; the failures are cleared only when no code is owed."""
    if request is not None and step_for(user) is Step.NONE:
        login_failures_reset(request, user)


user_logged_in.connect(_password_step_done, dispatch_uid="carenet.accounts.two_factor.password_step_done")


def locked(request: HttpRequest) -> HttpResponse:
    """Too many wrong codes: the half-done login is dropped and the lockout page answers."""
    auth_logout(request)
    return lockout_response(request)


# --- Enforcement ----------------------------------------------------------------------------------------------

#: What an unverified session may reach: the steps themselves, logging out, switching the language.
OPEN_VIEWS = frozenset(
    {"staff:two_factor", "staff:two_factor_enrol", "portal:login_code", "staff:logout", "portal:logout", "set_language"}
)


class TwoFactorMiddleware:
    """After django-otp's middleware: a session that still owes a code (or a staff enrolment) is sent to that step
    from every page, the Django admin included; for the JSON API it is no credential at all (anonymous)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = session_step(request)
        if step is Step.NONE:
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            request.user = AnonymousUser()
            return self.get_response(request)
        static = settings.STATIC_URL or "/static/"
        if request.path.startswith(static if static.startswith("/") else f"/{static}"):
            return self.get_response(request)
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            view_name = ""
        if view_name in OPEN_VIEWS:
            return self.get_response(request)
        target = step_url(request.user, step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
