"""Complaints (FBK-2) and insurance claims (FBK-3) in the consoles.

The call centre files a complaint for the caller from the patient's page. The complaints queue (``COMPLAINT_VIEW``;
handled with ``COMPLAINT_HANDLE``): open ones first, the earliest answer date on top, overdue and near-due marked in
words, filters by status, urgency and a case number or last name; the detail page takes a complaint (being handled)
and answers it. The claims queue and detail (``CLAIM_VIEW``, ``CLAIM_DECIDE``): start the review, accept or reject
with a decision text, and the documents downloaded through an access-checked view. A complaint or a claim can hold
health data: every list and detail is a recorded read. Each change is one call of
:mod:`carenet.complaints.services`.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.booking import selectors as booking_selectors
from carenet.complaints import policies, selectors, services
from carenet.complaints.models import Claim, Complaint
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.core.validation import text_problem
from carenet.network.models import Facility
from carenet.web.access import acting_user, request_actor, staff_required
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class StaffComplaintForm(CheckedInputMixin, forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=policies.SUBJECT_MAX_CHARS, strip=False)
    text = forms.CharField(
        label=gettext_lazy("What happened (in the caller's words)"),
        max_length=policies.TEXT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    facility = forms.TypedChoiceField(label=gettext_lazy("Facility (optional)"), coerce=int, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facilities = Facility.objects.order_by("city", "name").only("pk", "name", "city")
        _choice(self, "facility").choices = [("", _("— none —"))] + [
            (facility.pk, f"{facility.name}, {facility.city}") for facility in facilities
        ]


class AnswerForm(CheckedInputMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The answer (the patient reads it in the portal)"),
        max_length=policies.TEXT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class DecisionForm(CheckedInputMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("accepted", gettext_lazy("Accept the claim")), ("rejected", gettext_lazy("Reject the claim"))],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("The decision and its reasons (the patient reads it in the portal)"),
        max_length=policies.TEXT_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _filter(request: HttpRequest, name: str, allowed: set[str], default: str) -> str:
    value = request.GET.get(name, default)
    return value if value in allowed else default


def _search(request: HttpRequest) -> str:
    value = request.GET.get("q", "")
    return "" if text_problem(value) else value.strip()[:40]


# --- complaints -------------------------------------------------------------------------------------------------

COMPLAINT_STATUS_FILTERS = {"open", "all", *Complaint.Status.values}
URGENCY_FILTERS = {"", policies.Urgency.OVERDUE.value, policies.Urgency.DUE_SOON.value}


@require_GET
@staff_required(Action.COMPLAINT_VIEW)
def complaints(request: HttpRequest) -> HttpResponse:
    """FBK-2: the complaints queue."""
    today = clock.today()
    status = _filter(request, "status", COMPLAINT_STATUS_FILTERS, "open")
    urgency = _filter(request, "urgency", URGENCY_FILTERS, "")
    search = _search(request)
    rows = selectors.complaint_queue(status=status, urgency=urgency, search=search, today=today)
    record_reads(
        request, patient_ids=[row.complaint.patient_id for row in rows], what=What.PATIENT_PAGE, reference="complaints"
    )
    context = {
        "rows": rows,
        "status": status,
        "urgency": urgency,
        "search": search,
        "counts": selectors.complaint_open_counts(today=today),
        "statuses": Complaint.Status.choices,
        "due_soon_days": policies.DUE_SOON_DAYS,
    }
    return render(request, "staff/complaints/queue.html", context)


def _complaint(request: HttpRequest, complaint_id: int) -> Complaint:
    try:
        return selectors.access_complaint(actor=request_actor(request), complaint_id=complaint_id)
    except NotFound as missing:
        raise Http404 from missing


@require_GET
@staff_required(Action.COMPLAINT_VIEW)
def complaint(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """FBK-2: one complaint, with "take it" and the answer form for those who handle complaints."""
    row = _complaint(request, complaint_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.PATIENT_PAGE, reference=row.case_number)
    return _complaint_page(request, row, AnswerForm())


def _complaint_page(request: HttpRequest, row: Complaint, form: AnswerForm, status: int = 200) -> HttpResponse:
    today = clock.today()
    context = {
        "complaint": row,
        "form": form,
        "urgency": policies.urgency(
            answered=row.status == Complaint.Status.ANSWERED, due_on=row.answer_due_on, today=today
        ),
        "days_left": (row.answer_due_on - today).days,
    }
    return render(request, "staff/complaints/complaint.html", context, status=status)


@require_POST
@staff_required(Action.COMPLAINT_HANDLE)
def complaint_take(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """FBK-2: take the complaint (being handled, your name on it)."""
    row = _complaint(request, complaint_id)
    try:
        services.complaint_take(actor=request_actor(request), complaint_id=row.pk)
    except ApplicationError as refusal:
        if refusal.status_code == 404:
            raise Http404 from refusal
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("You are handling this complaint."))
    return redirect("staff:complaint", complaint_id=row.pk)


@require_POST
@staff_required(Action.COMPLAINT_HANDLE)
def complaint_answer(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """FBK-2: answer the complaint; the patient gets an SMS and an e-mail that the answer is in the portal."""
    row = _complaint(request, complaint_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_answer(actor=request_actor(request), complaint_id=row.pk, text=form.cleaned_data["text"])
        except ApplicationError as refusal:
            if refusal.status_code == 404:
                raise Http404 from refusal
            form.add_error("text", str(refusal.message))
        else:
            messages.success(request, _("The answer has been sent; the patient gets an SMS and an e-mail notice."))
            return redirect("staff:complaint", complaint_id=row.pk)
    return _complaint_page(request, row, form, status=422)


@require_http_methods(["GET", "POST"])
@staff_required(Action.COMPLAINT_FILE)
def complaint_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """FBK-2: the call centre files a complaint for the caller (the channel: the call centre)."""
    try:
        person: Patient = booking_selectors.access_patient(
            actor=acting_user(request), patient_id=patient_id, action=Action.COMPLAINT_FILE
        )
    except NotFound as missing:
        raise Http404 from missing
    form = StaffComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            filed = services.complaint_file(
                actor=request_actor(request),
                patient_id=person.pk,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                facility_id=form.cleaned_data.get("facility") or None,
            )
        except ApplicationError as refusal:
            field = "subject" if refusal.code in {r.value for r in services.SUBJECT_REFUSALS} else None
            field = "facility" if refusal.code == "facility_not_found" else field or "text"
            form.add_error(field, str(refusal.message))
        else:
            messages.success(
                request,
                _("The complaint is filed: tell the caller the case number %(case)s and the answer date %(date)s.")
                % {"case": filed.case_number, "date": filed.answer_due_on.strftime("%d.%m.%Y")},
            )
            if request_actor(request).can(Action.COMPLAINT_VIEW):
                return redirect("staff:complaint", complaint_id=filed.pk)
            return redirect("staff:patient", patient_id=person.pk)
    record_reads(request, patient_ids=[person.pk], what=What.PATIENT_PAGE, reference="complaint_new")
    return render(
        request,
        "staff/complaints/complaint_new.html",
        {"patient": person, "form": form},
        status=422 if form.errors else 200,
    )


# --- claims -----------------------------------------------------------------------------------------------------

CLAIM_STATUS_FILTERS = {"open", "all", *Claim.Status.values}


@require_GET
@staff_required(Action.CLAIM_VIEW)
def claims(request: HttpRequest) -> HttpResponse:
    """FBK-3: the claims queue."""
    status = _filter(request, "status", CLAIM_STATUS_FILTERS, "open")
    search = _search(request)
    rows = selectors.claim_queue(status=status, search=search)
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.PATIENT_PAGE, reference="claims")
    context = {"rows": rows, "status": status, "search": search, "statuses": Claim.Status.choices}
    return render(request, "staff/complaints/claims.html", context)


def _claim(request: HttpRequest, claim_id: int) -> Claim:
    try:
        return selectors.access_claim(actor=request_actor(request), claim_id=claim_id)
    except NotFound as missing:
        raise Http404 from missing


def _claim_page(request: HttpRequest, row: Claim, form: DecisionForm, status: int = 200) -> HttpResponse:
    return render(request, "staff/complaints/claim.html", {"claim": row, "form": form}, status=status)


@require_GET
@staff_required(Action.CLAIM_VIEW)
def claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    """FBK-3: one claim with its documents, "start the review" and the decision form."""
    row = _claim(request, claim_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.PATIENT_PAGE, reference=row.case_number)
    return _claim_page(request, row, DecisionForm())


@require_POST
@staff_required(Action.CLAIM_DECIDE)
def claim_review(request: HttpRequest, claim_id: int) -> HttpResponse:
    """FBK-3: start the review (under review, your name on it)."""
    row = _claim(request, claim_id)
    try:
        services.claim_review(actor=request_actor(request), claim_id=row.pk)
    except ApplicationError as refusal:
        if refusal.status_code == 404:
            raise Http404 from refusal
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("The claim is under your review."))
    return redirect("staff:claim", claim_id=row.pk)


@require_POST
@staff_required(Action.CLAIM_DECIDE)
def claim_decide(request: HttpRequest, claim_id: int) -> HttpResponse:
    """FBK-3: accept or reject with a decision text; the patient gets an SMS and an e-mail notice."""
    row = _claim(request, claim_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.claim_decide(
                actor=request_actor(request),
                claim_id=row.pk,
                accepted=form.cleaned_data["outcome"] == "accepted",
                decision=form.cleaned_data["text"],
            )
        except ApplicationError as refusal:
            if refusal.status_code == 404:
                raise Http404 from refusal
            form.add_error("text", str(refusal.message))
        else:
            messages.success(
                request, _("The decision has been recorded; the patient gets an SMS and an e-mail notice.")
            )
            return redirect("staff:claim", claim_id=row.pk)
    return _claim_page(request, row, form, status=422)


@require_GET
@staff_required(Action.CLAIM_VIEW)
def claim_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """FBK-3: a claim's document — always as an attachment, never rendered (FIL-2); a recorded read."""
    try:
        row = selectors.access_claim_attachment(actor=request_actor(request), attachment_id=attachment_id)
    except NotFound as missing:
        raise Http404 from missing
    record_reads(request, patient_ids=[row.claim.patient_id], what=What.FILES, reference=row.claim.case_number)
    response = private_file_response(row.stored, filename=row.original_name, content_type=row.content_type)
    if response.status_code == 404:
        raise Http404
    return cast(HttpResponse, response)
