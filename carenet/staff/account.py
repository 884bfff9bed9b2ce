"""A staff member changes their own password (the same form as the patient's "Moje konto"; the session stays)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import services
from carenet.web.access import acting_user, staff_required


@staff_required()
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(acting_user(request), request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            # The service, not form.save(): it also revokes the API tokens (ACC-6).
            user = services.user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("staff:dashboard")
        return render(request, "staff/two_factor/password_change.html", {"form": form}, status=400)
    return render(request, "staff/two_factor/password_change.html", {"form": form})
