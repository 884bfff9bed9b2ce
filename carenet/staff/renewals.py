"""Prescription renewals in the consoles (CLN-2): the call centre and reception order one for the patient on the
phone or at the desk; a clinician works through their queue — issue (prefilled from the last prescription) or
decline with a reason. Every page is one service call; every read of a patient's medicines is recorded."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.booking import selectors as booking_selectors
from carenet.clinical.models import Prescription
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.validation import db_id_or_none
from carenet.renewals import selectors, services
from carenet.renewals.policies import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, RenewalRefusal, is_overdue
from carenet.web.access import acting_user, request_actor, staff_required
from carenet.web.reads import What, record_reads


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    try:
        return booking_selectors.access_patient(
            actor=acting_user(request), patient_id=patient_id, action=Action.RENEWAL_REQUEST
        )
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.RENEWAL_REQUEST)
@require_http_methods(["GET", "POST"])
def renewal_order(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ "Zamów receptę" for the patient on the phone or at the desk: their renewable drugs (a read of medical data,
    recorded), and the order of one."""
    person = _patient(request, patient_id)
    actor = request_actor(request)
    error = None
    if request.method == "POST":
        drug_id = db_id_or_none(request.POST.get("drug"))
        try:
            if drug_id is None:
                raise services.refused(RenewalRefusal.DRUG_NOT_PRESCRIBED)
            ordered = services.renewal_request(
                actor=actor, patient_id=person.pk, drug_id=drug_id, note=request.POST.get("note", "")
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(
                request,
                _("The renewal of %(drug)s is ordered. Tell the patient: the doctor answers by %(date)s.")
                % {"drug": ordered.drug.name, "date": clock.local(ordered.due_at).strftime("%d.%m.%Y")},
            )
            return redirect(reverse("staff:renewal_order", args=[person.pk]))
    drugs = selectors.renewable_drugs(patient_id=person.pk)
    requests = selectors.renewal_list(patient_ids=[person.pk], limit=20)
    record_reads(request, patient_ids=[person.pk], what=What.RENEWALS)
    context = {
        "patient": person,
        "drugs": drugs,
        "requests": requests,
        "error": error,
        "note_max_length": NOTE_MAX_LENGTH,
        "service_due": services.service_time_for(clock.now()).due_on,
    }
    return render(request, "staff/renewals/order.html", context, status=422 if error else 200)


def _queue(request: HttpRequest, *, error: str | None = None, failed_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    assert actor.clinician_id is not None  # staff_required(RENEWAL_DECIDE): the RELATED scope needs a clinician
    now = clock.now()
    queue = selectors.renewal_queue(clinician_id=actor.clinician_id, now=now)
    record_reads(request, patient_ids=[item.patient_id for item in queue], what=What.RENEWALS)
    today = clock.today()
    rows = [
        {
            "request": item,
            "age": age_on(item.patient.birth_date, today) if item.patient.birth_date <= today else None,
            "overdue": is_overdue(due_at=item.due_at, now=now),
            "mine": item.clinician_id == actor.clinician_id,
        }
        for item in queue
    ]
    context = {
        "rows": rows,
        "error": error,
        "failed_id": failed_id,
        "reimbursements": Prescription.Reimbursement.choices,
        "reason_max_length": REASON_MAX_LENGTH,
    }
    return render(request, "staff/renewals/queue.html", context, status=422 if error else 200)


@staff_required(Action.RENEWAL_DECIDE)
def renewal_queue(request: HttpRequest) -> HttpResponse:
    """The clinician's renewal queue: pending requests, the most urgent first, overdue ones marked."""
    return _queue(request)


def _quantity(raw: str | None) -> int:
    value = db_id_or_none(raw)
    return value if value is not None and value < 1000 else 0


@staff_required(Action.RENEWAL_DECIDE)
@require_POST
def renewal_issue(request: HttpRequest, renewal_id: int) -> HttpResponse:
    try:
        issued = services.renewal_issue(
            actor=request_actor(request),
            request_id=renewal_id,
            dose=request.POST.get("dose", ""),
            quantity=_quantity(request.POST.get("quantity")),
            reimbursement=request.POST.get("reimbursement", ""),
        )
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        return _queue(request, error=str(refusal.message), failed_id=renewal_id)
    messages.success(
        request,
        _("The e-prescription for %(patient)s is issued; the patient gets its code by SMS.")
        % {"patient": issued.patient.full_name},
    )
    return redirect("staff:renewals")


@staff_required(Action.RENEWAL_DECIDE)
@require_POST
def renewal_decline(request: HttpRequest, renewal_id: int) -> HttpResponse:
    try:
        declined = services.renewal_decline(
            actor=request_actor(request), request_id=renewal_id, reason=request.POST.get("reason", "")
        )
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        return _queue(request, error=str(refusal.message), failed_id=renewal_id)
    messages.success(
        request,
        _("The renewal for %(patient)s is declined; the patient gets the reason by SMS.")
        % {"patient": declined.patient.full_name},
    )
    return redirect("staff:renewals")
