"""Registration and the first password (ACC-1, ACC-2, ACC-7): the form, "we sent you an SMS" with a resend
button, and the page where a patient sets their own password after the first login. Each state change is one
accounts-service call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carenet.accounts import services
from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.core.errors import ApplicationError, ValidationFailed
from carenet.web.access import acting_user

#: The session remembers whom this browser just registered, so only it may ask for the SMS again.
SESSION_KEY = "carenet_registered_user"

#: Which form field a refusal belongs to; the others are shown above the form.
FIELD_OF_CODE = {"login_taken": "login", "login_invalid": "login", "email_invalid": "email", "name_required": None}


class RegistrationForm(forms.Form):
    """ACC-1: the six things registration asks for; PESEL and mobile are checked as the services check them."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=60)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=80)
    pesel = forms.CharField(label=gettext_lazy("PESEL"), max_length=11, min_length=11)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    mobile = forms.CharField(
        label=gettext_lazy("Mobile phone"), max_length=20, help_text=gettext_lazy("We text your first password here.")
    )
    login = forms.CharField(
        label=gettext_lazy("Login"),
        max_length=150,
        help_text=gettext_lazy("Letters, digits and @ . + - _ only; you will log in with it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        autocomplete = {
            "first_name": "given-name",
            "last_name": "family-name",
            "pesel": "off",
            "email": "email",
            "mobile": "tel",
            "login": "username",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["pesel"].widget.attrs["inputmode"] = "numeric"
        self.fields["mobile"].widget.attrs["inputmode"] = "tel"

    def clean_pesel(self) -> str:
        try:
            return services.pesel_check(self.cleaned_data["pesel"]).pesel
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def clean_mobile(self) -> str:
        try:
            return services.mobile_check(self.cleaned_data["mobile"])
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """ACC-1: register against the roster; on success the first password goes out by SMS (ACC-2)."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.patient_register(
                first_name=data["first_name"],
                last_name=data["last_name"],
                pesel=data["pesel"],
                email=data["email"],
                mobile=data["mobile"],
                login=data["login"],
            )
        except ApplicationError as exc:
            form.add_error(FIELD_OF_CODE.get(exc.code), str(exc.message))
        else:
            request.session[SESSION_KEY] = user.pk
            return redirect("portal:first_password")
    return render(request, "portal/registration/register.html", {"form": form})


def _registered_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(SESSION_KEY)
    return User.objects.filter(pk=user_id, must_change_password=True).first() if user_id else None


@require_http_methods(["GET", "POST"])
def first_password(request: HttpRequest) -> HttpResponse:
    """ACC-2: "we sent you an SMS with the password", and a resend button (at most 3 SMS per phone per hour)."""
    user = _registered_user(request)
    if user is None:
        return redirect("portal:login")
    if request.method == "POST":
        try:
            services.first_password_send(user=user)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("We have sent a new password. The previous one no longer works."))
        return redirect("portal:first_password")
    patient = getattr(user, "patient", None)
    mobile = patient.mobile if patient is not None else ""
    context = {"login": user.username, "mobile_end": mobile[-3:]}
    return render(request, "portal/registration/first_password.html", context)


@login_required(login_url="portal:login")
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest) -> HttpResponse:
    """ACC-2: the patient chooses their own password (no old password asked: they logged in a moment ago with a
    first password). Only while the account must change its password (the first login, a reset by staff); any
    other session changes it with the current one — "Moje konto" for a patient, the staff password page."""
    user = acting_user(request)
    if not user.must_change_password:
        if actor_for_user(user).can(Action.PORTAL_USE):
            return redirect(reverse("portal:account") + "#password-change")
        return redirect("staff:password_change")
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_password_set(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("Your password is set. Use it from now on."))
        return redirect("portal:visits" if actor_for_user(user).can(Action.PORTAL_USE) else "staff:dashboard")
    return render(request, "portal/registration/set_password.html", {"form": form})


__all__ = ["first_password", "register", "set_password"]
