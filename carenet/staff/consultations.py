"""Online consultations in the clinician's console (TEL-2, TEL-3, CLN-5, CLN-6, SCH-3): "Konsultacje online" — the
lines the clinician is on duty for, how many wait and for how long (coordinators see the counts too), "take the next
patient" (the queue decides whom); the room — the call and the chat (``templates/consultations/room.html``), the
patient, their files, history and documents, issuing during the call without leaving it (HTMX) and ending it with
its outcome; and a booked video visit's "Join" from the day list. Changes through
:mod:`carenet.consultations.services`; every read of a patient's data is recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carenet.accounts.permissions import Action
from carenet.consultations import chat
from carenet.consultations import selectors as consultations
from carenet.consultations import services as consultation_services
from carenet.consultations.models import ChatMessage, Consultation
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied
from carenet.encounters import selectors as encounters
from carenet.staff import files as staff_files
from carenet.staff.clinician import HISTORY_SHOWN, _clinical_context, _issued_during
from carenet.web.access import acting_user, forbidden, request_actor, staff_required
from carenet.web.reads import What, record_reads
from carenet.web.rooms import room_context, room_token_response

#: How often the console asks again how many wait (seconds); the page works without it.
QUEUE_POLL_SECONDS = 10


@staff_required(Action.CONSULTATION_QUEUE_VIEW)
def console(request: HttpRequest) -> HttpResponse:
    """The lines on duty now with their waiting counts and the oldest wait, the clinician's consultation under way,
    and "take the next patient". No patient data: counts and minutes only. HTMX asks for the counts again."""
    actor = request_actor(request)
    state = consultations.console_state(actor=actor, now=clock.now())
    until: dict[int, Any] = {}
    for duty in state.duties:
        until[duty.line_id] = max(until.get(duty.line_id, duty.ends_at), duty.ends_at)
    rows = [{"load": load, "until": until.get(load.line.pk)} for load in state.lines]
    context = {
        "state": state,
        "rows": rows,
        "clinician": actor.clinician_id is not None,
        "can_take": actor.can(Action.CONSULTATION_TAKE),
        "poll_seconds": QUEUE_POLL_SECONDS,
    }
    if getattr(request, "htmx", False):
        return render(request, "staff/consultations/console.html#queue", context)
    return render(request, "staff/consultations/console.html", context)


@staff_required(Action.CONSULTATION_TAKE)
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    """TEL-2: the oldest waiting patient of the clinician's lines becomes their consultation (never picked)."""
    try:
        # The service reads the clock after locking the clinician: a take never starts before their previous
        # consultation (in another tab) ended.
        taken = consultation_services.consultation_take_next(actor=acting_user(request))
    except PermissionDenied:
        return forbidden(request)
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("staff:consultations")
    if taken is None:
        messages.info(request, _("Nobody is waiting in your lines now."))
        return redirect("staff:consultations")
    return redirect("staff:consultation_room", consultation_id=taken.pk)


def _own_consultation(request: HttpRequest, consultation_id: int, action: Action) -> Consultation:
    """The consultation if the clinician takes part in it; 404 for anyone else (as if it did not exist)."""
    actor = request_actor(request)
    try:
        consultation = consultations.access_consultation(actor=actor, consultation_id=consultation_id, action=action)
    except NotFound as error:
        raise Http404 from error
    if consultations.side_of(actor, consultation) != ChatMessage.Side.CLINICIAN or consultation.appointment is None:
        raise Http404
    return consultation


