"""``/questions``: "Zapytaj lekarza" — Ask the doctor (CLN-4, ACC-4) for the mobile app: the questions of the
patient and of the children they act for, the visits they may still ask about, and asking (one call of
:func:`carenet.questions.services.question_ask`).

Only patients ask (others: 403 ``role_not_allowed``), at level II (403 ``level_two_required``) with an active package
(403 ``package_inactive``). A visit of someone else answers 404 ``visit_not_found``, as one that does not exist, and
stores nothing.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor
from carenet.api.auth import USER_AUTH
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY
from carenet.api.routers.slots import clinician_out
from carenet.api.schemas import ClinicianOut, ErrorOut, InvalidInputOut, Out, ServiceOut
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import PermissionDenied
from carenet.core.validation import DbId, Text
from carenet.questions import policies, selectors, services
from carenet.questions.models import Question
from carenet.web.reads import What, record_reads

router = Router(tags=["questions"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 404: ErrorOut, 409: ErrorOut}


class QuestionVisitOut(Out):
    id: int
    patient_id: int
    patient_name: str
    starts_at: dt.datetime
    service: ServiceOut
    clinician: ClinicianOut


class QuestionOut(Out):
    id: int
    appointment_id: int
    patient_id: int
    status: str = Field(..., description="`open` (waiting for the answer) or `answered`.")
    text: str
    asked_at: dt.datetime
    due_at: dt.datetime = Field(..., description="The service time: the answer is due by then.")
    answer: str | None = None
    answered_at: dt.datetime | None = None
    answered_by: ClinicianOut | None = None


class AskableVisitOut(Out):
    visit: QuestionVisitOut
    ask_until: dt.datetime = Field(..., description="Questions about this visit may be asked until then.")


class QuestionListOut(Out):
    results: list[QuestionOut] = Field(..., description="The questions, latest first.")
    askable: list[AskableVisitOut] = Field(
        ..., description="The completed visits a question may be asked about now (none open about them)."
    )


class QuestionIn(Schema):
    appointment_id: DbId = Field(..., description="A completed visit of the caller or of a child they act for.")
    text: Text = Field(..., min_length=1, max_length=policies.QUESTION_MAX_CHARS)


def _patient_actor(request: HttpRequest) -> tuple[User, Actor]:
    user, actor = request_actor(request)
    if not actor.can(Action.QUESTION_ASK):
        raise PermissionDenied(_("Only patients ask the doctor."), code="role_not_allowed")
    patient_feature_check(user=user, feature=Feature.ASK_THE_DOCTOR)  # ACC-4: 403 level_two_required
    return user, actor


def visit_out(visit: Appointment) -> QuestionVisitOut:
    service = visit.service
    return QuestionVisitOut(
        id=visit.pk,
        patient_id=visit.patient_id,
        patient_name=visit.patient.full_name,
        starts_at=visit.slot.starts_at,
        service=ServiceOut(
            id=service.pk, code=service.code, name=service.name, kind=service.kind, name_en=service.name_en
        ),
        clinician=clinician_out(visit.slot.clinician),
    )


def question_out(question: Question) -> QuestionOut:
    answered = question.status == Question.Status.ANSWERED
    return QuestionOut(
        id=question.pk,
        appointment_id=question.appointment_id,
        patient_id=question.patient_id,
        status=question.status,
        text=question.text,
        asked_at=question.asked_at,
        due_at=question.due_at,
        answer=question.answer if answered else None,
        answered_at=question.answered_at,
        answered_by=clinician_out(question.answered_by) if answered and question.answered_by else None,
    )


@router.get("/questions", response={200: QuestionListOut, **READ_ERRORS}, summary="Questions to the doctor")
def question_list(request: HttpRequest) -> QuestionListOut:
    """CLN-4: the caller's and their children's questions with the answers, and the completed visits they may ask
    about now."""
    _user, actor = _patient_actor(request)
    rows = selectors.visits_to_ask_about(patient_ids=actor.family_ids, now=clock.now())
    record_reads(request, patient_ids=[row.visit.patient_id for row in rows], what=What.QUESTIONS)
    questions = sorted(
        (question for row in rows for question in row.questions), key=lambda q: (q.asked_at, q.pk), reverse=True
    )
    return QuestionListOut(
        results=[question_out(question) for question in questions],
        askable=[
            AskableVisitOut(visit=visit_out(row.visit), ask_until=row.ask_until or row.visit.slot.ends_at)
            for row in rows
            if row.can_ask
        ],
    )


@router.post("/questions", response={201: QuestionOut, **WRITE_ERRORS}, summary="Ask the doctor")
def question_ask(
    request: HttpRequest,
    payload: QuestionIn,
    idempotency_key: Text | None = IDEMPOTENCY_KEY,
) -> Status:
    """CLN-4: ask about a completed visit. Refusals: 404 `visit_not_found`; 409 `question_already_open`; 422
    `visit_not_completed`, `question_window_closed`, `question_text_empty`, `question_text_too_long`,
    `question_text_invalid`; 403 `role_not_allowed`, `level_two_required`, `package_inactive`."""
    user, actor = _patient_actor(request)

    def run() -> Answer:
        question = services.question_ask(actor=actor, appointment_id=payload.appointment_id, text=payload.text)
        return 201, question_out(question)

    return idempotent(request, user=user, key=idempotency_key, run=run)
