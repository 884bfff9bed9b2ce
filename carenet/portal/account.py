"""The patient's "Moje konto": login, level, the identity-confirmation link (ACC-5), the password change, and the
optional TOTP two-factor login (turn on with a QR code and a code, turn off with the password and a code).

Also the code step of a login that owes a second factor (:func:`verify_step`), shared with the staff side.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts import services, two_factor
from carenet.accounts.two_factor import Outcome, Step
from carenet.web.access import acting_user, patient_required


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = two_factor.normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_("Type the 6 digits the app shows."))
        return code


class DisableForm(CodeForm):
    password = forms.CharField(label=gettext_lazy("Your password"), strip=False, widget=forms.PasswordInput)

    field_order = ["password", "code"]


def outcome_message(outcome: Outcome) -> str:
    if outcome is Outcome.THROTTLED:
        return _("Too many wrong codes in a row. Wait a few seconds and try again.")
    return _("The code is wrong or has already been used. Type the current code from the app.")


def _default_next(user: Any) -> str:
    return reverse("staff:dashboard") if two_factor.is_staff_member(user) else reverse("portal:visits")


def _next_query(next_url: str) -> str:
    return "?" + urlencode({"next": next_url})


def verify_step(request: HttpRequest, *, template: str, staff_side: bool) -> HttpResponse:
    """The second step of a login: the code from the user's app. Staff and patients each have their own page; a
    session that owes nothing goes on to where it was heading."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("staff:login" if staff_side else "portal:login"))
    next_url = two_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"), _default_next(user))
    step = two_factor.session_step(request)
    if step is Step.NONE:
        return redirect(next_url)
    if step is Step.ENROL or two_factor.is_staff_member(user) != staff_side:
        return redirect(two_factor.step_url(user, step) + _next_query(next_url))
    device = two_factor.confirmed_device(user)
    assert device is not None  # Step.VERIFY means there is one
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = two_factor.code_check(
            request=request, user=acting_user(request), device_id=device.pk, code=form.cleaned_data["code"]
        )
        if outcome is Outcome.OK:
            two_factor.session_verify(request, device)
            return redirect(next_url)
        if outcome is Outcome.LOCKED:
            return two_factor.locked(request)
        form.add_error("code", outcome_message(outcome))
    return render(request, template, {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The patient's code step, when they turned two-factor login on."""
    return verify_step(request, template="portal/account/login_code.html", staff_side=False)


def _identity_url() -> str | None:
    """ACC-5: where a level I patient confirms their identity (hidden while that page does not exist)."""
    try:
        return reverse("portal:identity")
    except NoReverseMatch:
        return None


def _account_page(
    request: HttpRequest,
    *,
    password_form: PasswordChangeForm | None = None,
    disable_form: DisableForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    patient = request.patient  # type: ignore[attr-defined]
    context = {
        "patient": patient,
        "level": patient.account_level,
        "identity_url": _identity_url(),
        "password_form": password_form or PasswordChangeForm(user),
        "two_factor_on": two_factor.confirmed_device(user) is not None,
        "disable_form": disable_form or DisableForm(),
    }
    return render(request, "portal/account/account.html", context, status=status)


@patient_required
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    """ "Moje konto"."""
    return _account_page(request)


@patient_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    """Change the password with the current one; the session stays logged in (and verified)."""
    form = PasswordChangeForm(acting_user(request), request.POST)
    if not form.is_valid():
        return _account_page(request, password_form=form, status=400)
    # The service, not form.save(): it also revokes the API tokens (ACC-6).
    user = services.user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
    update_session_auth_hash(request, user)
    messages.success(request, _("Your password has been changed."))
    return redirect("portal:account")


@patient_required
@require_http_methods(["GET", "POST"])
def two_factor_enable(request: HttpRequest) -> HttpResponse:
    """Turn on two-factor login: scan the QR code (or type the secret) into an app, then confirm with its code."""
    user = acting_user(request)
    if two_factor.confirmed_device(user) is not None:
        messages.info(request, _("Two-step login is already on."))
        return redirect("portal:account")
    device = two_factor.enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = two_factor.code_check(request=request, user=user, device_id=device.pk, code=form.cleaned_data["code"])
        if outcome is Outcome.OK:
            confirmed = two_factor.device_confirm(user=user, device_id=device.pk)
            two_factor.session_verify(request, confirmed)
            messages.success(request, _("Two-step login is on. From now on the login asks for a code from the app."))
            return redirect("portal:account")
        if outcome is Outcome.LOCKED:
            return two_factor.locked(request)
        form.add_error("code", outcome_message(outcome))
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_grouped(device),
    }
    return render(request, "portal/account/enable.html", context, status=400 if form.errors else 200)


@patient_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login off: the current password and a current code, so a borrowed session cannot."""
    user = acting_user(request)
    device = two_factor.confirmed_device(user)
    if device is None:
        return redirect("portal:account")
    form = DisableForm(request.POST)
    if not form.is_valid():
        return _account_page(request, disable_form=form, status=400)
    if not user.check_password(form.cleaned_data["password"]):
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        if getattr(request, "axes_locked_out", False):
            return two_factor.locked(request)
        form.add_error("password", _("The password is wrong."))
        return _account_page(request, disable_form=form, status=400)
    outcome = two_factor.code_check(request=request, user=user, device_id=device.pk, code=form.cleaned_data["code"])
    if outcome is Outcome.LOCKED:
        return two_factor.locked(request)
    if outcome is not Outcome.OK:
        form.add_error("code", outcome_message(outcome))
        return _account_page(request, disable_form=form, status=400)
    two_factor.devices_remove(user=user)
    messages.success(request, _("Two-step login is off. The login asks only for your password."))
    return redirect("portal:account")