@staff_required(Action.CONSULTATION_JOIN)
def room(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The room: the call and the chat; the patient (name, age, line, form), their attached files (TEL-3), their
    visits in the network (CLN-6), documents issued during the visit and the forms to issue them (CLN-5), and the
    end of the consultation with its outcome. After the end: the outcome and the chat's transcript."""
    consultation = _own_consultation(request, consultation_id, Action.CONSULTATION_JOIN)
    visit = consultation.appointment
    assert visit is not None  # _own_consultation checks it
    actor = request_actor(request)
    now = clock.now()
    patient = consultation.patient
    record_reads(request, patient_ids=[patient.pk], what=What.CONSULTATIONS, reference=consultation.pk)
    record_reads(request, patient_ids=[patient.pk], what=What.VISIT, reference=visit.pk)
    record_reads(request, patient_ids=[patient.pk], what=What.MEDICAL_RECORD, reference=visit.pk)
    history = encounters.visit_history(patient_id=patient.pk, now=now, limit=HISTORY_SHOWN + 1)
    try:
        age = age_on(patient.birth_date, clock.local(now).date())
    except ValueError:
        age = None
    context: dict[str, Any] = {
        "consultation": consultation,
        "visit": visit,
        "patient": patient,
        "age": age,
        "pesel_tail": patient.pesel[-4:],
        "phone": encounters.phone_of(visit),
        "history": history[:HISTORY_SHOWN],
        "history_more": len(history) > HISTORY_SHOWN,
        "open": consultation.status == Consultation.Status.IN_PROGRESS,
        "outcomes": Consultation.Outcome.choices,
        "can_end": actor.can(Action.CONSULTATION_END),
        "transcript": [],
    }
    if context["open"]:
        token_url = reverse("staff:consultation_token", args=[consultation.pk])
        context |= room_context(
            user_id=acting_user(request).pk,
            consultation=consultation,
            side=ChatMessage.Side.CLINICIAN,
            token_url=token_url,
            session_key=request.session.session_key,
        )
    else:
        context["transcript"] = [
            {"message": chat.message_json(message), "sent_at": message.sent_at}
            for message in chat.transcript(consultation)
        ]
    context |= _clinical_context(request, visit, issued=_issued_during(request, visit), now=now)
    context |= staff_files.visit_files_context(request, visit)  # TEL-3: "Pliki od pacjenta"
    return render(request, "staff/consultations/room.html", context)


@staff_required(Action.CONSULTATION_JOIN)
@require_POST
def token(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """A fresh socket token for the room's script (it lives minutes; the script asks again when it reconnects)."""
    consultation = _own_consultation(request, consultation_id, Action.CONSULTATION_JOIN)
    if consultation.status != Consultation.Status.IN_PROGRESS:
        raise Http404
    return room_token_response(
        user_id=acting_user(request).pk,
        consultation=consultation,
        side=ChatMessage.Side.CLINICIAN,
        session_key=request.session.session_key,
    )


@staff_required(Action.CONSULTATION_END)
@require_POST
def end(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """End the consultation with its outcome (and a short note): the visit is closed, the patient's page turns to
    the summary and the survey."""
    consultation = _own_consultation(request, consultation_id, Action.CONSULTATION_END)
    outcome = str(request.POST.get("outcome", ""))[:20]
    note = str(request.POST.get("note", ""))[:1000]
    try:
        consultation_services.consultation_end(
            actor=acting_user(request), consultation_id=consultation.pk, outcome=outcome, note=note
        )
    except PermissionDenied:
        return forbidden(request)
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("staff:consultation_room", consultation_id=consultation.pk)
    messages.success(request, _("The consultation has ended."))
    return redirect("staff:consultation_room", consultation_id=consultation.pk)


@staff_required(Action.CONSULTATION_JOIN)
@require_POST
def join_visit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """SCH-3: "Join" a booked video visit from the day list — its room opens from 15 minutes before its start."""
    try:
        consultation = consultation_services.room_for_visit(
            actor=acting_user(request), appointment_id=appointment_id, now=clock.now()
        )
    except NotFound as error:
        raise Http404 from error
    except PermissionDenied:
        return forbidden(request)
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("staff:clinician_visit", appointment_id=appointment_id)
    return redirect("staff:consultation_room", consultation_id=consultation.pk)
