"""``/consultation-lines`` and ``/consultations``: online consultations for the mobile app (TEL-2, TEL-3, FBK-1,
SCH-3, ACC-4) — the on-demand lines with whether each is open and the estimated wait, starting one (with files from
"Twoje pliki"), its state and place in the queue, leaving the queue, the room's socket token, the chat transcript,
the survey after it, the nearest bookable phone and video times when nobody is on duty, and the room of a booked
video visit (``POST /appointments/{id}/room``). Every change is one call of :mod:`carenet.consultations.services`.

A patient works with their own consultations and their children's (``patient_id`` picks one of them; anyone else's
answers 404 ``consultation_not_found`` / ``patient_not_found``, as one that does not exist). It is level II (403
``level_two_required``) with an active package (403 ``package_inactive``, ACC-7); other roles answer 403
``role_not_allowed``. Refusals answer 409 with the consultations' codes (``line_not_for_age``, ``nobody_on_duty``,
``wait_too_long``, ``already_waiting``, ``not_waiting``, ``survey_closed``, ``survey_answered``, booking rule codes
of the coverage check …). Every read of a consultation's data is recorded (``What.CONSULTATIONS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor
from carenet.api.auth import TOKEN, USER_AUTH, auth_method
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY
from carenet.api.routers.slots import slot_out
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out, SlotOut
from carenet.booking.offers import offers_for
from carenet.consultations import chat, ice, selectors, services
from carenet.consultations import errors as consultation_errors
from carenet.consultations.models import Consultation
from carenet.consultations.policies import ConsultationCode
from carenet.consultations.tokens import socket_token
from carenet.core import clock
from carenet.core.errors import NotFound, PermissionDenied
from carenet.core.validation import DbId, Text
from carenet.web.reads import What, record_reads

router = Router(tags=["consultations"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut}
#: The socket's address (``carenet.realtime.routing``), on the same host as the API.
WS_PATH = "/ws/consultations/"


class PatientIn(Schema):
    patient_id: DbId | None = Field(None, description="Default: the caller. A guardian may name their child.")


class LineOut(Out):
    code: str
    name: str
    name_en: str
    specialty: str = Field(..., description="The specialty's code.")
    min_age: int | None = Field(None, description="From this age (inclusive).")
    below_age: int | None = Field(None, description="Under this age (exclusive).")
    eligible: bool = Field(..., description="Whether this person may start a consultation in the line now.")
    refusal: str | None = Field(None, description="Why not (a refusal code), when not eligible.")
    refusal_message: str | None = None
    state: str = Field(..., description="open, busy (everyone on duty is in a consultation) or closed (nobody).")
    on_duty: int
    waiting: int
    wait_minutes: int | None = Field(None, description="The estimated wait of someone starting now.")


class LineListOut(Out):
    patient_id: int
    results: list[LineOut]


class StartIn(Schema):
    line_code: Text = Field(..., min_length=1, max_length=40)
    mode: Text = Field(..., min_length=1, max_length=10, description="chat, voice or video.")
    patient_id: DbId | None = Field(None, description="Default: the caller. A guardian may name their child.")
    file_ids: list[DbId] = Field(default_factory=list, max_length=20, description="TEL-3: the person's stored files.")


class ConsultationOut(Out):
    id: int
    kind: str = Field(..., description="on_demand or booked (a booked video visit's room).")
    patient_id: int
    patient_name: str
    line_code: str | None = None
    mode: str = Field(..., description="chat, voice or video.")
    channel: str
    status: str = Field(..., description="waiting, in_progress, ended or left.")
    position: int | None = Field(None, description="The place in the queue (1 = next), while waiting.")
    wait_minutes: int | None = Field(None, description="The estimated wait, while waiting.")
    clinician: str | None = None
    queued_at: dt.datetime
    taken_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: str = Field("", description="Once ended: advice, documents, in_person, urgent or no_contact.")
    outcome_note: str = ""
    appointment_id: int | None = Field(None, description="The visit it became (documents issued during it).")
    survey_open: bool = Field(False, description="FBK-1: the survey may be answered now.")
    survey_answered: bool = False
    left_reason: str | None = Field(
        None,
        description="duty_ended: it left the queue because every duty of its line ended (not the patient); "
        "not_covered_any_more: the package stopped covering it while it waited (PKG-4).",
    )


class ConsultationListOut(Out):
    results: list[ConsultationOut]


class SocketOut(Out):
    url: str = Field(..., description="The socket's path on this host (ws: or wss:).")
    token: str = Field(..., description='The first message: {"type": "hello", "token": ..., "after": last seq}.')
    side: str
    ice_servers: list[dict[str, Any]] = Field(..., description="WebRTC ICE servers (STUN, TURN with credentials).")


class MessageOut(Out):
    seq: int
    id: str = Field(..., description="The sending client's own id of the message.")
    side: str
    author: str
    text: str
    at: dt.datetime


class MessageListOut(Out):
    consultation_id: int
    results: list[MessageOut] = Field(..., description="The chat, in order (seq).")


class SurveyIn(Schema):
    rating: int = Field(..., ge=1, le=5, strict=True, description="1 (very poor) to 5 (very good).")
    resolved: Text = Field(..., min_length=1, max_length=10, description="yes, partly or no.")
    comment: Text = Field("", max_length=500)


class SurveyOut(Out):
    consultation_id: int
    rating: int
    resolved: str
    comment: str
    answered_at: dt.datetime


class AlternativesOut(Out):
    line_code: str
    patient_id: int
    results: list[SlotOut] = Field(..., description="The nearest free phone and video times, earliest first.")


def _patient_actor(request: HttpRequest) -> tuple[User, Actor]:
    user, actor = request_actor(request)
    if not actor.is_patient or not actor.can(Action.CONSULTATION_VIEW):
        raise PermissionDenied(_("Online consultations here are for patients."), code="role_not_allowed")
    patient_feature_check(user=user, feature=Feature.ONLINE_CONSULTATIONS)  # ACC-4: 403 level_two_required
    return user, actor


def _whose(actor: Actor, patient_id: int | None) -> int:
    """The caller, or the child they name; anyone else is 404 ``patient_not_found``."""
    whose = patient_id if patient_id is not None else actor.patient_id
    if whose is None or not actor.reaches(Action.CONSULTATION_VIEW, patient_id=whose):
        raise NotFound(_("No such patient."), code="patient_not_found")
    return whose


def _refusal_message(code: str | None) -> str | None:
    try:
        return str(consultation_errors.MESSAGES[ConsultationCode(code)]) if code else None
    except (KeyError, ValueError):
        return None


def consultation_out(consultation: Consultation, *, actor: Actor, now: dt.datetime) -> ConsultationOut:
    state = selectors.state_json(consultation, now=now)
    survey = selectors.survey_state(consultation, actor=actor, now=now)
    return ConsultationOut(
        id=consultation.pk,
        kind=consultation.kind,
        patient_id=consultation.patient_id,
        patient_name=consultation.patient.full_name,
        line_code=consultation.line.code if consultation.line is not None else None,
        mode=consultation.mode,
        channel=consultation.channel,
        status=consultation.status,
        position=state.get("position"),
        wait_minutes=state.get("wait_minutes"),
        clinician=state.get("clinician"),
        queued_at=consultation.queued_at,
        taken_at=consultation.taken_at,
        ended_at=consultation.ended_at,
        outcome=consultation.outcome,
        outcome_note=consultation.outcome_note,
        appointment_id=consultation.appointment_id,
        survey_open=survey.open,
        survey_answered=survey.answer is not None,
        left_reason=selectors.left_reason(consultation),
    )


def _access(actor: Actor, consultation_id: int) -> Consultation:
    return selectors.access_consultation(actor=actor, consultation_id=consultation_id)


@router.get("/consultation-lines", response={200: LineListOut, **READ_ERRORS}, summary="Online consultation lines")
def consultation_line_list(request: HttpRequest, query: Query[PatientIn]) -> LineListOut:
    """TEL-2: the on-demand lines for the person (``patient_id``: the caller or a child): whether each is for them
    (age, package — else the refusal code), whether someone is on duty, how many wait and about how long."""
    _user, actor = _patient_actor(request)
    whose = _whose(actor, query.patient_id)
    offers = selectors.lines_for(actor=actor, patient_id=whose, now=clock.now())
    return LineListOut(
        patient_id=whose,
        results=[
            LineOut(
                code=offer.line.code,
                name=offer.line.name,
                name_en=offer.line.name_en,
                specialty=offer.line.specialty.code,
                min_age=offer.line.min_age,
                below_age=offer.line.below_age,
                eligible=offer.eligible,
                refusal=offer.refusal,
                refusal_message=_refusal_message(offer.refusal),
                state=offer.state,
                on_duty=offer.on_duty,
                waiting=offer.waiting,
                wait_minutes=offer.wait_minutes,
            )
            for offer in offers
        ],
    )


@router.get(
    "/consultation-lines/{line_code}/alternatives",
    response={200: AlternativesOut, **READ_ERRORS},
    summary="The nearest bookable times instead",
)
def consultation_alternatives(request: HttpRequest, line_code: str, query: Query[PatientIn]) -> AlternativesOut:
    """TEL-2: when nobody is on duty (or the wait is too long), the nearest free phone and video times of the
    line's specialty the person may book (``POST /appointments`` with the slot's id), earliest first. 404
    ``line_not_found``."""
    _user, actor = _patient_actor(request)
    whose = _whose(actor, query.patient_id)
    now = clock.now()
    offer = next(
        (
            offer
            for offer in selectors.lines_for(actor=actor, patient_id=whose, now=now)
            if offer.line.code == line_code
        ),
        None,
    )
    if offer is None:
        raise NotFound(_("No such online consultation line."), code="line_not_found")
    patient = Patient.objects.get(pk=whose)  # one of the caller's family (checked by _whose)
    slots = selectors.alternatives(patient_id=whose, line=offer.line, now=now)
    offers = [offer for offer in offers_for(patient=patient, slots=slots, now=now) if offer.service is not None]
    return AlternativesOut(line_code=line_code, patient_id=whose, results=[slot_out(offer) for offer in offers])


@router.get("/consultations", response={200: ConsultationListOut, **READ_ERRORS}, summary="My online consultations")
def consultation_list(request: HttpRequest, query: Query[PatientIn]) -> ConsultationListOut:
    """The person's online consultations, newest first (at most 50): the one under way and the past ones."""
    _user, actor = _patient_actor(request)
    whose = _whose(actor, query.patient_id)
    now = clock.now()
    visible = selectors.consultations_visible_to(actor).select_related("survey")
    rows = list(visible.filter(patient_id=whose).order_by("-queued_at", "-id")[:50])
    record_reads(request, patient_ids=[whose], what=What.CONSULTATIONS)
    return ConsultationListOut(results=[consultation_out(row, actor=actor, now=now) for row in rows])


