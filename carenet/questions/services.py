"""Ask the doctor (CLN-4): asking, answering and routing the late questions. Every door calls these.

Each service checks the actor against the permission table first (``QUESTION_ASK``, ``QUESTION_ANSWER``); a refusal
raises a typed error with a stable code and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Clinician
from carenet.questions import policies
from carenet.questions.models import Question
from carenet.questions.policies import QuestionRefusal
from carenet.scheduling.policies import WARSAW, polish_public_holidays

_MESSAGES = {
    QuestionRefusal.VISIT_NOT_COMPLETED: _("You can ask the doctor only about a visit that took place (completed)."),
    QuestionRefusal.WINDOW_CLOSED: _("Questions about this visit could be asked for %(days)s days after it."),
    QuestionRefusal.TEXT_EMPTY: _("Write the text."),
    QuestionRefusal.TEXT_TOO_LONG: _("The text may have at most %(chars)s characters."),
    QuestionRefusal.TEXT_INVALID: _("Remove the control characters from the text."),
    QuestionRefusal.OPEN_EXISTS: _("A question about this visit is already waiting for the doctor's answer."),
    QuestionRefusal.ALREADY_ANSWERED: _("This question has already been answered."),
}
_CONFLICTS = {QuestionRefusal.OPEN_EXISTS, QuestionRefusal.ALREADY_ANSWERED}

#: The SMS notice of an answer (Polish when sent): no medical content, only where to read it.
ANSWERED_SMS = gettext_noop("CareNet: the doctor has answered your question — see it in the Patient Portal.")


def question_error(refusal: QuestionRefusal) -> ApplicationError:
    message = _MESSAGES[refusal] % {"days": policies.ASK_WINDOW_DAYS, "chars": policies.QUESTION_MAX_CHARS}
    if refusal in _CONFLICTS:
        return Conflict(message, code=refusal.value)
    return ValidationFailed(message, code=refusal.value)


def visit_not_found() -> NotFound:
    return NotFound(_("No such visit."), code="visit_not_found")


def question_not_found() -> NotFound:
    return NotFound(_("No such question."), code="question_not_found")


def _role_refused() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def question_due_at(*, asked_at: dt.datetime) -> dt.datetime:
    """The service time of a question asked at ``asked_at`` (``CARENET_QUESTION_SERVICE_WORKING_DAYS``)."""
    days = settings.CARENET_QUESTION_SERVICE_WORKING_DAYS
    first = clock.local(asked_at).date()
    # Two weeks of calendar days more than the working days hold any run of weekends and holidays in Poland.
    holidays = polish_public_holidays(first, first + dt.timedelta(days=2 * days + 14))
    return policies.due_at(asked_at=asked_at, working_days=days, holidays=holidays, tz=WARSAW)


def question_ask(*, actor: Actor, appointment_id: int, text: str, now: dt.datetime | None = None) -> Question:
    """CLN-4: the patient (or a guardian for their child) asks about a completed visit of theirs, within
    :data:`~carenet.questions.policies.ASK_WINDOW_DAYS` days after it. At most one open question per visit: the
    visit's row is locked while its open question is looked for, and the conditional unique constraint refuses a
    second one whatever happens (409 ``question_already_open``). Someone else's visit, or one that does not exist,
    is 404 ``visit_not_found``."""
    if not actor.can(Action.QUESTION_ASK) or actor.user_id is None:
        raise _role_refused()
    if not feature_allowed(Feature.ASK_THE_DOCTOR, level=actor.level or 0):  # ACC-4: level II
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")
    now = now or clock.now()
    refusal = policies.text_refusal(text)
    with transaction.atomic():
        visit = (
            Appointment.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=appointment_id).first()
        )
        if visit is None or not actor.reaches(Action.QUESTION_ASK, patient_id=visit.patient_id):
            raise visit_not_found()
        refusal = policies.ask_refusal(visit_status=visit.status, visit_ended_at=visit.slot.ends_at, now=now) or refusal
        if refusal is None and Question.objects.filter(appointment=visit, status=Question.Status.OPEN).exists():
            refusal = QuestionRefusal.OPEN_EXISTS
        if refusal is not None:
            raise question_error(refusal)
        try:
            with transaction.atomic():
                return Question.objects.create(
                    appointment=visit,
                    patient_id=visit.patient_id,
                    asked_by_id=actor.user_id,
                    text=text,
                    asked_at=now,
                    due_at=question_due_at(asked_at=now),
                    clinician_id=visit.slot.clinician_id,
                    specialty_id=visit.slot.specialty_id,
                    facility_id=visit.slot.facility_id,
                )
        except IntegrityError as error:  # another question won the race for this visit
            raise question_error(QuestionRefusal.OPEN_EXISTS) from error


def question_answer(*, actor: Actor, question_id: int, text: str, now: dt.datetime | None = None) -> Question:
    """CLN-4: the visit's clinician — or, once the question is routed, a clinician of the visit's specialty at its
    facility — answers. Anyone else gets 404 ``question_not_found``; a second answer 409
    ``question_already_answered`` (the answer is a conditional UPDATE of the open question, so two clinicians
    answering at once cannot both win). The patient gets an SMS notice, exactly once (outbox key
    ``question-answered:question:<id>``), on the guardian's phone for a child without one."""
    if not actor.can(Action.QUESTION_ANSWER) or actor.clinician_id is None:
        raise _role_refused()
    now = now or clock.now()
    refusal = policies.text_refusal(text)
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",))
            .select_related("patient", "patient__guardian")
            .filter(pk=question_id)
            .first()
        )
        if question is None or not _may_answer(actor, question):
            raise question_not_found()
        if question.status != Question.Status.OPEN:
            refusal = QuestionRefusal.ALREADY_ANSWERED
        if refusal is not None:
            raise question_error(refusal)
        answered = Question.objects.filter(pk=question.pk, status=Question.Status.OPEN).update(
            status=Question.Status.ANSWERED,
            answer=text,
            answered_by_id=actor.clinician_id,
            answered_at=now,
        )
        if answered != 1:
            raise question_error(QuestionRefusal.ALREADY_ANSWERED)
        question.status = Question.Status.ANSWERED
        question.answer = text
        question.answered_by_id = actor.clinician_id
        question.answered_at = now
        _notify_answered(question)
        return question


