"""The logged-in user of a request's session (issue 16, SPEC PERF, ACC-7).

Django's ``AuthenticationMiddleware`` reads the login by primary key, then every page asks in queries of their
own whether it has a confirmed two-step device, its patient record and children, and whether a package is in
force. :class:`SessionUserMiddleware` reads the login with all of that in ONE statement, compiled once per process
and day (:mod:`carenet.core.baked`), as the API's bearer token is read (``carenet.api.auth``).

The outcome is Django's own: the login is taken only when the session names a backend whose ``get_user`` is
``ModelBackend``'s, the login is active and the session's hash matches the password's; any other case — no such
login, an inactive one, a changed password, another backend — goes to ``django.contrib.auth.get_user`` as before
(which logs the session out where it must). Nothing is kept between requests: a logout, a new device, a revoked
grant or a lapsed package count at the next request."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from carenet.accounts.models import User
from carenet.accounts.selectors import actor_prime, minors_of_login_q
from carenet.accounts.two_factor import confirmed_device_q
from carenet.core import clock
from carenet.core.baked import BakedQuery
from carenet.coverage.selectors import package_in_force_of_login

#: Set on the session's login: whether the patient's own package is in force today (ACC-7, see ``patient_required``).
PACKAGE_IN_FORCE_ATTR = "package_in_force"


def _session_login(today: dt.date, *, pk: int) -> QuerySet[User]:
    return (
        User.objects.select_related("patient")
        .annotate(
            has_minors=minors_of_login_q(today=today, user_ref=OuterRef("pk")),
            package_in_force=package_in_force_of_login(day=today, user_ref=OuterRef("pk")),
            has_confirmed_device=confirmed_device_q(user_ref=OuterRef("pk")),
        )
        .filter(pk=pk)[:1]
    )


#: Compiled once a day per process (the day shapes the children's and the package's conditions).
_SESSION_LOGIN = BakedQuery(User, _session_login)


@functools.cache
def _model_backends(backends: tuple[str, ...]) -> frozenset[str]:
    """The configured backends that find a session's login as ``ModelBackend`` does (its ``get_user`` and its
    ``user_can_authenticate``: the login by primary key, if active)."""
    return frozenset(
        path
        for path in backends
        if getattr(type(auth.load_backend(path)), "get_user", None) is ModelBackend.get_user
        and getattr(type(auth.load_backend(path)), "user_can_authenticate", None) is ModelBackend.user_can_authenticate
    )


def session_user(request: HttpRequest) -> Any:
    """The request's user, as ``django.contrib.auth.get_user`` answers it, read in one statement when it can be."""
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
        session_hash = session[auth.HASH_SESSION_KEY]
    except Exception:  # noqa: BLE001 - no login, or an odd session: Django answers (and raises) as it always did
        return auth.get_user(request)
    backends: Iterable[str] = settings.AUTHENTICATION_BACKENDS
    if not isinstance(user_id, int) or backend_path not in _model_backends(tuple(backends)):
        return auth.get_user(request)
    today = clock.today()
    user = _SESSION_LOGIN.first(shape=today, pk=user_id)
    if (
        user is None
        or not user.is_active
        or not session_hash
        or not constant_time_compare(session_hash, user.get_session_auth_hash())
    ):
        return auth.get_user(request)  # Django decides: gone, inactive, a changed password (its fallback keys)
    patient = getattr(user, "patient", None)  # the reverse one-to-one read above (None: no patient record)
    actor_prime(user, patient=patient, has_minors=bool(user.has_minors), today=today)  # type: ignore[attr-defined]
    return user


def _cached_session_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)  # type: ignore[attr-defined]  # Django's own attribute
    return request._cached_user  # type: ignore[attr-defined]


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` (``request.user``, ``request.auser``), the login read by
    :func:`session_user`."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # its checks, and request.auser
        request.user = SimpleLazyObject(lambda: _cached_session_user(request))  # type: ignore[assignment]
