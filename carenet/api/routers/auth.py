"""``/auth/token``: bearer tokens for the mobile apps (issue with login and password, revoke)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Status

from carenet.accounts import two_factor
from carenet.accounts.models import User
from carenet.api.auth import bearer_auth, token_issue, token_revoke
from carenet.api.schemas import ErrorOut, InvalidInputOut, TokenIn, TokenOut
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.core.validation import Text

router = Router(tags=["auth"])


class InvalidCredentials(ApplicationError):
    status_code = 401
    default_code = "invalid_credentials"


class LockedOut(ApplicationError):
    status_code = 429
    default_code = "locked_out"


class PasswordChangeRequired(ApplicationError):
    status_code = 403
    default_code = "password_change_required"


class OtpRequired(ApplicationError):
    status_code = 401
    default_code = "otp_required"


class OtpInvalid(ApplicationError):
    status_code = 401
    default_code = "otp_invalid"


class OtpThrottled(ApplicationError):
    status_code = 429
    default_code = "otp_throttled"


class TokenWithOtpIn(TokenIn):
    otp: Text = Field(
        "",
        max_length=12,
        description="The 6-digit code from the authenticator app: required when the account has two-step login "
        "(every staff account, and patients who turned it on).",
    )


def _second_factor(request: HttpRequest, user: User, otp: str) -> None:
    """Two-step login for the API: without `otp` 401 `otp_required`; a wrong or reused code 401 `otp_invalid`
    (it counts as a failed login for the lockout); too many in a row 429 `otp_throttled`."""
    step = two_factor.step_for(user)
    if step is two_factor.Step.NONE:
        return
    device = two_factor.confirmed_device(user)
    if device is None:
        raise OtpRequired(_("Set up the authenticator app by logging in on the website first."))
    if not otp:
        raise OtpRequired(_("Send the code from the authenticator app in `otp`."))
    outcome = two_factor.code_check(request=request, user=user, device_id=device.pk, code=otp)
    if outcome is two_factor.Outcome.LOCKED:
        raise LockedOut(_("Too many failed attempts. Try again later or call us."))
    if outcome is two_factor.Outcome.THROTTLED:
        raise OtpThrottled(_("Too many wrong codes in a row. Wait a few seconds and try again."))
    if outcome is not two_factor.Outcome.OK:
        raise OtpInvalid(_("The code is wrong or has already been used."))


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: InvalidInputOut, 429: ErrorOut},
    summary="Issue a bearer token",
)
def token_create(request: HttpRequest, payload: TokenWithOtpIn) -> Status:
    """Log in with the login and password; answers a bearer token for the mobile app (shown once). Repeated
    failures lock the login for a while (429 `locked_out`, the same for every login), and many failures of one
    login from any addresses make each further attempt wait (429 `throttled` with `Retry-After`, the password not
    checked); wrong credentials answer 401
    `invalid_credentials`, whether the login exists or not. With two-step login, `otp` carries the app's code
    (401 `otp_required` / `otp_invalid`, 429 `otp_throttled`). The first password sent by SMS is for the website
    only (401 here); an account that must set its own password first gets 403 `password_change_required`."""
    # ACC-2: the SMS first password works only on the website, which then asks for the patient's own password.
    user = authenticate(request, username=payload.login, password=payload.password, first_password=False)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut(_("Too many failed attempts. Try again later or call us."))
    if not isinstance(user, User) or not user.is_active:
        raise InvalidCredentials(_("The login or the password is wrong."))
    if user.must_change_password:
        raise PasswordChangeRequired(_("Set your own password on the CareNet website first, then log in here."))
    _second_factor(request, user, payload.otp)
    token, record = token_issue(user=user, name=payload.name, now=clock.now())
    two_factor.login_failures_reset(request, user)  # the whole login is done: password (and code) accepted
    return Status(201, TokenOut(token=token, expires_at=record.expires_at))


@router.delete("/auth/token", auth=bearer_auth, response={204: None, 401: ErrorOut}, summary="Revoke this token")
def token_delete(request: HttpRequest) -> Status:
    """Revoke the bearer token this request was made with (logging out of the app)."""
    token_revoke(record=request.carenet_token, now=clock.now())  # type: ignore[attr-defined]
    return Status(204, None)
