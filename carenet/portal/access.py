"""Who may open the patient's pages: a logged-in user with the patient role and a patient record."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from carenet.accounts.models import Patient, User
from carenet.accounts.policies import Feature, feature_allowed

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest) -> HttpResponse:
    """A friendly 403 page (never a bare error): says who the page is for and where to go instead."""
    return render(request, "portal/forbidden.html", status=403)


def patient_of(user: Any) -> Patient | None:
    if not user.is_authenticated or user.role != User.Role.PATIENT:
        return None
    return Patient.objects.filter(user=user).first()


def patient_required(view: View) -> View:
    """Anonymous visitors go to the patient login; staff and users without a patient record get a 403 page.

    The view receives the logged-in patient as ``request.patient``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        patient = patient_of(request.user)
        if patient is None:
            return forbidden(request)
        request.patient = patient  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of a page behind ``patient_required`` or a staff check."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("The page needs a logged-in user.")
    return user


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
