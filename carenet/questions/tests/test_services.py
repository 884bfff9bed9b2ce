"""Asking, answering and routing (CLN-4) through the services every door calls, on the role cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from carenet.booking.models import Appointment
from carenet.core import clock, periodic
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import OutboundMessage
from carenet.network.models import Clinician
from carenet.questions import selectors
from carenet.questions.models import Question
from carenet.questions.services import question_answer, question_ask, question_due_at, questions_route_overdue
from carenet.questions.tests.factories import actor_of, clinician, completed_visit
from tests.cast import Cast

pytestmark = pytest.mark.django_db

TEXT = "Czy mogę wrócić do pracy w poniedziałek?"


def days_ago(days: int) -> dt.datetime:
    return clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9))


@pytest.fixture
def visit(cast: Cast) -> Appointment:
    """Anna's completed visit three days ago with ``clinician_with`` at Mokotów."""
    return completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(3),
    )


def ask(cast: Cast, role: str, visit: Appointment, text: str = TEXT) -> Question:
    return question_ask(actor=actor_of(cast.user(role)), appointment_id=visit.pk, text=text)


def answer(cast: Cast, role_or_clinician: str | Clinician, question: Question, text: str = "Tak.") -> Question:
    user = role_or_clinician.user if isinstance(role_or_clinician, Clinician) else cast.user(role_or_clinician)
    return question_answer(actor=actor_of(user), question_id=question.pk, text=text)


def sms(question: Question) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(key=f"question-answered:question:{question.pk}"))


# --- Asking -------------------------------------------------------------------------------------------------------


def test_a_patient_asks_about_a_completed_visit_for_its_clinician(cast: Cast, visit: Appointment) -> None:
    question = ask(cast, "patient", visit)
    assert question.status == Question.Status.OPEN
    assert (question.patient, question.asked_by, question.text) == (cast.patient, cast.user("patient"), TEXT)
    assert question.clinician == cast.clinician_with
    assert (question.specialty_id, question.facility_id) == (visit.slot.specialty_id, cast.here.pk)
    assert question.due_at == question_due_at(asked_at=question.asked_at) > question.asked_at
    assert question.routed_at is None


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.BOOKED,
        Appointment.Status.CHECKED_IN,
        Appointment.Status.CANCELLED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.REFUSED_LATE,
    ],
)
def test_only_after_a_completed_visit(cast: Cast, status: str) -> None:
    visit = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(2),
        status=status,
    )
    with pytest.raises(ValidationFailed) as refused:
        ask(cast, "patient", visit)
    assert refused.value.code == "visit_not_completed"
    assert not Question.objects.filter(appointment=visit).exists()


def test_an_upcoming_visit_cannot_be_asked_about(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ask(cast, "patient", cast.visit)
    assert refused.value.code == "visit_not_completed"


def test_not_after_the_window(cast: Cast) -> None:
    old = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(32),
    )
    with pytest.raises(ValidationFailed) as refused:
        ask(cast, "patient", old)
    assert refused.value.code == "question_window_closed"


@pytest.mark.parametrize("role", ["other_patient", "guardian"])
def test_someone_elses_visit_does_not_exist(cast: Cast, visit: Appointment, role: str) -> None:
    count = Question.objects.count()
    with pytest.raises(NotFound) as refused:
        ask(cast, role, visit)
    assert refused.value.code == "visit_not_found"
    with pytest.raises(NotFound):
        question_ask(actor=actor_of(cast.user("patient")), appointment_id=2**63 - 1, text=TEXT)
    assert Question.objects.count() == count


@pytest.mark.parametrize("role", ["clinician_with", "receptionist_here", "call_centre", "admin", "coordinator"])
def test_staff_do_not_ask(cast: Cast, visit: Appointment, role: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        ask(cast, role, visit)
    assert refused.value.code == "role_not_allowed"
    assert not Question.objects.filter(appointment=visit).exists()


def test_level_one_does_not_ask(cast: Cast) -> None:
    own = completed_visit(
        patient=cast.level_one,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(1),
    )
    with pytest.raises(PermissionDenied) as refused:
        ask(cast, "level_one", own)
    assert refused.value.code == "level_two_required"
    assert not Question.objects.filter(appointment=own).exists()


def test_a_guardian_asks_about_their_childs_visit(cast: Cast) -> None:
    child_visit = completed_visit(
        patient=cast.child,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(5),
    )
    question = ask(cast, "guardian", child_visit)
    assert (question.patient, question.asked_by) == (cast.child, cast.user("guardian"))


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "Czy\x00 mogę?"])
def test_a_bad_text_stores_nothing(cast: Cast, visit: Appointment, text: str) -> None:
    with pytest.raises(ValidationFailed):
        ask(cast, "patient", visit, text)
    assert not Question.objects.filter(appointment=visit).exists()


