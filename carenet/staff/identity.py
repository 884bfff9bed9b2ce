"""Staff consoles for identity and passwords: confirm a patient's identity (ACC-5) by phone (call centre) or in
person (reception: the checked ID document, masked, and the signed portal terms), review the contact-form queue
(call centre), and reset a patient's password with a new SMS first password (ACC-6). One accounts-service call per
state change; who, how and when is recorded by the services and shown on the staff patient page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts import policies, services
from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.booking import selectors as booking_selectors
from carenet.core.errors import ApplicationError, NotFound
from carenet.web.access import acting_user, staff_required
from carenet.web.reads import What, record_reads


class CallCentreConfirmForm(forms.Form):
    """ACC-5 by phone: the operator asked the patient the verification questions."""

    verified = forms.BooleanField(
        label=gettext_lazy("I verified the caller's identity by asking the questions"), required=True
    )
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=200, required=False)


class InPersonConfirmForm(forms.Form):
    """ACC-5 at reception: the ID document checked (only its type and last four characters are kept) and the
    portal terms signed."""

    DOCUMENT_TYPES = [
        ("id_card", gettext_lazy("ID card")),
        ("passport", gettext_lazy("passport")),
        ("driving_licence", gettext_lazy("driving licence")),
        ("residence_card", gettext_lazy("residence card")),
    ]

    document_type = forms.ChoiceField(label=gettext_lazy("Identity document"), choices=DOCUMENT_TYPES)
    document_number = forms.CharField(
        label=gettext_lazy("Document number"),
        max_length=30,
        min_length=4,
        help_text=gettext_lazy("Only the last four characters are stored."),
    )
    terms_signed = forms.BooleanField(label=gettext_lazy("The patient signed the portal terms"), required=True)
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=200, required=False)

    def document(self) -> str:
        kind = dict(self.DOCUMENT_TYPES)[self.cleaned_data["document_type"]]
        return f"{kind} {policies.document_masked(self.cleaned_data['document_number'])}"


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(max_length=300, required=False)


def _person(request: HttpRequest, patient_id: int) -> Patient:
    try:
        person = booking_selectors.access_patient(actor=acting_user(request), patient_id=patient_id)
    except NotFound as error:
        raise Http404 from error
    record_reads(request, patient_ids=[person.pk], what=What.IDENTITY)
    return person


def _confirm(
    request: HttpRequest, patient_id: int, *, method: policies.IdentityMethod, form_class: type[forms.Form]
) -> HttpResponse:
    person = _person(request, patient_id)
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            document = form.document() if isinstance(form, InPersonConfirmForm) else ""
            try:
                services.identity_confirm(
                    patient=person,
                    method=method,
                    actor=acting_user(request),
                    document=document,
                    terms_signed=bool(form.cleaned_data.get("terms_signed")),
                    note=form.cleaned_data.get("note", ""),
                )
            except ApplicationError as refusal:
                form.add_error(None, str(refusal.message))
            else:
                messages.success(
                    request, _("Identity confirmed: %(patient)s now has level II.") % {"patient": person.full_name}
                )
                return redirect("staff:patient", patient_id=person.pk)
        status = 422
    context = {"patient": person, "form": form, "method": method.value}
    return render(request, "staff/identity/confirm.html", context, status=status)


@staff_required(Action.IDENTITY_CONFIRM_PHONE)
@require_http_methods(["GET", "POST"])
def confirm_by_phone(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ACC-5: the call-centre operator confirms the identity after asking the verification questions."""
    return _confirm(request, patient_id, method=policies.IdentityMethod.CALL_CENTRE, form_class=CallCentreConfirmForm)


@staff_required(Action.IDENTITY_CONFIRM_IN_PERSON)
@require_http_methods(["GET", "POST"])
def confirm_in_person(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ACC-5: reception confirms the identity: document checked, portal terms signed."""
    return _confirm(request, patient_id, method=policies.IdentityMethod.IN_PERSON, form_class=InPersonConfirmForm)


class PasswordResetForm(forms.Form):
    """ACC-6: a patient who lost their authenticator app too gets two-step login turned off with the reset."""

    two_factor_off = forms.BooleanField(
        label=gettext_lazy("Also turn off two-step login (the patient has lost the authenticator app)"),
        required=False,
    )


@staff_required(Action.PASSWORD_RESET)
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ACC-6: a new SMS first password for a patient who lost theirs; they set their own at the next login. The
    patient's API tokens are revoked; optionally their two-step login is turned off (recorded on the reset)."""
    person = _person(request, patient_id)
    error = None
    form = PasswordResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_password_reset(
                patient=person, actor=acting_user(request), two_factor_off=form.cleaned_data["two_factor_off"]
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(
                request,
                _("A new password is on its way by SMS to the number ending in %(end)s.") % {"end": person.mobile[-3:]},
            )
            return redirect("staff:patient", patient_id=person.pk)
    context = {"patient": person, "error": error, "form": form}
    return render(request, "staff/identity/password_reset.html", context, status=422 if error else 200)


@staff_required(Action.IDENTITY_REQUEST_REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """ACC-5: the contact-form requests waiting for review (oldest first), and the latest reviewed ones."""
    open_requests = account_selectors.identity_request_queue()
    recent = account_selectors.identity_request_recent()
    shown = [entry.patient_id for entry in [*open_requests, *recent]]
    record_reads(request, patient_ids=shown, what=What.IDENTITY, reference="queue")
    context = {"open_requests": open_requests, "recent": recent}
    return render(request, "staff/identity/queue.html", context)


@staff_required(Action.IDENTITY_REQUEST_REVIEW)
@require_POST
def review(request: HttpRequest, request_id: int) -> HttpResponse:
    """ACC-5: approve a request (the identity is confirmed, method "contact form") or reject it with a reason."""
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("staff:identity_queue")
    try:
        if form.cleaned_data["action"] == "approve":
            done = services.identity_request_approve(request_id=request_id, actor=acting_user(request))
            messages.success(
                request, _("Approved: %(patient)s now has level II.") % {"patient": done.patient.full_name}
            )
        else:
            done = services.identity_request_reject(
                request_id=request_id, actor=acting_user(request), reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Rejected; the patient sees the reason."))
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    return redirect("staff:identity_queue")
