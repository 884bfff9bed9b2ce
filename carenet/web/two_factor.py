"""The second step of a login (TOTP), shared by the patient's and the staff's login pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.accounts import two_factor
from carenet.accounts.two_factor import Outcome, Step
from carenet.web.access import acting_user


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # A form sent back with an error focuses its error summary (BEY-5), not the code field.
            self.fields["code"].widget.attrs.pop("autofocus", None)

    def clean_code(self) -> str:
        code = two_factor.normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_("Type the 6 digits the app shows."))
        return code


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
