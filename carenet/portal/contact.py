"""ACC-8: "Twoje dane" — the patient's e-mail, postal address and mobile (a new number confirmed by a code sent to
it) with the history of changes — and "Twoje zgody" — SMS and e-mail notices and marketing, each given or withdrawn
with its date. Every change is one call of :mod:`carenet.accounts.contact`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carenet.accounts import contact
from carenet.accounts.models import ChangeChannel, ConsentKind, Patient
from carenet.accounts.policies import mask_phone
from carenet.core.errors import ApplicationError
from carenet.core.forms import CheckedInputMixin
from carenet.web.access import acting_user, patient_required

#: Which field of the form a refusal's code belongs to (others go to the top of the form).
FIELD_OF_CODE = {
    "email_invalid": "email",
    "street_invalid": "street",
    "city_invalid": "city",
    "postcode_invalid": "postcode",
    "address_incomplete": "street",
    "phone_format": "mobile",
    "phone_not_mobile": "mobile",
    "phone_taken": "mobile",
    "too_many_sms": "mobile",
}


class ContactDataForm(CheckedInputMixin, forms.Form):
    mobile = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=32,
        help_text=gettext_lazy(
            "A Polish mobile (500 100 200) or a foreign one with its country code (+49 …). A new number is confirmed "
            "by a code we send to it; until then messages go to the old one."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    street = forms.CharField(
        label=gettext_lazy("Street and number"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("For example 00-950."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(
        label=gettext_lazy("City"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )


class PhoneCodeForm(CheckedInputMixin, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConsentsForm(CheckedInputMixin, forms.Form):
    sms_notices = forms.BooleanField(label=ConsentKind.SMS_NOTICES.label, required=False)
    email_notices = forms.BooleanField(label=ConsentKind.EMAIL_NOTICES.label, required=False)
    marketing = forms.BooleanField(label=ConsentKind.MARKETING.label, required=False)


def _patient(request: HttpRequest) -> Patient:
    return request.patient  # type: ignore[attr-defined]


def _refusal_to_form(form: forms.Form, refusal: ApplicationError) -> None:
    form.add_error(FIELD_OF_CODE.get(refusal.code), str(refusal.message))


def _contact_page(request: HttpRequest, form: ContactDataForm, *, status: int = 200) -> HttpResponse:
    me = _patient(request)
    context: dict[str, Any] = {
        "patient": me,
        "form": form,
        "pending": contact.phone_change_pending(patient=me),
        "history": contact.contact_history(patient=me),
    }
    return render(request, "portal/contact/contact_data.html", context, status=status)


@require_http_methods(["GET", "POST"])
@patient_required
def contact_data(request: HttpRequest) -> HttpResponse:
    """ACC-8: "Twoje dane". The e-mail and address are saved at once; a new mobile number gets a code by SMS and the
    patient goes on to type it in."""
    me = _patient(request)
    if request.method == "GET":
        initial = {"mobile": me.mobile, "email": me.email, "street": me.street, "postcode": me.postcode}
        return _contact_page(request, ContactDataForm(initial={**initial, "city": me.city}))
    form = ContactDataForm(request.POST)
    if not form.is_valid():
        return _contact_page(request, form, status=422)
    data = form.cleaned_data
    # Everything is checked before anything is saved or sent: a refused address sends no code.
    new_mobile = ""
    for check in (
        lambda: contact.email_check(data["email"]),
        lambda: contact.address_check(street=data["street"], postcode=data["postcode"], city=data["city"]),
    ):
        try:
            check()
        except ApplicationError as refusal:
            _refusal_to_form(form, refusal)
    try:
        new_mobile = contact.contact_mobile_check(data["mobile"])
    except ApplicationError as refusal:
        _refusal_to_form(form, refusal)
    if form.errors:
        return _contact_page(request, form, status=422)
    user = acting_user(request)
    try:
        if new_mobile != me.mobile:
            contact.phone_change_request(patient=me, new_mobile=new_mobile, channel=ChangeChannel.PORTAL)
        changes = contact.contact_data_update(
            patient=me,
            by=user,
            email=data["email"],
            street=data["street"],
            postcode=data["postcode"],
            city=data["city"],
            channel=ChangeChannel.PORTAL,
        )
    except ApplicationError as refusal:
        _refusal_to_form(form, refusal)
        return _contact_page(request, form, status=409 if refusal.status_code == 409 else 422)
    if new_mobile != me.mobile:
        if changes:
            messages.success(request, _("Your data has been saved."))
        messages.info(
            request,
            _("We have sent a code to %(number)s. Type it in to start using the new number.")
            % {"number": mask_phone(new_mobile)},
        )
        return redirect("portal:contact_data_phone_confirm")
    messages.success(request, _("Your data has been saved.") if changes else _("Nothing has changed."))
    return redirect("portal:contact_data")


@require_http_methods(["GET", "POST"])
@patient_required
def contact_data_phone_confirm(request: HttpRequest) -> HttpResponse:
    """ACC-8: type the code sent to the new number (or ask for a new code)."""
    me = _patient(request)
    pending = contact.phone_change_pending(patient=me)
    form = PhoneCodeForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            if pending is None:
                messages.error(request, _("No new number is waiting for a code. Give the new number first."))
                return redirect("portal:contact_data")
            try:
                contact.phone_change_request(patient=me, new_mobile=pending.new_mobile, channel=pending.channel)
            except ApplicationError as refusal:
                messages.error(request, str(refusal.message))
            else:
                messages.info(request, _("We have sent a new code."))
            return redirect("portal:contact_data_phone_confirm")
        form = PhoneCodeForm(request.POST)
        if form.is_valid():
            try:
                contact.phone_change_confirm(patient=me, by=acting_user(request), code=form.cleaned_data["code"])
            except ApplicationError as refusal:
                form.add_error("code", str(refusal.message))
            else:
                messages.success(request, _("Your new phone number is confirmed. Messages go to it from now on."))
                return redirect("portal:contact_data")
        status = 422
        pending = contact.phone_change_pending(patient=me)
    context = {
        "patient": me,
        "pending": pending,
        "pending_number": mask_phone(pending.new_mobile) if pending is not None else "",
        "form": form,
    }
    return render(request, "portal/contact/phone_confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
@patient_required
def consents(request: HttpRequest) -> HttpResponse:
    """ACC-8: "Twoje zgody" — each consent on or off, when it was given or withdrawn, and the history."""
    me = _patient(request)
    states = contact.consent_states(patient=me)
    if request.method == "POST":
        form = ConsentsForm(request.POST)
        if form.is_valid():
            changed = contact.consents_set(
                patient=me, by=acting_user(request), decisions=form.cleaned_data, channel=ChangeChannel.PORTAL
            )
            messages.success(request, _("Your consents have been saved.") if changed else _("Nothing has changed."))
            return redirect("portal:consents")
        status = 422
    else:
        form = ConsentsForm(initial={state.kind: state.granted for state in states})
        status = 200
    context = {
        "patient": me,
        "form": form,
        "states": states,
        "history": contact.consent_history(patient=me),
        "has_children": me.children.exists(),
    }
    return render(request, "portal/contact/consents.html", context, status=status)
