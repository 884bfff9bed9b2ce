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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts.permissions import Action
from carenet.booking.models import Appointment
from carenet.clinical.models import Drug
from carenet.clinical.selectors import Documents, documents_issued_during, documents_of, drug_search
from carenet.consultations import policies as consultation_policies
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied
from carenet.core.validation import db_id_or_none, text_problem
from carenet.encounters import policies as encounter_policies
from carenet.encounters import selectors as encounters
from carenet.encounters import services as encounter_services
from carenet.encounters.models import CallAttempt
from carenet.encounters.services import ENCOUNTER_MESSAGES
from carenet.files import attachments
from carenet.scheduling.models import Mode
from carenet.staff import clinical_forms
from carenet.staff import files as staff_files
from carenet.staff.pregnancy import patient_pregnancy_care
from carenet.staff.results import recent_results_for_visit
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


def _room_open(visit: Appointment, now: dt.datetime) -> bool:
    """SCH-3: whether the visit is a booked video visit whose room is open now (the day list offers "Join")."""
    if visit.slot.mode != Mode.VIDEO or visit.status not in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
        return False
    facts = consultation_policies.RoomFacts(
        mode=visit.slot.mode,
        status=visit.status,
        starts_at=visit.slot.starts_at,
        local_day=clock.local(visit.slot.starts_at).date(),
        today=clock.local(now).date(),
        now=now,
    )
    return consultation_policies.room_refusal(facts) is None


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
    files = attachments.attachment_counts([visit.pk for visit in visits])  # TEL-3: one query for the day
    now = clock.now()
    rows = [
        {
            "visit": visit,
            "age": _age(visit, day),
            "referral": getattr(visit, "referral", None),
            "files": files.get(visit.pk, 0),
            "join": _room_open(visit, now),  # SCH-3: a booked video visit's "Join", in its window
        }
        for visit in visits
    ]
    record_reads(request, patient_ids=[visit.patient_id for visit in visits], what=What.DAY_LIST, reference=day)
    phone_count = sum(1 for visit in visits if visit.slot.mode == Mode.PHONE)
    context = {"rows": rows, "phone_count": phone_count, **_day_nav(day)}
    return render(request, "staff/clinician/day.html", context)


