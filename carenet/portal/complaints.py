"""Reklamacje and roszczenia — complaints (FBK-2) and insurance claims (FBK-3) in the portal.

"Reklamacje": the patient's (and their children's) complaints with their case number, status and the date the
network answers by (the statutory time), and the answer once given; "Złóż reklamację": the subject, what happened,
optionally the facility and the visit. "Roszczenia": the claims with their documents, tracked to a decision; "Zgłoś
roszczenie": the subject, the description and 1–5 documents (JPG, PNG, PDF, checked and disarmed). Every change is
one call of :mod:`carenet.complaints.services`; a refusal is shown next to its field and stores nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Channel
from carenet.booking.models import Appointment
from carenet.complaints import policies, selectors, services
from carenet.complaints.policies import CaseRefusal
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.files.policies import FileRefusal
from carenet.network.models import Facility
from carenet.web.access import patient_required, request_actor
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads

#: The visits a complaint may name: the patient's last ones (a year is plenty for a complaint).
VISIT_CHOICES = 30


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class ComplaintForm(CheckedInputMixin, forms.Form):
    who = forms.TypedChoiceField(label=gettext_lazy("Whose complaint"), coerce=int, required=False)
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=policies.SUBJECT_MAX_CHARS,
        strip=False,
        help_text=gettext_lazy("In a few words, e.g. “Visit cancelled without notice”."),
    )
    text = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=policies.TEXT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("When and where it happened, who was involved, and what you expect from us."),
    )
    facility = forms.TypedChoiceField(label=gettext_lazy("Facility (optional)"), coerce=int, required=False)
    visit = forms.TypedChoiceField(label=gettext_lazy("Visit (optional)"), coerce=int, required=False)

    def __init__(self, *args: Any, family: list[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "who").choices = [(person.pk, person.full_name) for person in family]
        if len(family) < 2:
            self.fields["who"].widget = forms.HiddenInput()
        facilities = Facility.objects.order_by("city", "name").only("pk", "name", "city")
        _choice(self, "facility").choices = [("", _("— none —"))] + [
            (facility.pk, f"{facility.name}, {facility.city}") for facility in facilities
        ]
        visits = (
            Appointment.objects.filter(patient__in=family, slot__starts_at__lte=clock.now())
            .select_related("service", "slot", "slot__facility", "patient")
            .order_by("-slot__starts_at", "-id")[:VISIT_CHOICES]
        )
        label = "{when} — {service}, {facility}"
        _choice(self, "visit").choices = [("", _("— none —"))] + [
            (
                visit.pk,
                label.format(
                    when=clock.local(visit.slot.starts_at).strftime("%d.%m.%Y %H:%M"),
                    service=localized(visit.service),
                    facility=visit.slot.facility.name if visit.slot.facility else _("telemedicine"),
                ),
            )
            for visit in visits
        ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the service checks each and their count."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ClaimForm(CheckedInputMixin, forms.Form):
    who = forms.TypedChoiceField(label=gettext_lazy("Whose claim"), coerce=int, required=False)
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=policies.SUBJECT_MAX_CHARS,
        strip=False,
        help_text=gettext_lazy("E.g. “Refund of a private MRI”, “Hospital stay after an accident”."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description of the claim"),
        max_length=policies.TEXT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What happened, when, and what you claim (the amount, the service)."),
    )
    documents = MultipleFileField(
        label=gettext_lazy("Documents"),
        required=False,
        allow_empty_file=True,  # the service refuses an empty file with its own message and code
    )

    def __init__(self, *args: Any, family: list[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "who").choices = [(person.pk, person.full_name) for person in family]
        if len(family) < 2:
            self.fields["who"].widget = forms.HiddenInput()
        self.fields["documents"].help_text = _(
            "An invoice, a medical record of the event. JPG, PNG or PDF, at most %(mb)s MB each, at most %(files)s "
            "files."
        ) % {"mb": settings.CARENET_FILE_MAX_BYTES // (1024 * 1024), "files": settings.CARENET_CLAIM_MAX_FILES}


def _family(request: HttpRequest) -> list[Patient]:
    me: Patient = request.patient  # type: ignore[attr-defined]
    return account_selectors.patients_acting_for(patient=me, today=clock.today())


def _whose(form: forms.Form, family: list[Patient]) -> Patient:
    chosen = form.cleaned_data.get("who")
    return next((person for person in family if person.pk == chosen), family[0])


def _field_of_complaint(code: str) -> str | None:
    if code in {refusal.value for refusal in services.SUBJECT_REFUSALS}:
        return "subject"
    if code in {"facility_not_found"}:
        return "facility"
    if code in {"visit_not_found"}:
        return "visit"
    if code == "patient_not_found":
        return "who"
    return "text"


def _field_of_claim(code: str) -> str | None:
    if code in {refusal.value for refusal in services.SUBJECT_REFUSALS}:
        return "subject"
    if code in {refusal.value for refusal in services.ATTACHMENT_REFUSALS} or code in set(FileRefusal):
        return "documents"
    if code == "patient_not_found":
        return "who"
    if code in set(CaseRefusal):
        return "description"
    return None


# --- complaints -------------------------------------------------------------------------------------------------


@require_GET
@patient_required
def complaints(request: HttpRequest) -> HttpResponse:
    """FBK-2: the family's complaints, latest first, with the link to file one."""
    actor = request_actor(request)
    rows = selectors.complaints_of_patients(patient_ids=actor.family_ids)
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.PATIENT_PAGE, reference="complaints")
    context = {"rows": rows, "answer_days": settings.CARENET_COMPLAINT_ANSWER_DAYS, "family": _family(request)}
    return render(request, "portal/complaints/complaints.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    """FBK-2: "Złóż reklamację" (GET); POST files it and shows it with its case number."""
    family = _family(request)
    form = ComplaintForm(request.POST or None, family=family)
    if request.method == "POST" and form.is_valid():
        whose = _whose(form, family)
        try:
            complaint = services.complaint_file(
                actor=request_actor(request),
                patient_id=whose.pk,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                facility_id=form.cleaned_data.get("facility") or None,
                appointment_id=form.cleaned_data.get("visit") or None,
                door=Channel.PORTAL,
            )
        except ApplicationError as refusal:
            form.add_error(_field_of_complaint(refusal.code), str(refusal.message))
        else:
            messages.success(
                request,
                _("Your complaint has been filed under the case number %(case)s.") % {"case": complaint.case_number},
            )
            return redirect("portal:complaint", complaint_id=complaint.pk)
    context = {"form": form, "answer_days": settings.CARENET_COMPLAINT_ANSWER_DAYS}
    return render(request, "portal/complaints/complaint_new.html", context, status=422 if form.errors else 200)


@require_GET
@patient_required
def complaint(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """FBK-2: one complaint — its case number, status, the date we answer by, and the answer once given."""
    try:
        row = selectors.access_complaint(actor=request_actor(request), complaint_id=complaint_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    record_reads(request, patient_ids=[row.patient_id], what=What.PATIENT_PAGE, reference=row.case_number)
    return render(request, "portal/complaints/complaint.html", {"complaint": row, "today": clock.today()})


# --- claims -----------------------------------------------------------------------------------------------------


@require_GET
@patient_required
def claims(request: HttpRequest) -> HttpResponse:
    """FBK-3: the family's insurance claims, latest first, with the link to submit one."""
    actor = request_actor(request)
    rows = selectors.claims_of_patients(patient_ids=actor.family_ids)
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.PATIENT_PAGE, reference="claims")
    return render(request, "portal/complaints/claims.html", {"rows": rows, "family": _family(request)})


