"""How the API knows who is calling: a bearer token (mobile apps) or the Django session (the HTMX portal).

Tokens are random 256-bit strings shown once at issue; the database keeps only their SHA-256. A session-authenticated
write must carry the CSRF token (the portal's pages send it); a bearer-authenticated one needs none, since a browser
never attaches the header on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from carenet.accounts.models import User
from carenet.accounts.selectors import actor_prime, minors_of_login_q
from carenet.api.models import AccessToken
from carenet.core import clock
from carenet.core.baked import BakedQuery
from carenet.core.replicas import primary_reads
from carenet.coverage.selectors import package_in_force_of_login

#: How long a mobile app's token lasts; the app asks for a new one with the patient's login and password.
TOKEN_LIFETIME = dt.timedelta(days=int(getattr(settings, "CARENET_API_TOKEN_DAYS", 30)))
#: ``last_used_at`` is refreshed at most this often, so a busy app does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)

TOKEN = "token"  # noqa: S105 - the name of an authentication method, not a secret
SESSION = "session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, user: User, name: str, now: dt.datetime) -> tuple[str, AccessToken]:
    """A new bearer token for ``user``: returns the token (shown once) and its stored record."""
    token = secrets.token_urlsafe(32)
    record = AccessToken.objects.create(
        user=user, key_hash=token_hash(token), name=name, created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    return token, record


def token_revoke(*, record: AccessToken, now: dt.datetime) -> None:
    AccessToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=now)


def tokens_revoke_for(*, user: User, now: dt.datetime) -> int:
    """ACC-6: revoke every live bearer token of ``user`` (after a password change or a reset by staff; called
    through :data:`carenet.accounts.models.password_changed`). Returns how many were revoked."""
    return AccessToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=now)


def _live_token_query(today: dt.date, *, key_hash: str, now: dt.datetime) -> QuerySet[AccessToken]:
    return (
        AccessToken.objects.select_related("user", "user__patient")
        .annotate(
            has_minors=minors_of_login_q(today=today, user_ref=OuterRef("user_id")),
            package_in_force=package_in_force_of_login(day=today, user_ref=OuterRef("user_id")),
        )
        .filter(
            key_hash=key_hash,
            revoked_at__isnull=True,
            expires_at__gt=now,
            user__is_active=True,
            user__must_change_password=False,
        )[:1]
    )


#: Every API request looks its token up: the statement is compiled once a day per process (issue 16; the day
#: shapes the minors' and the package's conditions), only the token's hash and the time change.
_LIVE_TOKEN = BakedQuery(AccessToken, _live_token_query)


def token_find(token: str, *, now: dt.datetime) -> AccessToken | None:
    """The live record of ``token``: not revoked, not expired, of an active user who is not waiting to set their
    own password (after a reset by staff, ACC-6, the app must log in again).

    One query reads what every request of the app asks next (issue 16): the login, its patient record, whether it
    is the guardian of a child under 18 (else the actor needs no family query: :func:`actor_prime`) and whether
    the patient's own package is in force today (``package_in_force``: ACC-7 settled without a query of its own)."""
    today = clock.local(now).date()
    record = _LIVE_TOKEN.first(shape=today, key_hash=token_hash(token), now=now)
    if record is not None:
        user = record.user
        patient = getattr(user, "patient", None)  # the reverse one-to-one read above (None: no patient record)
        actor_prime(user, patient=patient, has_minors=record.has_minors, today=today)  # type: ignore[attr-defined]
    return record


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        now = clock.now()
        with primary_reads():  # issue 16: a token revoked a moment ago is refused, whatever a replica still has
            record = token_find(token, now=now)
        if record is None:
            return None
        if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
            AccessToken.objects.filter(pk=record.pk).update(last_used_at=now)
        request.carenet_auth_method = TOKEN  # type: ignore[attr-defined]
        request.carenet_token = record  # type: ignore[attr-defined]
        request.carenet_package_in_force = record.package_in_force  # type: ignore[attr-defined]
        return record.user


class SessionAuth(APIKeyCookie):
    """The portal's session. Unlike ninja's own, an anonymous caller is simply not authenticated (401), and the
    CSRF check applies to logged-in sessions only, where it matters."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if self.csrf and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        request.carenet_auth_method = SESSION  # type: ignore[attr-defined]
        return user


bearer_auth = BearerAuth()
session_auth = SessionAuth(csrf=True)
#: Every endpoint that needs a person: a token first, else the session.
USER_AUTH = [bearer_auth, session_auth]


def auth_method(request: HttpRequest) -> str:
    return getattr(request, "carenet_auth_method", SESSION)


def request_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
