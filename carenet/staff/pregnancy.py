"""Pregnancy care in the consoles (BKG-7): the call centre takes a request for pregnancy care elsewhere for the
patient on the phone; coordinators work through the queue (oldest first, by status and city) and resolve each
request with a visit — a free time of a pregnancy service where the patient asked for it, booked through the
call-centre channel — or with a reason; the patient is told by SMS. A clinician with a visit with the patient
records on the visit page that her pregnancy is led at that facility, and ends it; a coordinator can too, from a
request. Every page is one service call; every read of a patient's data is recorded."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Channel
from carenet.booking import selectors as booking_selectors
from carenet.booking import services as booking_services
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.validation import db_id_or_none
from carenet.encounters import selectors as encounters
from carenet.network.models import City, Facility
from carenet.pregnancy import selectors, services
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.pregnancy.policies import REASON_MAX_LENGTH
from carenet.web.access import acting_user, request_actor, staff_required
from carenet.web.pregnancy import (
    PregnancyRequestForm,
    pregnancy_request_initial,
    resolution_slots,
    slot_place,
)
from carenet.web.reads import What, record_reads

QUEUE_SHOWN = 100


# --- The call centre's form ---------------------------------------------------------------------------------------


@staff_required(Action.PREGNANCY_REQUEST_FILE)
@require_http_methods(["GET", "POST"])
def pregnancy_request_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """BKG-7: the request for the patient on the phone, prefilled with her name and phone."""
    try:
        person = booking_selectors.access_patient(
            actor=acting_user(request), patient_id=patient_id, action=Action.PREGNANCY_REQUEST_FILE
        )
    except NotFound as error:
        raise Http404 from error
    form = PregnancyRequestForm(
        request.POST if request.method == "POST" else None, initial=pregnancy_request_initial(person)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                filed = services.pregnancy_request_file(
                    actor=request_actor(request), patient_id=person.pk, form=form.request_form()
                )
            except ApplicationError as refusal:
                form.add_error(None, str(refusal.message))
            else:
                messages.success(
                    request,
                    _("The request is in the coordinators' queue. Tell the patient: they arrange a visit and text."),
                )
                return redirect("staff:pregnancy_request", pregnancy_request_id=filed.pk)
        status = 422
    record_reads(request, patient_ids=[person.pk], what=What.PATIENT_PAGE, reference="pregnancy")
    context = {
        "patient": person,
        "form": form,
        "care": selectors.pregnancy_care_list(patient_ids=[person.pk], day=clock.today(), open_only=True),
        "requests": selectors.pregnancy_request_list(patient_ids=[person.pk], limit=10),
    }
    return render(request, "staff/pregnancy/new.html", context, status=status)


# --- The coordinators' queue --------------------------------------------------------------------------------------


@staff_required(Action.PREGNANCY_REQUEST_VIEW)
def pregnancy_requests(request: HttpRequest) -> HttpResponse:
    """BKG-7: the queue, oldest first; filtered by status (open by default) and the wanted city."""
    status = request.GET.get("status", PregnancyRequest.Status.OPEN)
    if status not in PregnancyRequest.Status.values and status != "all":
        status = PregnancyRequest.Status.OPEN
    city_id = db_id_or_none(request.GET.get("city"))
    rows = list(
        selectors.pregnancy_request_queue(status="" if status == "all" else status, city_id=city_id)[:QUEUE_SHOWN]
    )
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.PATIENT_PAGE, reference="pregnancy")
    context = {
        "rows": rows,
        "status": status,
        "statuses": PregnancyRequest.Status.choices,
        "city_id": city_id,
        "cities": City.objects.filter(facilities__is_active=True).distinct().order_by("name"),
        "shown": QUEUE_SHOWN,
    }
    return render(request, "staff/pregnancy/queue.html", context)


def _request(request: HttpRequest, pregnancy_request_id: int) -> PregnancyRequest:
    try:
        return selectors.access_pregnancy_request(actor=request_actor(request), request_id=pregnancy_request_id)
    except NotFound as error:
        raise Http404 from error


def _detail(request: HttpRequest, found: PregnancyRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    now = clock.now()
    resolver = actor.can(Action.PREGNANCY_REQUEST_RESOLVE) and found.status == PregnancyRequest.Status.OPEN
    record_reads(request, patient_ids=[found.patient_id], what=What.PATIENT_PAGE, reference=f"pregnancy:{found.pk}")
    context = {
        "item": found,
        "care": selectors.pregnancy_care_list(patient_ids=[found.patient_id], day=clock.today()),
        "today": clock.today(),
        "slots": resolution_slots(found=found, now=now) if resolver else [],
        "resolver": resolver,
        "facilities": Facility.objects.filter(is_active=True).select_related("city").order_by("city__name", "name"),
        "reason_max_length": REASON_MAX_LENGTH,
        "error": error,
        "visit": found.appointment if found.appointment_id else None,
    }
    return render(request, "staff/pregnancy/detail.html", context, status=status)


@staff_required(Action.PREGNANCY_REQUEST_VIEW)
def pregnancy_request(request: HttpRequest, pregnancy_request_id: int) -> HttpResponse:
    """BKG-7: one request: what the patient asked for, where her pregnancy is led, and (for coordinators, while it
    is open) the free times where she asked for a visit and the form to decline with a reason."""
    return _detail(request, _request(request, pregnancy_request_id))


def _refused(request: HttpRequest, pregnancy_request_id: int, refusal: ApplicationError) -> HttpResponse:
    found = _request(request, pregnancy_request_id)
    return _detail(request, found, error=str(refusal.message), status=refusal.status_code)


@staff_required(Action.PREGNANCY_REQUEST_RESOLVE)
@require_POST
def pregnancy_request_book(request: HttpRequest, pregnancy_request_id: int) -> HttpResponse:
    """BKG-7: resolve with the chosen free time (booked through the call-centre channel; every booking rule
    applies)."""
    found = _request(request, pregnancy_request_id)
    slot_id = db_id_or_none(request.POST.get("slot"))
    choice = next((row for row in resolution_slots(found=found, now=clock.now()) if row.slot.pk == slot_id), None)
    if choice is None:
        message = _("This time is no longer free or not where the patient asked; please choose another one.")
        return _detail(request, found, error=message, status=409)
    user = acting_user(request)
    try:
        resolved = services.pregnancy_request_book(
            actor=request_actor(request),
            request_id=found.pk,
            place=slot_place(choice.slot),
            book=lambda patient: booking_services.appointment_book(
                actor=user,
                patient=patient,
                slot_id=choice.slot.pk,
                service_id=choice.service.pk,
                channel=Channel.CALL_CENTRE,
                accept_price=True,
                action=Action.PREGNANCY_REQUEST_RESOLVE,
            ),
        )
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        return _refused(request, found.pk, refusal)
    messages.success(
        request, _("The visit is booked; %(name)s gets an SMS with its time and place.") % {"name": resolved.name}
    )
    return redirect("staff:pregnancy_request", pregnancy_request_id=found.pk)


@staff_required(Action.PREGNANCY_REQUEST_RESOLVE)
@require_POST
def pregnancy_request_decline(request: HttpRequest, pregnancy_request_id: int) -> HttpResponse:
    """BKG-7: resolve with a reason the patient receives by SMS."""
    found = _request(request, pregnancy_request_id)
    try:
        services.pregnancy_request_decline(
            actor=request_actor(request), request_id=found.pk, reason=str(request.POST.get("reason", ""))
        )
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        return _refused(request, found.pk, refusal)
    messages.success(request, _("The request is resolved; %(name)s gets the reason by SMS.") % {"name": found.name})
    return redirect("staff:pregnancy_request", pregnancy_request_id=found.pk)


# --- Where a pregnancy is led -------------------------------------------------------------------------------------


@staff_required(Action.PREGNANCY_CARE_RECORD)
@require_POST
def pregnancy_request_care(request: HttpRequest, pregnancy_request_id: int) -> HttpResponse:
    """BKG-7: a coordinator records where the requesting patient's pregnancy is led."""
    found = _request(request, pregnancy_request_id)
    facility_id = db_id_or_none(request.POST.get("facility"))
    if facility_id is None:
        return _detail(request, found, error=_("Choose the facility where the pregnancy is led."), status=422)
    try:
        services.pregnancy_care_record(
            actor=request_actor(request), patient_id=found.patient_id, facility_id=facility_id
        )
    except ApplicationError as refusal:
        return _refused(request, found.pk, refusal)
    messages.success(request, _("Recorded where the pregnancy is led."))
    return redirect("staff:pregnancy_request", pregnancy_request_id=found.pk)


