"""The clinician's console (CLN-5, CLN-6, TEL-1, CHK-5): the day list of their visits at every facility and
remote, the call list of the day's phone consultations, the visit page with the patient's network history and
documents, and closing a visit. Reads through :mod:`carenet.encounters.selectors`, changes through
:mod:`carenet.encounters.services`; every read of a patient's data is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carenet.accounts.permissions import Action
from carenet.booking.models import Appointment
from carenet.clinical.selectors import documents_issued_during, documents_of
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied
from carenet.encounters import policies as encounter_policies
from carenet.encounters import selectors as encounters
from carenet.encounters import services as encounter_services
from carenet.encounters.models import CallAttempt
from carenet.scheduling.models import Mode
from carenet.web.access import acting_user, forbidden, request_actor, staff_required
from carenet.web.reads import What, record_reads

#: How many past and coming visits of the patient the visit page shows before "more".
HISTORY_SHOWN = 10
HISTORY_MAX = 200
#: How many documents of each kind the visit page shows.
DOCUMENTS_SHOWN = 20
CLOSE_OUTCOMES = ("complete", "no_show")


def _day(raw: str | None) -> dt.date:
    """The day asked for (``YYYY-MM-DD``, years 2000–2100), or today in Warsaw."""
    try:
        day = dt.date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        return clock.today()
    return day if 2000 <= day.year <= 2100 else clock.today()


def _age(visit: Appointment, day: dt.date) -> int | None:
    try:
        return age_on(visit.patient.birth_date, day)
    except ValueError:
        return None


def _day_nav(day: dt.date) -> dict[str, Any]:
    return {
        "day": day,
        "today": clock.today(),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }


def day_list(request: HttpRequest) -> HttpResponse:
    """The clinician's day (the staff dashboard of a clinician): the day's visits — in person at any of their
    facilities, phone and video — by time, with the patient's name and age on that day, the reason, how they were
    checked in, room and facility. Cancelled visits are not listed."""
    actor = request_actor(request)
    if not actor.can(Action.VISIT_DAY_LIST) or actor.clinician_id is None:
        raise Http404
    day = _day(request.GET.get("date"))
    visits = list(encounters.clinician_day_list(clinician_id=actor.clinician_id, day=day))
    rows = [{"visit": visit, "age": _age(visit, day), "referral": getattr(visit, "referral", None)} for visit in visits]
    record_reads(request, patient_ids=[visit.patient_id for visit in visits], what=What.DAY_LIST, reference=day)
    phone_count = sum(1 for visit in visits if visit.slot.mode == Mode.PHONE)
    context = {"rows": rows, "phone_count": phone_count, **_day_nav(day)}
    return render(request, "staff/clinician/day.html", context)


def _call_rows(visits: list[Appointment], day: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    summaries = encounters.call_summaries([visit.pk for visit in visits])
    rows = []
    for visit in visits:
        rows.append(_call_row(visit, summaries[visit.pk], day=day, now=now))
    return rows


def _call_row(visit: Appointment, summary: encounters.CallSummary, *, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    facts = encounter_services.facts_of(visit, now)
    return {
        "visit": visit,
        "age": _age(visit, day),
        "phone": encounters.phone_of(visit),
        "summary": summary,
        "can_call": encounter_policies.call_refusal(facts) is None,
        "call_from": visit.slot.starts_at - encounter_policies.CALL_LEAD,
        "offer_no_show": encounter_policies.no_show_offered(
            mode=visit.slot.mode, status=visit.status, not_reached=summary.not_reached
        ),
    }


@staff_required(Action.CALL_RECORD)
def calls(request: HttpRequest) -> HttpResponse:
    """TEL-1: the day's phone consultations as a call list — the number to call, how many tries and the last one,
    and the outcome buttons."""
    actor = request_actor(request)
    if actor.clinician_id is None:
        raise Http404
    day = _day(request.GET.get("date"))
    visits = list(encounters.clinician_day_list(clinician_id=actor.clinician_id, day=day, mode=Mode.PHONE))
    rows = _call_rows(visits, day, clock.now())
    record_reads(request, patient_ids=[visit.patient_id for visit in visits], what=What.DAY_LIST, reference="calls")
    return render(request, "staff/clinician/calls.html", {"rows": rows, **_day_nav(day)})


def _visit(request: HttpRequest, appointment_id: int) -> Appointment:
    try:
        return encounters.access_visit(actor=request_actor(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.CALL_RECORD)
@require_POST
def call(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """TEL-1: record how a call went ("called" completes the visit). HTMX gets the updated row back; a plain POST
    goes back to the call list with a message."""
    visit = _visit(request, appointment_id)
    outcome = str(request.POST.get("outcome", ""))
    error = note = ""
    try:
        encounter_services.call_record(
            actor=acting_user(request),
            appointment_id=visit.pk,
            outcome=outcome,
            note=str(request.POST.get("note", ""))[:1000],
            now=clock.now(),
        )
    except PermissionDenied:
        return forbidden(request)
    except ApplicationError as refusal:
        error = str(refusal.message)
        status = refusal.status_code
    else:
        status = 200
        note = {
            CallAttempt.Outcome.CALLED: _("Call recorded; the visit is completed."),
            CallAttempt.Outcome.NOT_REACHED: _("Recorded: the patient did not answer."),
            CallAttempt.Outcome.CALL_AGAIN: _("Recorded: call again."),
        }[CallAttempt.Outcome(outcome)]
    record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    day = clock.local(visit.slot.starts_at).date()
    if getattr(request, "htmx", False):
        fresh = _visit(request, visit.pk)
        summary = encounters.call_summaries([fresh.pk])[fresh.pk]
        context = {"row": _call_row(fresh, summary, day=day, now=clock.now()), "note": note, "error": error}
        return render(request, "staff/clinician/calls.html#row", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, note)
    return redirect(reverse("staff:clinician_calls") + "?" + urlencode({"date": day.isoformat()}))


@staff_required(Action.VISIT_OPEN)
def visit_page(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The visit: the patient, the visit itself, their visit history in the whole network (CLN-6), their documents
    from network facilities (never a partner's documentation) and what was issued during this visit. The visit's
    own clinician also closes it; another clinician with a relationship to the patient only reads."""
    visit = _visit(request, appointment_id)
    actor = request_actor(request)
    now = clock.now()
    day = clock.local(visit.slot.starts_at).date()
    more = request.GET.get("history") == "all"
    limit = HISTORY_MAX if more else HISTORY_SHOWN
    history = encounters.visit_history(patient_id=visit.patient_id, now=now, limit=limit + 1)
    documents = documents_of(patient_ids=[visit.patient_id], network_only=True, limit=DOCUMENTS_SHOWN)
    issued = documents_issued_during(appointment_id=visit.pk)
    record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    record_reads(request, patient_ids=[visit.patient_id], what=What.MEDICAL_RECORD, reference=visit.pk)
    own = encounters.is_own_visit(actor, visit)
    facts = encounter_services.facts_of(visit, now)
    context = {
        "visit": visit,
        "patient": visit.patient,
        "age": _age(visit, day),
        "referral": getattr(visit, "referral", None),
        "own": own,
        "history": history[:limit],
        "history_more": len(history) > limit,
        "documents": documents,
        "issued": issued,
        "can_complete": own and encounter_policies.complete_refusal(facts) is None,
        "can_no_show": own and visit.status == Appointment.Status.BOOKED and now >= visit.slot.starts_at,
        "complete_from": visit.slot.starts_at - encounter_policies.COMPLETE_LEAD,
        "phone": encounters.phone_of(visit),
        "pesel_tail": visit.patient.pesel[-4:],
    }
    return render(request, "staff/clinician/visit.html", context)


@staff_required(Action.VISIT_CLOSE)
@require_POST
def visit_close(request: HttpRequest, appointment_id: int, outcome: str) -> HttpResponse:
    """Close the visit: completed, or the patient did not come (CHK-5). A second click changes nothing and says so."""
    if outcome not in CLOSE_OUTCOMES:
        raise Http404
    visit = _visit(request, appointment_id)
    record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    try:
        if outcome == "complete":
            encounter_services.visit_complete(actor=acting_user(request), appointment_id=visit.pk, now=clock.now())
            messages.success(request, _("The visit is completed."))
        else:
            encounter_services.visit_no_show(actor=acting_user(request), appointment_id=visit.pk, now=clock.now())
            messages.success(request, _("Recorded: the patient did not come."))
    except PermissionDenied:
        return forbidden(request)  # another clinician with a relationship reads the visit, never closes it
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    return redirect("staff:clinician_visit", appointment_id=visit.pk)
