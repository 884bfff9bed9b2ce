"""A staff member changes their own password (the same form as the patient's "Moje konto"; the session stays)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import services, throttle
from carenet.web.access import acting_user, staff_required


@staff_required()
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(acting_user(request), request.POST or None)
    if request.method == "POST":
        # A wrong current password counts as a failed login (lockout and per-login throttle), refused while locked.
        login = form.user.get_username()
        refused = throttle.password_recheck_refused(request, login)
        if refused is not None:
            return refused
        if form.is_valid():
            # The service, not form.save(): it also revokes the API tokens (ACC-6).
            user = services.user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("staff:dashboard")
        if form.has_error("old_password", "password_incorrect"):
            refused = throttle.password_recheck_failed(request, login)
            if refused is not None:
                return refused
        return render(request, "staff/two_factor/password_change.html", {"form": form}, status=400)
    return render(request, "staff/two_factor/password_change.html", {"form": form})
