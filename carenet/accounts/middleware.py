"""ACC-2: a patient who logged in with the first password sets their own before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    """Every page of a user who must change their password leads to the "set your password" page (logging out
    and static files excepted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            # The second login step (two-factor code) comes before the new password.
            allowed = (
                reverse("portal:set_password"),
                reverse("portal:logout"),
                reverse("portal:login_code"),
                reverse("staff:two_factor"),
                reverse("staff:two_factor_enrol"),
            )
            static = settings.STATIC_URL or "/static/"
            if request.path not in allowed and not request.path.startswith(static):
                return redirect("portal:set_password")
        return self.get_response(request)