def _call_rows(visits: list[Appointment], day: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    summaries = encounters.call_summaries([visit.pk for visit in visits])
    files = attachments.attachment_counts([visit.pk for visit in visits], now=now)  # TEL-3: one query
    rows = []
    for visit in visits:
        rows.append(_call_row(visit, summaries[visit.pk], day=day, now=now, files=files.get(visit.pk, 0)))
    return rows


def _call_row(
    visit: Appointment, summary: encounters.CallSummary, *, day: dt.date, now: dt.datetime, files: int = 0
) -> dict[str, Any]:
    facts = encounter_services.facts_of(visit, now)
    return {
        "visit": visit,
        "files": files,
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
        files = attachments.attachment_counts([fresh.pk]).get(fresh.pk, 0)
        row = _call_row(fresh, summary, day=day, now=clock.now(), files=files)
        context = {"row": row, "note": note, "error": error}
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
    return _render_visit(request, _visit(request, appointment_id))


def _issued_during(request: HttpRequest, visit: Appointment) -> Documents:
    """What was issued during the visit; for anyone but its own clinician, never a partner's documentation
    (CLN-6)."""
    own = encounters.is_own_visit(request_actor(request), visit)
    return documents_issued_during(appointment_id=visit.pk, network_only=not own)


def _render_visit(
    request: HttpRequest, visit: Appointment, *, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    now = clock.now()
    day = clock.local(visit.slot.starts_at).date()
    more = request.GET.get("history") == "all"
    limit = HISTORY_MAX if more else HISTORY_SHOWN
    history = encounters.visit_history(patient_id=visit.patient_id, now=now, limit=limit + 1)
    documents = documents_of(patient_ids=[visit.patient_id], network_only=True, limit=DOCUMENTS_SHOWN)
    record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    record_reads(request, patient_ids=[visit.patient_id], what=What.MEDICAL_RECORD, reference=visit.pk)
    own = encounters.is_own_visit(actor, visit)
    facts = encounter_services.facts_of(visit, now)
    if extra is None:
        extra = _clinical_context(request, visit, issued=_issued_during(request, visit), now=now)
    context = extra | {
        "visit": visit,
        "patient": visit.patient,
        "age": _age(visit, day),
        "referral": getattr(visit, "referral", None),
        "own": own,
        "history": history[:limit],
        "history_more": len(history) > limit,
        "documents": documents,
        "recent_results": recent_results_for_visit(request, patient_id=visit.patient_id),
        "can_complete": own and encounter_policies.complete_refusal(facts) is None,
        "can_no_show": own and visit.status == Appointment.Status.BOOKED and now >= visit.slot.starts_at,
        "complete_from": visit.slot.starts_at - encounter_policies.COMPLETE_LEAD,
        "phone": encounters.phone_of(visit),
        "pesel_tail": visit.patient.pesel[-4:],
    }
    context |= staff_files.visit_files_context(request, visit)  # FIL-1, TEL-3: "Pliki od pacjenta"
    context["pregnancy_care"] = patient_pregnancy_care(visit.patient)  # BKG-7: where her pregnancy is led
    return render(request, "staff/clinician/visit.html", context, status=status)


@staff_required(Action.VISIT_CLOSE)
@require_POST
def visit_close(request: HttpRequest, appointment_id: int, outcome: str) -> HttpResponse:
    """Close the visit: completed, or the patient did not come (CHK-5). A second click changes nothing and says so."""
    if outcome not in CLOSE_OUTCOMES:
        raise Http404
    visit = _visit(request, appointment_id)
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


# --- CLN-5: issuing during the visit ------------------------------------------------------------------------------

DOCUMENT_KINDS = tuple(clinical_forms.FORMS)


def _initial(kind: str, document: Any) -> dict[str, Any]:
    """A correction's form starts from the version it corrects."""
    if kind == "referral":
        fields = {"service": document.service_id, "valid_until": document.valid_until, "note": document.note}
    elif kind == "prescription":
        fields = {
            "drug": document.drug_id,
            "dose": document.dose,
            "quantity": document.quantity,
            "reimbursement": document.reimbursement,
        }
    elif kind == "sick_leave":
        fields = {
            name: getattr(document, name)
            for name in ("starts_on", "ends_on", "reason_code", "indication", "diagnosis_code", "employer_nip")
        }
    else:
        fields = {
            "text": document.text,
            "in_person_visit": document.in_person_visit,
            "in_person_specialty": document.in_person_specialty_id,
            "exams": [exam.pk for exam in document.exams.all()],
        }
    return fields | {"supersedes": document.pk}


def _issued_of(issued: Documents, kind: str) -> list[Any]:
    lists: dict[str, list[Any]] = {
        "referral": list(issued.referrals),
        "prescription": list(issued.prescriptions),
        "sick_leave": list(issued.sick_leaves),
        "recommendation": list(issued.recommendations),
    }
    return lists[kind]


def _drugs(query: str, chosen: list[int]) -> list[Drug]:
    """The picker's drugs: what the search found, and the drug already chosen (a correction, a refused form)."""
    found = list(drug_search(query[:60])) if query and not text_problem(query) else []
    missing = [pk for pk in chosen if pk not in {drug.pk for drug in found}]
    return [*Drug.objects.filter(pk__in=missing), *found] if missing else found


def _clinical_context(
    request: HttpRequest,
    visit: Appointment,
    *,
    issued: Documents,
    now: dt.datetime,
    bound: clinical_forms._IssueForm | None = None,
    bound_kind: str = "",
    done: str = "",
) -> dict[str, Any]:
    """The issuing part of the visit page: what was issued during the visit, and — for the visit's own clinician
    within the issuing window — the four forms (one of them bound after a refused POST, or prefilled to correct)."""
    actor = request_actor(request)
    own = encounters.is_own_visit(actor, visit) and actor.can(Action.DOCUMENT_ISSUE)
    refusal = encounter_policies.issue_refusal(encounter_services.facts_of(visit, now))
    forms: dict[str, Any] = {}
    open_kind = bound_kind
    drug_query = str(request.GET.get("drug_q", ""))[:60]
    if own and refusal is None:
        correct_kind = str(request.GET.get("kind", ""))
        correct_id = db_id_or_none(request.GET.get("correct", ""))
        for kind, form_class in clinical_forms.FORMS.items():
            if bound is not None and kind == bound_kind:
                forms[kind] = bound
                continue
            initial: dict[str, Any] = {}
            if kind == correct_kind and correct_id is not None:
                document = next((doc for doc in _issued_of(issued, kind) if doc.pk == correct_id), None)
                if document is not None:
                    initial = _initial(kind, document)
                    open_kind = kind
            extra: dict[str, Any] = {}
            if kind == "prescription":
                extra["drugs"] = _drugs(drug_query, [initial["drug"]] if "drug" in initial else [])
            forms[kind] = form_class(initial=initial, prefix=kind, **extra)
        if drug_query and not open_kind:
            open_kind = "prescription"
    return {
        "issued": issued,
        "issue_forms": forms,
        "open_kind": open_kind,
        "drug_query": drug_query,
        "issue_refusal": ENCOUNTER_MESSAGES.get(refusal) if own and refusal is not None else "",
        "may_correct": own and refusal is None,
        "done": done,
    }


def _issue(form: clinical_forms._IssueForm, kind: str, *, actor: Any, visit: Appointment) -> Any:
    data = form.cleaned_data
    common = {"actor": actor, "appointment_id": visit.pk, "supersedes_id": data.get("supersedes"), "now": clock.now()}
    if kind == "referral":
        return encounter_services.visit_issue_referral(
            service_id=data["service"].pk, valid_until=data["valid_until"], note=data["note"], **common
        )
    if kind == "prescription":
        return encounter_services.visit_issue_prescription(
            drug_id=data["drug"],
            dose=data["dose"],
            quantity=data["quantity"],
            reimbursement=data["reimbursement"],
            **common,
        )
    if kind == "sick_leave":
        return encounter_services.visit_issue_sick_leave(
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            employer_nip=data["employer_nip"],
            reason_code=data["reason_code"],
            indication=data["indication"],
            diagnosis_code=data["diagnosis_code"],
            **common,
        )
    return encounter_services.visit_issue_recommendation(
        text=data["text"],
        in_person_visit=data["in_person_visit"],
        in_person_specialty_id=data["in_person_specialty"].pk if data["in_person_specialty"] else None,
        exam_ids=[exam.pk for exam in data["exams"]],
        **common,
    )


ISSUED_NOTES = {
    "referral": gettext_lazy("The e-referral is issued."),
    "prescription": gettext_lazy("The e-prescription is issued; the patient gets its code by SMS."),
    "sick_leave": gettext_lazy("The sick leave is issued."),
    "recommendation": gettext_lazy("The recommendation is issued."),
}


@staff_required(Action.DOCUMENT_ISSUE)
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest, appointment_id: int, kind: str) -> HttpResponse:
    """CLN-5: issue a document during the visit (POST), or open its form prefilled to correct one (GET
    ``?correct=<id>``). HTMX swaps the issuing part of the visit page; without JavaScript the whole page comes back
    (a refused form with its errors next to the fields, status 422)."""
    if kind not in DOCUMENT_KINDS:
        raise Http404
    visit = _visit(request, appointment_id)
    htmx = getattr(request, "htmx", False)
    if htmx:  # the answer shows the visit's documents (the whole page records its own reads)
        record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    if request.method == "GET":
        if htmx:
            context = _clinical_context(request, visit, issued=_issued_during(request, visit), now=clock.now())
            return render(request, "staff/clinician/_clinical.html", {"visit": visit, **context})
        query = urlencode({"kind": kind, "correct": request.GET.get("correct", "")})
        return redirect(reverse("staff:clinician_visit", args=[visit.pk]) + "?" + query + f"#issue-{kind}")
    form_class = clinical_forms.FORMS[kind]
    posted_drug = db_id_or_none(request.POST.get("prescription-drug", ""))
    extra: dict[str, Any] = (
        {"drugs": _drugs("", [posted_drug] if posted_drug else [])} if kind == "prescription" else {}
    )
    form = form_class(request.POST, prefix=kind, **extra)
    status = 200
    if form.is_valid():
        try:
            _issue(form, kind, actor=acting_user(request), visit=visit)
        except PermissionDenied:
            return forbidden(request)
        except ApplicationError as refusal:
            form.refusal(refusal.code, str(refusal.message))
            status = 422
    else:
        status = 422
    if status == 200 and not htmx:
        messages.success(request, ISSUED_NOTES[kind])
        return redirect(reverse("staff:clinician_visit", args=[visit.pk]) + "#issued")
    now = clock.now()
    issued = _issued_during(request, visit)
    bound = form if status != 200 else None
    context = _clinical_context(
        request,
        visit,
        issued=issued,
        now=now,
        bound=bound,
        bound_kind=kind if bound else "",
        done=str(ISSUED_NOTES[kind]) if status == 200 else "",
    )
    if htmx:  # htmx swaps only 2xx answers: a refused form comes back as one, with its errors
        return render(request, "staff/clinician/_clinical.html", {"visit": visit, **context})
    return _render_visit(request, visit, extra=context, status=status)


@staff_required(Action.DOCUMENT_ISSUE)
def drugs(request: HttpRequest) -> HttpResponse:
    """The prescription form's drug picker: the catalogue's active drugs matching the text (at most 20)."""
    query = str(request.GET.get("drug_q", ""))[:60]
    found = _drugs(query, [])
    form = clinical_forms.PrescriptionForm(prefix="prescription", drugs=found)
    return render(request, "staff/clinician/_drug_choices.html", {"form": form, "drug_query": query, "found": found})
