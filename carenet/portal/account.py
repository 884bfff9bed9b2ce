"""The patient's "Moje konto": login, level, the identity-confirmation link (ACC-5), the password change, and the
optional TOTP two-factor login (turn on with a QR code and a code, turn off with the password and a code).

Also the code step of a login that owes a second factor (:func:`verify_step`), shared with the staff side.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts import services, throttle, two_factor
from carenet.accounts.two_factor import Outcome
from carenet.web.access import acting_user, patient_required
from carenet.web.two_factor import CodeForm, outcome_message, verify_step


class DisableForm(CodeForm):
    password = forms.CharField(label=gettext_lazy("Your password"), strip=False, widget=forms.PasswordInput)

    field_order = ["password", "code"]


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
    """Change the password with the current one; the session stays logged in (and verified). A wrong current
    password counts as a failed login (lockout and per-login throttle) and is refused while locked."""
    login = acting_user(request).get_username()
    refused = throttle.password_recheck_refused(request, login)
    if refused is not None:
        return refused
    form = PasswordChangeForm(acting_user(request), request.POST)
    if not form.is_valid():
        if form.has_error("old_password", "password_incorrect"):
            refused = throttle.password_recheck_failed(request, login)
            if refused is not None:
                return refused
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
