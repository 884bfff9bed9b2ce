"""The check-in page "jestem" (CHK-4): a patient at the facility confirms their arrival with their mobile number,
PESEL and the 6-digit code shown on the entrance screen (the premises proof: the code changes every 10 minutes and
is only visible at the entrance). One call of :func:`carenet.arrival.services.page_confirm_arrival`, which also
applies the rate limits (5 attempts per phone and per device an hour; 10 wrong entrance codes per client address an
hour — the address :func:`carenet.accounts.lockout.client_ip` trusts, so a cookie-rotating client is limited too).

The device is a signed, long-lived cookie id set on the first visit; a browser that does not keep it is counted by
its IP address instead.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carenet.accounts.lockout import client_ip
from carenet.arrival import policies as checkin_policies
from carenet.arrival import selectors as arrival_selectors
from carenet.arrival import services as arrival
from carenet.core import clock
from carenet.core.forms import CheckedInputMixin

DEVICE_COOKIE = "carenet_device"
DEVICE_SALT = "carenet.checkin.device"
DEVICE_MAX_AGE = 60 * 60 * 24 * 365 * 2


class CheckInForm(CheckedInputMixin, forms.Form):
    """Checked at the edge (issue 10): a control character is a form error; the code is any text, so a code in
    other digits (Arabic-Indic) is a wrong code, counted like any other."""

    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=20)
    pesel = forms.CharField(label=gettext_lazy("PESEL"), max_length=11, min_length=11)
    code = forms.CharField(
        label=gettext_lazy("Code from the entrance screen"),
        max_length=8,
        help_text=gettext_lazy("6 digits shown on the screen at the facility's entrance."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["pesel"].widget.attrs.update({"autocomplete": "off", "inputmode": "numeric"})
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "inputmode": "numeric"})


def _device(request: HttpRequest) -> tuple[str, str | None]:
    """(the id attempts are counted by, a new cookie value to set or ``None``)."""
    cookie = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if cookie:
        return f"cookie:{cookie}", None
    address = client_ip(request) or "unknown"
    return f"ip:{address}", secrets.token_urlsafe(16)


def _message(result: arrival.PageArrival) -> tuple[str, str]:
    """(tone, text) of the answer."""
    visit = result.appointment
    answer = arrival.PageAnswer
    if result.answer is answer.CHECKED_IN and visit is not None:
        return "ok", _("Your arrival is confirmed. %(where)s") % {"where": arrival.room_answer(visit)}
    if result.answer is answer.ALREADY and visit is not None:
        return "ok", _("Your arrival was already confirmed. %(where)s") % {"where": arrival.room_answer(visit)}
    if result.answer is answer.OUTSIDE_WINDOW and visit is not None:
        opens, closes = checkin_policies.window(visit.slot.starts_at)
        return "warn", _(
            "Your visit starts at %(start)s. You can confirm your arrival here from %(opens)s until %(start)s; "
            "otherwise please go to reception."
        ) % {"start": clock.local(closes).strftime("%H:%M"), "opens": clock.local(opens).strftime("%H:%M")}
    if result.answer is answer.WRONG_CODE:
        return "warn", _(
            "This code is not right or has expired. Type the 6 digits shown now on the screen at the entrance."
        )
    if result.answer is answer.TOO_MANY:
        return "warn", _("Too many attempts. Please try again in an hour or go to reception.")
    return "warn", _(
        "We have found no visit to confirm here now for these details. Please check them or go to reception."
    )


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    """CHK-4: "jestem" — open to anyone (no login: the phone, PESEL and the entrance code identify the visit)."""
    device, new_cookie = _device(request)
    form = CheckInForm(request.POST or None)
    result: arrival.PageArrival | None = None
    tone = text = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = arrival.page_confirm_arrival(
                phone=form.cleaned_data["phone"],
                pesel=form.cleaned_data["pesel"],
                premises_code=form.cleaned_data["code"],
                device=device,
                address=client_ip(request),
                now=clock.now(),
            )
            tone, text = _message(result)
            ok = result.answer in (arrival.PageAnswer.CHECKED_IN, arrival.PageAnswer.ALREADY)
            status = 200 if ok else 429 if result.answer is arrival.PageAnswer.TOO_MANY else 422
            if ok:
                form = CheckInForm()  # the PESEL does not stay on the screen
        else:
            status = 422
    context = {"form": form, "result": result, "tone": tone, "text": text}
    response = render(request, "portal/arrival/checkin.html", context, status=status)
    if new_cookie is not None:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            new_cookie,
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def no_shows_context(*, patients: list[Any], now: Any) -> dict[str, Any]:
    """BKG-5 on "Moje wizyty": how many visits were missed in the last 30 days and any booking block in force
    (specialty, until when) — for the patient and the children they act for."""
    count, blocks = arrival_selectors.no_show_summary(patients=patients, now=now)
    return {"no_show_count": count, "no_show_blocks": blocks}