def test_one_open_question_per_visit_and_a_new_one_after_the_answer(cast: Cast, visit: Appointment) -> None:
    first = ask(cast, "patient", visit)
    with pytest.raises(Conflict) as refused:
        ask(cast, "patient", visit, "A druga sprawa?")
    assert refused.value.code == "question_already_open"
    answer(cast, "clinician_with", first)
    second = ask(cast, "patient", visit, "A druga sprawa?")
    assert second.pk != first.pk
    assert list(Question.objects.filter(appointment=visit).values_list("status", flat=True).order_by("pk")) == [
        "answered",
        "open",
    ]


def test_the_database_refuses_a_second_open_question(cast: Cast) -> None:
    fields = {
        field: getattr(cast.question, field)
        for field in ("appointment", "patient", "asked_by", "asked_at", "due_at", "clinician", "specialty")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(text="Druga?", **fields)


# --- Answering ------------------------------------------------------------------------------------------------


def test_the_visits_clinician_answers_and_the_patient_gets_one_sms(cast: Cast, visit: Appointment) -> None:
    question = ask(cast, "patient", visit)
    answered = answer(cast, "clinician_with", question, "Tak, od poniedziałku.")
    stored = Question.objects.get(pk=question.pk)
    assert (stored.status, stored.answer, stored.answered_by) == (
        "answered",
        "Tak, od poniedziałku.",
        cast.clinician_with,
    )
    assert stored.answered_at == answered.answered_at is not None
    [message] = sms(question)
    assert message.recipient == cast.patient.mobile
    assert message.patient_id == cast.patient.pk
    assert message.body == "CareNet: Lekarz odpowiedział na Twoje pytanie — zobacz w Portalu Pacjenta."
    assert "poniedziałku" not in message.body  # no medical content in an SMS
    with pytest.raises(Conflict) as refused:
        answer(cast, "clinician_with", question, "Jeszcze raz")
    assert refused.value.code == "question_already_answered"
    assert len(sms(question)) == 1
    assert Question.objects.get(pk=question.pk).answer == "Tak, od poniedziałku."


def test_the_sms_for_a_childs_question_goes_to_the_guardian(cast: Cast) -> None:
    cast.child.mobile = ""  # a child without a phone of their own
    cast.child.save(update_fields=["mobile"])
    child_visit = completed_visit(
        patient=cast.child,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(5),
    )
    question = ask(cast, "guardian", child_visit)
    answer(cast, "clinician_with", question)
    assert [message.recipient for message in sms(question)] == [cast.guardian.mobile]


def test_a_bad_answer_changes_nothing(cast: Cast, visit: Appointment) -> None:
    question = ask(cast, "patient", visit)
    for text in ("", " ", "x" * 2001, "\x00"):
        with pytest.raises(ValidationFailed):
            answer(cast, "clinician_with", question, text)
    assert Question.objects.get(pk=question.pk).status == "open"
    assert sms(question) == []


@pytest.mark.parametrize("role", ["patient", "receptionist_here", "call_centre", "admin"])
def test_only_clinicians_answer(cast: Cast, visit: Appointment, role: str) -> None:
    question = ask(cast, "patient", visit)
    with pytest.raises(PermissionDenied):
        answer(cast, role, question)
    assert Question.objects.get(pk=question.pk).status == "open"


def test_another_clinician_answers_only_after_routing(cast: Cast, visit: Appointment, time_machine: Any) -> None:
    question = ask(cast, "patient", visit)
    # clinician_without: the same specialty at the same facility, but not the visit's clinician.
    with pytest.raises(NotFound):
        answer(cast, "clinician_without", question)
    assert not selectors.inbox_has(clinician_id=cast.clinician_without.pk, question_id=question.pk)
    time_machine.move_to(question.due_at + dt.timedelta(minutes=1), tick=False)
    assert questions_route_overdue() >= 1
    assert Question.objects.get(pk=question.pk).routed_at == clock.now()
    assert selectors.inbox_has(clinician_id=cast.clinician_without.pk, question_id=question.pk)
    answer(cast, "clinician_without", question)
    assert Question.objects.get(pk=question.pk).answered_by == cast.clinician_without


def test_routing_reaches_the_specialty_at_the_facility_only(cast: Cast, time_machine: Any) -> None:
    """Anna's question is about a psychiatry visit at Wola: after the service time, a psychiatrist at Wola may
    answer it; a psychiatrist at Mokotów, an internist at Wola and the cast's internists may not."""
    question = cast.question
    psychiatry = question.specialty
    interna = cast.consult.specialty
    right = clinician(username="psychiatra-wola", specialties=[psychiatry], facilities=[cast.elsewhere])
    elsewhere = clinician(username="psychiatra-mokotow", specialties=[psychiatry], facilities=[cast.here])
    other_specialty = clinician(username="internista-wola", specialties=[interna], facilities=[cast.elsewhere])
    visits_own = clinician(username="psychiatra-wizyty", specialties=[], facilities=[], existing=question.clinician)
    everyone = (right, elsewhere, other_specialty, cast.clinician_with, cast.clinician_without)

    def inboxes() -> set[str]:
        return {
            c.user.username
            for c in (*everyone, visits_own)
            if question in selectors.inbox(clinician_id=c.pk, answered=False)
        }  # type: ignore[union-attr]

    assert inboxes() == {"psychiatra-wizyty"}
    assert questions_route_overdue() == 0  # not late yet
    time_machine.move_to(question.due_at + dt.timedelta(seconds=1), tick=False)
    assert questions_route_overdue() == 1
    assert inboxes() == {"psychiatra-wizyty", "psychiatra-wola"}
    for refused in (elsewhere, other_specialty, cast.clinician_with, cast.clinician_without):
        with pytest.raises(NotFound):
            answer(cast, refused, question)
    answer(cast, right, question)
    assert Question.objects.get(pk=question.pk).answered_by == right
    assert len(sms(question)) == 1


def test_routing_is_one_update_and_idempotent(cast: Cast, time_machine: Any, django_assert_num_queries: Any) -> None:
    visits = [
        completed_visit(
            patient=cast.patient,
            clinician=cast.clinician_with,
            facility=cast.here,
            service=cast.consult,
            starts_at=days_ago(days),
        )
        for days in (1, 2, 3)
    ]
    questions = [ask(cast, "patient", visit) for visit in visits]
    later = max(question.due_at for question in [*questions, cast.question]) + dt.timedelta(minutes=1)
    time_machine.move_to(later, tick=False)
    with django_assert_num_queries(1):
        assert questions_route_overdue() == 4
    routed_at = set(Question.objects.values_list("routed_at", flat=True))
    with django_assert_num_queries(1):
        assert questions_route_overdue() == 0
    assert set(Question.objects.values_list("routed_at", flat=True)) == routed_at


def test_an_answered_question_is_never_routed(cast: Cast, visit: Appointment, time_machine: Any) -> None:
    question = ask(cast, "patient", visit)
    answer(cast, "clinician_with", question)
    time_machine.move_to(question.due_at + dt.timedelta(days=1), tick=False)
    questions_route_overdue()
    assert Question.objects.get(pk=question.pk).routed_at is None


def test_the_routing_is_a_periodic_job() -> None:
    job = {job.name: job for job in periodic.jobs()}["route-overdue-questions"]
    assert job.every_seconds == 300
    assert job.task.func.__name__ == "route_overdue_questions"


# --- Races (PostgreSQL: select_for_update does nothing on SQLite) ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_questions_about_one_visit_at_once_store_one(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    visit = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(2),
    )
    user = cast.user("patient")

    def body(number: int) -> None:
        question_ask(actor=actor_of(user), appointment_id=visit.pk, text=f"Pytanie {number}")

    errors = run_in_threads(4, body)
    assert Question.objects.filter(appointment=visit, status="open").count() == 1
    assert len(errors) == 3 and all(isinstance(e, Conflict) and e.code == "question_already_open" for e in errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_answering_at_once_answer_once(cast: Cast, time_machine: Any) -> None:
    from carenet.core.testing import run_in_threads

    visit = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(2),
    )
    question = ask(cast, "patient", visit)
    time_machine.move_to(question.due_at + dt.timedelta(minutes=1), tick=False)
    questions_route_overdue()
    users = [cast.user("clinician_with"), cast.user("clinician_without")]

    def body(number: int) -> None:
        question_answer(actor=actor_of(users[number]), question_id=question.pk, text=f"Odpowiedź {number}")

    errors = run_in_threads(2, body)
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "question_already_answered"
    stored = Question.objects.get(pk=question.pk)
    assert stored.status == "answered" and stored.answer in {"Odpowiedź 0", "Odpowiedź 1"}
    assert len(sms(question)) == 1