def _may_answer(actor: Actor, question: Question) -> bool:
    assert actor.clinician_id is not None
    related = question.clinician_id == actor.clinician_id
    if not related and question.routed_at is not None:
        clinician = Clinician.objects.filter(pk=actor.clinician_id).first()
        if clinician is not None:
            related = policies.may_answer(
                clinician_id=clinician.pk,
                clinician_specialty_ids=set(clinician.specialties.values_list("id", flat=True)),
                clinician_facility_ids=set(clinician.facilities.values_list("id", flat=True)),
                visit_clinician_id=question.clinician_id,
                specialty_id=question.specialty_id,
                facility_id=question.facility_id,
                routed=True,
            )
    return actor.reaches(Action.QUESTION_ANSWER, patient_id=question.patient_id, related=related)


def _notify_answered(question: Question) -> None:
    recipient = question.patient.contact_mobile
    if recipient is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        body = gettext(ANSWERED_SMS)
    outbox_enqueue(
        key=f"question-answered:question:{question.pk}",
        purpose="question-answered",
        channel=MessageChannel.SMS,
        recipient=recipient,
        body=body,
        patient=question.patient,
    )


def questions_route_overdue(*, now: dt.datetime | None = None) -> int:
    """CLN-4: open questions past their service time go to the clinicians of the visit's specialty at its facility
    (``routed_at`` set; they then appear in those clinicians' inbox). One UPDATE whatever the number; a question
    is routed once (idempotent). Returns how many were routed."""
    now = now or clock.now()
    return Question.objects.filter(status=Question.Status.OPEN, routed_at__isnull=True, due_at__lte=now).update(
        routed_at=now
    )
