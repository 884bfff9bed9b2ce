"""``/auth/token``: bearer tokens for the mobile apps (issue with login and password, revoke)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from carenet.accounts.models import User
from carenet.api.auth import bearer_auth, token_issue, token_revoke
from carenet.api.schemas import ErrorOut, InvalidInputOut, TokenIn, TokenOut
from carenet.core import clock
from carenet.core.errors import ApplicationError

router = Router(tags=["auth"])


class InvalidCredentials(ApplicationError):
    status_code = 401
    default_code = "invalid_credentials"


class LockedOut(ApplicationError):
    status_code = 429
    default_code = "locked_out"


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 422: InvalidInputOut, 429: ErrorOut},
    summary="Issue a bearer token",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    """Log in with the login and password; answers a bearer token for the mobile app (shown once). Repeated
    failures lock the login for a while (429 `locked_out`); wrong credentials answer 401 `invalid_credentials`."""
    user = authenticate(request, username=payload.login, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut(_("Too many failed attempts. Try again later or call us."))
    if not isinstance(user, User) or not user.is_active:
        raise InvalidCredentials(_("The login or the password is wrong."))
    token, record = token_issue(user=user, name=payload.name, now=clock.now())
    return Status(201, TokenOut(token=token, expires_at=record.expires_at))


@router.delete("/auth/token", auth=bearer_auth, response={204: None, 401: ErrorOut}, summary="Revoke this token")
def token_delete(request: HttpRequest) -> Status:
    """Revoke the bearer token this request was made with (logging out of the app)."""
    token_revoke(record=request.carenet_token, now=clock.now())  # type: ignore[attr-defined]
    return Status(204, None)
