"""Who may open a page: every page asks the permission table (:mod:`carenet.accounts.permissions`) about the
request's :class:`~carenet.accounts.permissions.Actor` — never a role string (SEC, ACC-3, ACC-4, ACC-7, CLN-6)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import actor_for_user, actor_patient
from carenet.core import clock
from carenet.coverage.selectors import package_active_for
from carenet.web.session_user import PACKAGE_IN_FORCE_ATTR

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest) -> HttpResponse:
    """A friendly 403 page (never a bare error): says who the page is for and where to go instead."""
    return render(request, "portal/forbidden.html", status=403)


def request_actor(request: HttpRequest) -> Actor:
    """The actor of the request's user — the API's bearer-token user when the API authenticated one — built once
    per request (kept on the user object)."""
    authenticated = getattr(request, "auth", None)
    return actor_for_user(authenticated if isinstance(authenticated, User) else request.user)


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of a page behind ``patient_required`` or ``staff_required``."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("The page needs a logged-in user.")
    return user


def patient_required(view: View) -> View:
    """The patient's pages (``PORTAL_USE``): anonymous visitors go to the patient login; staff and logins without a
    patient record get a 403 page; ACC-7: a patient whose family has no package in force gets a page saying so.

    The view receives the logged-in patient as ``request.patient``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        actor = request_actor(request)
        if not actor.can(Action.PORTAL_USE) or actor.patient_id is None:
            return forbidden(request)
        # ACC-7: the patient's own package, when it was read with the session's login (issue 16), settles it.
        in_force = getattr(request.user, PACKAGE_IN_FORCE_ATTR, None) is True
        if not in_force and not package_active_for(patient_ids=actor.family_ids, day=clock.today()):
            return render(request, "portal/package_inactive.html", status=403)
        request.patient = actor_patient(request.user)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def level_two_required(feature: Feature) -> Callable[[View], View]:
    """ACC-3, ACC-4: a page for level II accounts (``feature`` is one of ``accounts.policies.LEVEL_TWO_FEATURES``).

    Behind ``patient_required``; a level I patient gets a friendly 403 page that explains how to confirm their
    identity, with a link to the "Confirm identity" page — never the page itself."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            patient: Patient = request.patient  # type: ignore[attr-defined]
            if not feature_allowed(feature, level=patient.account_level):
                return render(request, "portal/identity/level_two_required.html", {"feature": feature}, status=403)
            return view(request, *args, **kwargs)

        return patient_required(checked)

    return decorator


def staff_required(action: Action = Action.CONSOLE_OPEN) -> Callable[[View], View]:
    """A console page for whoever the table lets do ``action``: anonymous users go to the staff login; patients and
    staff without the grant get a 403 page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            actor = request_actor(request)
            if not actor.is_staff or not actor.can(action):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
