"""The patient's "Potwierdź tożsamość" page (ACC-5): the four ways from level I to level II — online through a
bank (adults), the contact form that the call centre reviews, by phone with the call centre, in person at
reception — and the bank's OpenID Connect round trip (start → the bank → callback). Every state change is one
accounts-service call; the bank's HTTP calls are in :mod:`carenet.accounts.bank`."""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from carenet.accounts import bank, services
from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import BANK_MIN_AGE, IdentityRefusal
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError
from carenet.web.access import patient_required

logger = logging.getLogger(__name__)

#: The page language a patient left for the bank in, to come back to it.
LANGUAGE_SESSION_KEY = "carenet_identity_language"


class IdentityRequestForm(forms.Form):
    """ACC-5: the contact form — a message and, optionally, when the call centre may call back (no uploads)."""

    message = forms.CharField(
        label=gettext_lazy("Message for the call centre"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("For example: please call me to confirm my identity."),
    )
    phone_time = forms.CharField(
        label=gettext_lazy("When may we call you? (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("For example: weekdays after 4 pm."),
    )


def _patient(request: HttpRequest) -> Patient:
    return request.patient  # type: ignore[attr-defined]


def _adult(patient: Patient) -> bool:
    today = clock.today()
    return patient.birth_date <= today and age_on(patient.birth_date, today) >= BANK_MIN_AGE


def _page(request: HttpRequest, form: IdentityRequestForm, *, status: int = 200) -> HttpResponse:
    me = _patient(request)
    context = {
        "patient": me,
        "confirmations": account_selectors.identity_confirmations_for(patient=me)[:5],
        "identity_request": account_selectors.identity_request_latest(patient=me),
        "form": form,
        "bank_available": bank.bank_available(request),
        "adult": _adult(me),
        "test_bank": bank.uses_test_bank(),
    }
    return render(request, "portal/identity/identity.html", context, status=status)


@require_GET
@patient_required
def identity(request: HttpRequest) -> HttpResponse:
    """ACC-5: "Potwierdź tożsamość" — the level, and the four ways to confirm identity; level II shows who
    confirmed it, how and when."""
    return _page(request, IdentityRequestForm())


@require_POST
@patient_required
def identity_request(request: HttpRequest) -> HttpResponse:
    """ACC-5: send the contact form; the call centre reviews it (one open request at a time)."""
    me = _patient(request)
    form = IdentityRequestForm(request.POST)
    if form.is_valid():
        try:
            services.identity_request_submit(
                patient=me, message=form.cleaned_data["message"], phone_time=form.cleaned_data["phone_time"]
            )
        except ApplicationError as refusal:
            form.add_error(None, str(refusal.message))
        else:
            messages.success(request, _("Your request is sent. The call centre will contact you."))
            return redirect("portal:identity")
    return _page(request, form, status=422)


def _callback_uri(request: HttpRequest) -> str:
    # One fixed return address whatever the page language: a real bank registers exactly this one.
    with translation.override("pl"):
        return request.build_absolute_uri(reverse("portal:identity_bank_callback"))


@require_POST
@patient_required
def bank_start(request: HttpRequest) -> HttpResponse:
    """ACC-5: "Potwierdź przez bank" — to the bank's login, only for a level I adult."""
    me = _patient(request)
    if me.account_level >= Patient.Level.FULL:
        messages.info(request, _("Your identity is already confirmed."))
        return redirect("portal:identity")
    if not _adult(me):
        messages.error(request, str(services.IDENTITY_REFUSALS[IdentityRefusal.BANK_UNDER_AGE]))
        return redirect("portal:identity")
    # The return address is always the default language's; the patient comes back to the language they left.
    request.session[LANGUAGE_SESSION_KEY] = translation.get_language()
    try:
        return bank.bank_authorize_redirect(request, redirect_uri=_callback_uri(request))
    except bank.BankUnavailable:
        logger.warning("bank identity provider unavailable", exc_info=True)
        messages.error(
            request, _("The bank cannot be reached right now. Please try again later or choose another way.")
        )
        return redirect("portal:identity")


@require_GET
@patient_required
def bank_callback(request: HttpRequest) -> HttpResponse:
    """ACC-5: back from the bank — verify its answer, then confirm only an adult whose PESEL the bank vouched for."""
    me = _patient(request)
    language = request.session.pop(LANGUAGE_SESSION_KEY, "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
    if request.GET.get("error") == "access_denied":
        messages.info(request, _("You cancelled the confirmation at the bank. Nothing was changed."))
        return redirect("portal:identity")
    try:
        person = bank.bank_identity_fetch(request)
    except bank.BankUnavailable:
        logger.warning("bank identity provider unavailable", exc_info=True)
        messages.error(
            request, _("The bank cannot be reached right now. Please try again later or choose another way.")
        )
        return redirect("portal:identity")
    except bank.BankAnswerInvalid:
        logger.warning("bank answer refused", exc_info=True)
        messages.error(
            request, _("We could not verify the bank's answer, so your identity is not confirmed. Please try again.")
        )
        return redirect("portal:identity")
    try:
        services.identity_confirm_bank(patient=me, claimed_pesel=person.pesel, subject=person.subject)
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("portal:identity")
    messages.success(request, _("Your identity is confirmed. You now have the full portal (level II)."))
    return redirect("portal:identity")
