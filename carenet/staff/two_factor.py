"""The staff side of two-factor login: the code step, and the enrolment a staff member without a TOTP device goes
through after the password when ``CARENET_STAFF_TOTP_REQUIRED`` is on (QR code, the secret as text, a code to
confirm). :class:`carenet.accounts.two_factor.TwoFactorMiddleware` sends every unverified staff session here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import two_factor
from carenet.accounts.two_factor import Outcome, Step
from carenet.web.access import acting_user
from carenet.web.two_factor import CodeForm, outcome_message, verify_step


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code from the staff member's app, after the password."""
    return verify_step(request, template="staff/two_factor/verify.html", staff_side=True)


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app before the first console page: scan, type the code, go on."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("staff:login"))
    user = acting_user(request)
    next_url = two_factor.safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("staff:dashboard")
    )
    step = two_factor.session_step(request)
    if step is Step.NONE:
        return redirect(next_url)
    if step is Step.VERIFY:
        return redirect(two_factor.step_url(user, step) + "?" + urlencode({"next": next_url}))
    device = two_factor.enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = two_factor.code_check(request=request, user=user, device_id=device.pk, code=form.cleaned_data["code"])
        if outcome is Outcome.OK:
            confirmed = two_factor.device_confirm(user=user, device_id=device.pk)
            two_factor.session_verify(request, confirmed)
            messages.success(request, _("The authenticator app is set up. Every login now asks for its code."))
            return redirect(next_url)
        if outcome is Outcome.LOCKED:
            return two_factor.locked(request)
        form.add_error("code", outcome_message(outcome))
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_grouped(device),
    }
    return render(request, "staff/two_factor/enrol.html", context, status=400 if form.errors else 200)