@router.post("/consultations", response={201: ConsultationOut, **WRITE_ERRORS}, summary="Start an online consultation")
def consultation_start(request: HttpRequest, body: StartIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """TEL-2, TEL-3, PKG-4: start an on-demand consultation in a line (``line_code``) for the caller or a child,
    as chat, voice or video, with the person's stored files; it waits in the queue (``status`` waiting, with its
    ``position``). Refusals: 404 ``line_not_found``; 409 ``line_not_for_age``, ``already_waiting``,
    ``nobody_on_duty``, ``wait_too_long``, ``not_covered`` and the booking rules' codes; 422 ``unknown_mode``."""
    user, actor = _patient_actor(request)
    whose = _whose(actor, body.patient_id)
    door = actor.channel(
        Action.CONSULTATION_START, door=Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL
    )
    if door is None:
        raise PermissionDenied(_("Online consultations here are for patients."), code="role_not_allowed")

    def run() -> Answer:
        now = clock.now()
        started = services.consultation_start(
            actor=user,
            patient_id=whose,
            line_code=body.line_code,
            mode=body.mode,
            channel=door.value,
            file_ids=list(dict.fromkeys(body.file_ids)),
            now=now,
        )
        return 201, consultation_out(started, actor=actor, now=now)

    return idempotent(request, user=user, key=idempotency_key, run=run)


@router.get(
    "/consultations/{consultation_id}", response={200: ConsultationOut, **READ_ERRORS}, summary="A consultation's state"
)
def consultation_detail(request: HttpRequest, consultation_id: DbId) -> ConsultationOut:
    """The consultation's state: its place in the queue and estimated wait while waiting, its clinician once taken,
    its outcome once ended. 404 ``consultation_not_found``."""
    _user, actor = _patient_actor(request)
    found = _access(actor, consultation_id)
    record_reads(request, patient_ids=[found.patient_id], what=What.CONSULTATIONS, reference=found.pk)
    return consultation_out(found, actor=actor, now=clock.now())


@router.post(
    "/consultations/{consultation_id}/leave",
    response={200: ConsultationOut, **WRITE_ERRORS},
    summary="Leave the queue",
)
def consultation_leave(request: HttpRequest, consultation_id: DbId) -> ConsultationOut:
    """Leave the queue while waiting (``status`` left; leaving twice answers the same). 409 ``not_waiting`` once a
    clinician took it."""
    user, actor = _patient_actor(request)
    found = _access(actor, consultation_id)
    left = services.consultation_leave(actor=user, consultation_id=found.pk)
    return consultation_out(left, actor=actor, now=clock.now())


@router.post(
    "/consultations/{consultation_id}/socket",
    response={200: SocketOut, **WRITE_ERRORS},
    summary="A token for the room's socket",
)
def consultation_socket(request: HttpRequest, consultation_id: DbId) -> SocketOut:
    """The room's socket (``url`` on this host): send ``{"type": "hello", "token", "after"}`` first. The token is
    short-lived (ask again before reconnecting) and names the caller, the consultation and their side."""
    user, actor = _patient_actor(request)
    found = _access(actor, consultation_id)
    side = selectors.side_of(actor, found)
    if side is None:
        raise selectors.consultation_not_found()
    return SocketOut(
        url=WS_PATH,
        token=socket_token(
            user_id=user.pk,
            consultation_id=found.pk,
            side=side,
            # A session-authenticated caller (a page) gets a token bound to its session, as the pages' own.
            session_key=request.session.session_key if auth_method(request) != TOKEN else None,
        ),
        side=side,
        ice_servers=ice.ice_servers(user_id=user.pk, now=clock.now()),
    )


@router.get(
    "/consultations/{consultation_id}/messages",
    response={200: MessageListOut, **READ_ERRORS},
    summary="The chat transcript",
)
def consultation_messages(request: HttpRequest, consultation_id: DbId) -> MessageListOut:
    """The consultation's chat, in order (``seq``)."""
    _user, actor = _patient_actor(request)
    found = _access(actor, consultation_id)
    rows = chat.transcript(found)
    record_reads(request, patient_ids=[found.patient_id], what=What.CONSULTATIONS, reference=f"chat {found.pk}")
    return MessageListOut(consultation_id=found.pk, results=[MessageOut(**chat.message_json(row)) for row in rows])


@router.post(
    "/consultations/{consultation_id}/survey",
    response={201: SurveyOut, **WRITE_ERRORS},
    summary="Answer the survey",
)
def consultation_survey(request: HttpRequest, consultation_id: DbId, body: SurveyIn) -> Status:
    """FBK-1: the short survey, once, within 7 days after the consultation ended. 409 ``survey_closed``,
    ``survey_answered``; 422 for a rating outside 1–5 or ``resolved`` not yes/partly/no."""
    user, actor = _patient_actor(request)
    found = _access(actor, consultation_id)
    answer = services.survey_answer(
        actor=user, consultation_id=found.pk, rating=body.rating, resolved=body.resolved, comment=body.comment
    )
    return Status(
        201,
        SurveyOut(
            consultation_id=found.pk,
            rating=answer.rating,
            resolved=answer.resolved,
            comment=answer.comment,
            answered_at=answer.answered_at,
        ),
    )


@router.post(
    "/appointments/{appointment_id}/room",
    response={200: ConsultationOut, **WRITE_ERRORS},
    summary="Join a booked video visit",
)
def visit_room_open(request: HttpRequest, appointment_id: DbId) -> ConsultationOut:
    """SCH-3: the room of a booked video visit, from 15 minutes before it starts until the end of its day; then
    ``POST /consultations/{id}/socket``. 404 for someone else's visit; 409 when it is not a video visit or not
    its time."""
    user, actor = _patient_actor(request)
    room = services.room_for_visit(actor=user, appointment_id=appointment_id)
    return consultation_out(room, actor=actor, now=clock.now())