@staff_required(Action.PREGNANCY_CARE_RECORD)
@require_POST
def pregnancy_care_visit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """BKG-7: the clinician records on the visit page that the patient's pregnancy is led at the visit's facility
    (the visit is their relationship with her, CLN-6)."""
    try:
        visit = encounters.access_visit(actor=request_actor(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error
    if visit.slot.facility_id is None:
        messages.error(request, _("A remote visit has no facility; record the pregnancy care at a centre's visit."))
        return redirect("staff:clinician_visit", appointment_id=visit.pk)
    actor = request_actor(request)
    try:
        services.pregnancy_care_record(
            actor=actor,
            patient_id=visit.patient_id,
            facility_id=visit.slot.facility_id,
            clinician_id=actor.clinician_id,
            related=True,
        )
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("Recorded: the pregnancy is led at this facility."))
    return redirect("staff:clinician_visit", appointment_id=visit.pk)


@staff_required(Action.PREGNANCY_CARE_RECORD)
@require_POST
def pregnancy_care_end(request: HttpRequest, care_id: int) -> HttpResponse:
    """BKG-7: the pregnancy is no longer led there (the clinician with a visit with the patient, or a
    coordinator); back to the page the button was on."""
    actor = request_actor(request)
    care = PregnancyCare.objects.filter(pk=care_id).only("patient_id").first()
    related = (
        care is not None
        and actor.clinician_id is not None
        and booking_selectors.clinician_related_to(clinician_id=actor.clinician_id, patient_id=care.patient_id)
    )
    try:
        services.pregnancy_care_end(actor=actor, care_id=care_id, related=related)
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("Recorded: the pregnancy is no longer led there."))
    back = str(request.POST.get("next", ""))
    if not back or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("staff:dashboard")
    return redirect(back)


def patient_pregnancy_care(patient: Patient) -> list[PregnancyCare]:
    """The open records of where the patient's pregnancy is led (for the clinician's visit page)."""
    return selectors.pregnancy_care_list(patient_ids=[patient.pk], day=clock.today(), open_only=True)
