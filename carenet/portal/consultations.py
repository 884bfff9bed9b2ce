""" "Konsultacje online" — the patient's online consultations in the portal (TEL-2, TEL-3, FBK-1, CLN-5, ACC-4,
SCH-3; seed 004 "Konsultacje online"): the on-demand lines for the patient and each child they act for, with whether
each is open and about how long the wait is; "Rozpocznij" (whom it is for, chat, voice or video, files from "Twoje
pliki"); the waiting page (position and estimated wait, live through the room's socket and refreshed every 15 s
without it; leave; files); the room; and, once it ended, what came of it: the outcome, the chat transcript, the
documents issued during it and the short survey.

Level II (a level I account gets the explanation of how to confirm its identity). Every change is one call of
:mod:`carenet.consultations.services`; every read of a consultation's data is recorded (``What.CONSULTATIONS``).
A refused start says why and, when nobody is on duty or the wait is too long, offers the nearest phone and video
times to book through the portal's booking step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.booking.models import Channel
from carenet.booking.offers import Offer, offer_status, offers_for
from carenet.clinical.selectors import documents_issued_during
from carenet.consultations import chat, selectors, services
from carenet.consultations import errors as consultation_errors
from carenet.consultations.models import ChatMessage, Consultation, Line, QueuedFile, SurveyAnswer
from carenet.consultations.policies import ConsultationCode
from carenet.consultations.selectors import LineOffer
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.core.http import HtmxHttpRequest
from carenet.core.validation import db_id_or_none
from carenet.coverage.selectors import coverage_for
from carenet.files import selectors as file_selectors
from carenet.web.access import acting_user, level_two_required, request_actor
from carenet.web.booking_flow import coverage_label
from carenet.web.reads import What, record_reads
from carenet.web.rooms import room_context, room_token_response

#: The codes of a refused start after which the nearest bookable phone and video times are offered (TEL-2).
OFFER_ALTERNATIVES = frozenset({"nobody_on_duty", "wait_too_long"})
#: How many file ids one form may carry (a patient stores at most a handful).
MAX_CHOSEN = 20

MODE_HELP = {
    Consultation.Mode.CHAT: gettext_lazy(
        "You write with the clinician; no camera or microphone is needed, and you can answer in your own time."
    ),
    Consultation.Mode.VOICE: gettext_lazy(
        "You talk with the clinician as on the phone, through your device's microphone and speaker."
    ),
    Consultation.Mode.VIDEO: gettext_lazy(
        "You see and hear each other; the browser asks you to allow the camera and the microphone."
    ),
}
RATING_WORDS = {
    1: gettext_lazy("1 — very poor"),
    2: gettext_lazy("2 — poor"),
    3: gettext_lazy("3 — acceptable"),
    4: gettext_lazy("4 — good"),
    5: gettext_lazy("5 — very good"),
}


class StartForm(CheckedInputMixin, forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Form of the consultation"),
        choices=Consultation.Mode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose chat, voice call or video call.")},
    )
    attach = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Files for the clinician (optional)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, file_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attach"].choices = file_choices  # type: ignore[attr-defined]


class SurveyForm(CheckedInputMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How do you rate the consultation?"),
        choices=list(RATING_WORDS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a rating from 1 to 5.")},
    )
    resolved = forms.ChoiceField(
        label=gettext_lazy("Was your problem resolved?"),
        choices=SurveyAnswer.Resolved.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Say whether your problem was resolved.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional, at most 500 characters)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


def refusal_message(code: str | None) -> str:
    """The words of a refusal code of the consultations (or of the booking rules it reuses)."""
    if not code:
        return ""
    try:
        return str(consultation_errors.MESSAGES[ConsultationCode(code)])
    except (KeyError, ValueError):
        return ""


def _me(request: HttpRequest) -> Patient:
    return request.patient  # type: ignore[attr-defined]


def _family(request: HttpRequest) -> list[Patient]:
    return account_selectors.patients_acting_for(patient=_me(request), today=clock.today())


def _consultation(request: HttpRequest, consultation_id: int) -> Consultation:
    """The consultation of the patient or of a child they act for (404 for anyone else's, as if it did not exist)."""
    try:
        return selectors.access_consultation(actor=request_actor(request), consultation_id=consultation_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing


def _consultation_url(consultation: Consultation) -> str:
    return reverse("portal:consultation", args=[consultation.pk])


@require_GET
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultations(request: HttpRequest) -> HttpResponse:
    """ "Konsultacje online" (TEL-2): for the patient and each child, every line with whether it is for them (and
    why not), whether someone is on duty and about how long the wait is; the consultation under way, if any; and
    the past ones."""
    actor = request_actor(request)
    now = clock.now()
    family = _family(request)
    people = [
        {
            "person": person,
            "lines": [_line_row(offer) for offer in selectors.lines_for(actor=actor, patient_id=person.pk, now=now)],
        }
        for person in family
    ]
    # Every consultation of the family under way: each child (and the patient) may wait in one at once, and a
    # guardian must find each of them here to be in its room when a clinician takes it.
    under_way = list(
        selectors.consultations_visible_to(actor)
        .filter(kind=Consultation.Kind.ON_DEMAND, status__in=Consultation.OPEN_STATUSES)
        .order_by("queued_at", "id")
    )
    past = list(
        selectors.consultations_visible_to(actor)
        .filter(status__in=[Consultation.Status.ENDED, Consultation.Status.LEFT])
        .order_by("-queued_at", "-id")[:20]
    )
    record_reads(request, patient_ids=[person.pk for person in family], what=What.CONSULTATIONS)
    context = {"people": people, "under_way": under_way, "past": past, "family": family}
    return render(request, "portal/consultations/lines.html", context)


def _line_row(offer: LineOffer) -> dict[str, Any]:
    """A line as the pages show it: its state, and why not when it is not for this person (age, level); a line
    with nobody on duty or too long a wait leads to the nearest bookable times instead."""
    capacity = offer.refusal in OFFER_ALTERNATIVES
    return {"offer": offer, "message": "" if capacity else refusal_message(offer.refusal), "alternatives": capacity}


def _alternatives(whose: Patient, line: Line, now: dt.datetime) -> list[tuple[Offer, str, str, str]]:
    """TEL-2: the nearest bookable phone and video times of the line's specialty, each with its "Umów" link to the
    portal's booking step (the summary with the price, then one tap)."""
    slots = selectors.alternatives(patient_id=whose.pk, line=line, now=now)
    rows = []
    for offer in offers_for(patient=whose, slots=slots, now=now):
        if offer.service is None:
            continue
        query = {"service": offer.service.code, "for": str(whose.pk)}
        label, tone = coverage_label(offer)
        rows.append((offer, reverse("portal:book", args=[offer.slot.pk]) + "?" + urlencode(query), label, tone))
    return rows


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_start(request: HttpRequest) -> HttpResponse:
    """ "Rozpocznij" (TEL-2, TEL-3, PKG-4): for whom (``who``: the patient or a child) in which line (``line``), the
    form (chat, voice or video) and files to attach. POST starts it (one service call) and opens the waiting page;
    a refusal says why, with the nearest bookable times when nobody is on duty or the wait is too long."""
    actor = request_actor(request)
    now = clock.now()
    source = request.POST if request.method == "POST" else request.GET
    family = _family(request)
    whose = next((person for person in family if str(person.pk) == source.get("who", str(_me(request).pk))), None)
    if whose is None:
        raise Http404
    offers = selectors.lines_for(actor=actor, patient_id=whose.pk, now=now)
    offer = next((offer for offer in offers if offer.line.code == source.get("line")), None)
    if offer is None:
        raise Http404
    files = list(file_selectors.file_list_for_patient(patient_id=whose.pk))
    form = StartForm(
        request.POST if request.method == "POST" else None,
        file_choices=[(row.pk, f"{row.original_name} — {row.description}") for row in files],
    )
    refusal: ApplicationError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            started = services.consultation_start(
                actor=acting_user(request),
                patient_id=whose.pk,
                line_code=offer.line.code,
                mode=form.cleaned_data["mode"],
                channel=Channel.PORTAL,
                file_ids=list(dict.fromkeys(form.cleaned_data["attach"]))[:MAX_CHOSEN],
                now=now,
            )
        except NotFound as missing:
            raise Http404(str(missing.message)) from missing
        except ApplicationError as refused:
            if refused.code == "already_waiting" and refused.details.get("consultation_id"):
                messages.info(request, str(refused.message))
                return redirect("portal:consultation", consultation_id=refused.details["consultation_id"])
            refusal = refused
        else:
            messages.success(request, _("You are in the queue. Stay on this page: the clinician will join you here."))
            return redirect(_consultation_url(started))
    refusal_code = refusal.code if refusal is not None else offer.refusal
    show_alternatives = refusal_code in OFFER_ALTERNATIVES
    alternatives = _alternatives(whose, offer.line, now) if show_alternatives else []
    if files:
        record_reads(request, patient_ids=[whose.pk], what=What.FILES, reference=f"consultation:{offer.line.code}")
    context = {
        "whose": whose,
        "offer": offer,
        "line_row": _line_row(offer),
        "coverage": _coverage_words(whose, offer.line, now),
        "form": form,
        "modes": [(value, label, MODE_HELP[Consultation.Mode(value)]) for value, label in Consultation.Mode.choices],
        "refusal": refusal,
        "alternatives": alternatives,
        "show_alternatives": show_alternatives,
    }
    return render(request, "portal/consultations/start.html", context, status=422 if refusal or form.errors else 200)


def _coverage_words(whose: Patient, line: Line, now: dt.datetime) -> tuple[str, str]:
    """PKG-4: how the person's package covers the line's service today, in the booking's words (the start decides
    it again, as a booking does)."""
    decision = coverage_for(patient=whose, service=line.service, day=clock.local(now).date())
    # The label reads only the decision and its status: an on-demand consultation has no slot before it is taken.
    return coverage_label(Offer(slot=None, service=line.service, coverage=decision, status=offer_status(decision)))  # type: ignore[arg-type]


def _room_context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    """The room partial's context (``consultations/room.html``): a socket token for this user on the patient's
    side, and where the room's script refreshes it."""
    return room_context(
        user_id=acting_user(request).pk,
        consultation=consultation,
        side=ChatMessage.Side.PATIENT,
        token_url=reverse("portal:consultation_token", args=[consultation.pk]),
        session_key=request.session.session_key,
    )


@require_GET
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation(request: HtmxHttpRequest, consultation_id: int) -> HttpResponse:
    """One consultation, as its state asks: waiting (position and estimated wait, leave, files), in progress (the
    room with the chat and the call), or after (outcome, transcript, documents, survey). The waiting page's status
    comes alone for its 15-second HTMX refresh."""
    found = _consultation(request, consultation_id)
    now = clock.now()
    record_reads(request, patient_ids=[found.patient_id], what=What.CONSULTATIONS, reference=found.pk)
    context: dict[str, Any] = {"consultation": found, "now": now}
    if found.status == Consultation.Status.WAITING:
        context["queue"] = selectors.queue_state(found, now=now)
        if request.htmx:
            return render(request, "portal/consultations/_queue_status.html", context)
        context |= _waiting_files_context(found)
        context |= _room_context(request, found)
        return render(request, "portal/consultations/waiting.html", context)
    if request.htmx:  # taken or ended while the page waited: the whole page changes
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if found.status == Consultation.Status.IN_PROGRESS:
        context |= _room_context(request, found)
        return render(request, "portal/consultations/room.html", context)
    context |= _after_context(request, found, now=now)
    return render(request, "portal/consultations/after.html", context)


def _waiting_files_context(found: Consultation) -> dict[str, Any]:
    attached = list(QueuedFile.objects.filter(consultation=found).select_related("file").order_by("attached_at", "id"))
    attached_ids = {row.file_id for row in attached}
    others = [
        row for row in file_selectors.file_list_for_patient(patient_id=found.patient_id) if row.pk not in attached_ids
    ]
    return {"attached": attached, "others": others}


def _after_context(request: HttpRequest, found: Consultation, *, now: dt.datetime) -> dict[str, Any]:
    """After the consultation: the transcript, what the clinician issued during it (CLN-5) and the survey (FBK-1:
    for 7 days after a consultation that took place, once)."""
    documents = documents_issued_during(appointment_id=found.appointment_id) if found.appointment_id else None
    survey = selectors.survey_state(found, actor=request_actor(request), now=now)
    left_reason = selectors.left_reason(found)
    return {
        "left_message": refusal_message(left_reason),
        # Each message with whether it is the patient's side's (shown on the right, "Ty").
        "transcript_messages": [
            (message, message.side == ChatMessage.Side.PATIENT) for message in chat.transcript(found)
        ],
        "documents": documents,
        "answer": survey.answer,
        "survey_open": survey.open,
        "survey_form": SurveyForm(),
        "rating_words": RATING_WORDS,
    }


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_leave(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """ "Opuść kolejkę": asks to confirm (GET); POST leaves the queue (one service call)."""
    found = _consultation(request, consultation_id)
    if request.method == "POST":
        try:
            services.consultation_leave(actor=acting_user(request), consultation_id=found.pk)
        except NotFound as missing:
            raise Http404(str(missing.message)) from missing
        except ApplicationError as refusal:
            messages.error(request, str(refusal.message))
        else:
            messages.success(request, _("You have left the queue."))
        return redirect(_consultation_url(found))
    if found.status != Consultation.Status.WAITING:
        return redirect(_consultation_url(found))
    return render(request, "portal/consultations/leave.html", {"consultation": found})


@require_POST
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_files(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """TEL-3: attach the chosen files (``file``) while waiting; all of them or none."""
    found = _consultation(request, consultation_id)
    chosen = [db_id_or_none(raw) for raw in request.POST.getlist("file")[:MAX_CHOSEN]]
    file_ids = list(dict.fromkeys(pk for pk in chosen if pk is not None))
    if not file_ids:
        messages.error(request, _("Choose at least one file to attach."))
        return redirect(_consultation_url(found) + "#files")
    try:
        with transaction.atomic():
            for file_id in file_ids:
                services.queued_file_attach(actor=acting_user(request), consultation_id=found.pk, file_id=file_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(
            request, _("The files are attached: the clinician will see them when the consultation starts.")
        )
    return redirect(_consultation_url(found) + "#files")


@require_POST
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_file_detach(request: HttpRequest, consultation_id: int, file_id: int) -> HttpResponse:
    """TEL-3: take a file off while waiting (it stays in "Twoje pliki")."""
    found = _consultation(request, consultation_id)
    try:
        services.queued_file_detach(actor=acting_user(request), consultation_id=found.pk, file_id=file_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("The file is no longer attached; it stays in your files."))
    return redirect(_consultation_url(found) + "#files")


@require_POST
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_survey(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """FBK-1: the short survey after the consultation, once."""
    found = _consultation(request, consultation_id)
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.survey_answer(
                actor=acting_user(request),
                consultation_id=found.pk,
                rating=form.cleaned_data["rating"],
                resolved=form.cleaned_data["resolved"],
                comment=form.cleaned_data["comment"],
            )
        except NotFound as missing:
            raise Http404(str(missing.message)) from missing
        except ApplicationError as refusal:
            messages.error(request, str(refusal.message))
        else:
            messages.success(request, _("Thank you for your answer."))
        return redirect(_consultation_url(found) + "#survey")
    now = clock.now()
    context: dict[str, Any] = {"consultation": found, "now": now}
    context |= _after_context(request, found, now=now)
    context["survey_form"] = form
    record_reads(request, patient_ids=[found.patient_id], what=What.CONSULTATIONS, reference=found.pk)
    return render(request, "portal/consultations/after.html", context, status=422)


@require_POST
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def consultation_token(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """A fresh socket token for the room (the room's script asks for one before it reconnects): ``{"token"}``."""
    found = _consultation(request, consultation_id)
    return room_token_response(
        user_id=acting_user(request).pk,
        consultation=found,
        side=ChatMessage.Side.PATIENT,
        session_key=request.session.session_key,
    )


@require_POST
@level_two_required(Feature.ONLINE_CONSULTATIONS)
def visit_room(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """SCH-3: "Wejdź do pokoju wizyty online" — the room of a booked video visit, from 15 minutes before it starts
    until the end of its day."""
    try:
        room = services.room_for_visit(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("portal:visits")
    return redirect(_consultation_url(room))