@require_http_methods(["GET", "POST"])
@patient_required
def claim_new(request: HttpRequest) -> HttpResponse:
    """FBK-3: "Zgłoś roszczenie" (GET); POST submits it with its documents and shows it with its case number."""
    family = _family(request)
    form = ClaimForm(request.POST or None, request.FILES or None, family=family)
    if request.method == "POST" and form.is_valid():
        whose = _whose(form, family)
        try:
            claim = services.claim_file(
                actor=request_actor(request),
                patient_id=whose.pk,
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
                uploads=form.cleaned_data["documents"],
                door=Channel.PORTAL,
            )
        except ApplicationError as refusal:
            form.add_error(_field_of_claim(refusal.code), str(refusal.message))
        else:
            messages.success(
                request,
                _("Your claim has been submitted under the case number %(case)s.") % {"case": claim.case_number},
            )
            return redirect("portal:claim", claim_id=claim.pk)
    context = {
        "form": form,
        "max_files": settings.CARENET_CLAIM_MAX_FILES,
        "max_mb": settings.CARENET_FILE_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "portal/complaints/claim_new.html", context, status=422 if form.errors else 200)


@require_GET
@patient_required
def claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    """FBK-3: one claim — its case number, status, documents, and the decision once made."""
    try:
        row = selectors.access_claim(actor=request_actor(request), claim_id=claim_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    record_reads(request, patient_ids=[row.patient_id], what=What.PATIENT_PAGE, reference=row.case_number)
    return render(request, "portal/complaints/claim.html", {"claim": row})


@require_GET
@patient_required
def claim_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A claim's document, always as a download (``attachment``, ``nosniff``), only for its patient or guardian."""
    try:
        row = selectors.access_claim_attachment(actor=request_actor(request), attachment_id=attachment_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    record_reads(request, patient_ids=[row.claim.patient_id], what=What.FILES, reference=row.claim.case_number)
    response = private_file_response(row.stored, filename=row.original_name, content_type=row.content_type)
    if response.status_code == 404:
        raise Http404(_("No such file."))
    return response  # type: ignore[return-value]  # a FileResponse, streamed
