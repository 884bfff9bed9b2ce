"""The clinician's questions inbox (CLN-4): whose questions it shows, in which order, the late ones marked, the
answer form, the answered tab, the read record — and a refused answer changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.messaging.models import OutboundMessage
from carenet.network.models import Clinician
from carenet.questions.models import Question
from carenet.questions.services import question_ask, questions_route_overdue
from carenet.questions.tests.factories import actor_of, clinician, completed_visit
from tests.cast import Cast

pytestmark = pytest.mark.django_db

INBOX = "/staff/questions/"


@pytest.fixture
def psychiatrist(cast: Cast) -> Clinician:
    """The clinician of Anna's past visit (Wola, psychiatry), with a login."""
    return clinician(username="psychiatra", specialties=[], facilities=[], existing=cast.question.clinician)


def logged_in(found: Clinician) -> Client:
    client = Client()
    client.force_login(found.user)  # type: ignore[arg-type]
    return client


def answer_url(question: Question) -> str:
    return reverse("staff:question_answer", args=[question.pk])


def ask_about_new_visit(cast: Cast, days: int) -> Question:
    visit = completed_visit(
        patient=cast.other_patient,
        clinician=cast.question.clinician,
        facility=cast.elsewhere,
        service=cast.past_visit.service,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9)),
    )
    return question_ask(actor=actor_of(cast.user("other_patient")), appointment_id=visit.pk, text=f"Pytanie {days}")


def test_the_visits_clinician_sees_the_question_with_the_visit_and_the_patient(
    cast: Cast, psychiatrist: Clinician
) -> None:
    html = logged_in(psychiatrist).get(INBOX).content.decode()
    assert f'id="question-{cast.question.pk}"' in html
    assert cast.question.text in html
    assert cast.patient.full_name in html
    assert f"{age_on(cast.patient.birth_date, clock.today())} lat" in html
    assert cast.past_visit.service.name in html
    assert 'data-overdue="1"' not in html
    assert list(PatientRead.objects.values_list("reader__username", "patient_id", "what", "door")) == [
        ("psychiatra", cast.patient.pk, "questions", "staff")
    ]


def test_other_clinicians_see_nothing_and_cannot_answer(cast: Cast) -> None:
    for role in ("clinician_with", "clinician_without"):
        client = cast.client(role)
        assert f'id="question-{cast.question.pk}"' not in client.get(INBOX).content.decode()
        assert client.post(answer_url(cast.question), {"text": "Odpowiedź"}).status_code == 404
    stored = Question.objects.get(pk=cast.question.pk)
    assert (stored.status, stored.answer) == ("open", "")
    assert not PatientRead.objects.exists()
    assert not OutboundMessage.objects.filter(purpose="question-answered").exists()


def test_answering_sends_one_sms_and_moves_the_question_to_the_answered_tab(
    cast: Cast, psychiatrist: Clinician
) -> None:
    client = logged_in(psychiatrist)
    response = client.post(answer_url(cast.question), {"text": "Proszę nie odstawiać leku."})
    assert response.status_code == 302
    stored = Question.objects.get(pk=cast.question.pk)
    assert (stored.status, stored.answer, stored.answered_by) == (
        "answered",
        "Proszę nie odstawiać leku.",
        psychiatrist,
    )
    assert OutboundMessage.objects.filter(key=f"question-answered:question:{stored.pk}").count() == 1
    assert f'id="question-{stored.pk}"' not in client.get(INBOX).content.decode()
    answered = client.get(INBOX, {"tab": "answered"}).content.decode()
    assert "Proszę nie odstawiać leku." in answered and 'aria-current="page"' in answered
    again = client.post(answer_url(cast.question), {"text": "Druga odpowiedź"}, follow=True)
    assert "Na to pytanie już udzielono odpowiedzi." in again.content.decode()
    assert Question.objects.get(pk=stored.pk).answer == "Proszę nie odstawiać leku."
    assert OutboundMessage.objects.filter(key=f"question-answered:question:{stored.pk}").count() == 1


@pytest.mark.parametrize("text", ["", "   ", "\x00"])
def test_an_empty_answer_changes_nothing(cast: Cast, psychiatrist: Clinician, text: str) -> None:
    response = logged_in(psychiatrist).post(answer_url(cast.question), {"text": text}, follow=True)
    assert response.status_code == 200
    assert 'class="message error"' in response.content.decode()
    assert Question.objects.get(pk=cast.question.pk).status == "open"
    assert not OutboundMessage.objects.filter(purpose="question-answered").exists()


def test_oldest_first_and_the_late_ones_marked(cast: Cast, psychiatrist: Clinician, time_machine: Any) -> None:
    newer = ask_about_new_visit(cast, days=2)
    html = logged_in(psychiatrist).get(INBOX).content.decode()
    assert html.index(f'id="question-{cast.question.pk}"') < html.index(f'id="question-{newer.pk}"')
    time_machine.move_to(cast.question.due_at + dt.timedelta(minutes=1), tick=False)
    html = logged_in(psychiatrist).get(INBOX).content.decode()
    assert html.count('data-overdue="1"') == 2  # asked at the same moment of the cast's build
    assert "Po terminie" in html


def test_a_routed_question_reaches_the_specialty_at_the_facility(cast: Cast, time_machine: Any) -> None:
    psychiatry = cast.question.specialty
    colleague = clinician(username="psychiatra-wola", specialties=[psychiatry], facilities=[cast.elsewhere])
    elsewhere = clinician(username="psychiatra-mokotow", specialties=[psychiatry], facilities=[cast.here])
    assert f'id="question-{cast.question.pk}"' not in logged_in(colleague).get(INBOX).content.decode()
    time_machine.move_to(cast.question.due_at + dt.timedelta(minutes=1), tick=False)
    questions_route_overdue()
    html = logged_in(colleague).get(INBOX).content.decode()
    assert f'id="question-{cast.question.pk}"' in html and "Przekazane Twojej specjalności" in html
    assert f'id="question-{cast.question.pk}"' not in logged_in(elsewhere).get(INBOX).content.decode()
    assert logged_in(elsewhere).post(answer_url(cast.question), {"text": "Odpowiedź"}).status_code == 404
    assert logged_in(colleague).post(answer_url(cast.question), {"text": "Odpowiedź"}).status_code == 302
    assert Question.objects.get(pk=cast.question.pk).answered_by == colleague


def test_the_inbox_costs_the_same_queries_for_one_question_or_many(cast: Cast, psychiatrist: Clinician) -> None:
    client = logged_in(psychiatrist)
    client.get(INBOX)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX).status_code == 200
        return len(captured)

    few = queries()
    for days in range(1, 6):
        ask_about_new_visit(cast, days=days)
    assert queries() == few


def test_the_menu_links_the_inbox_for_clinicians_only(cast: Cast) -> None:
    assert f'href="{INBOX}"' in cast.client("clinician_with").get(reverse("staff:dashboard")).content.decode()
    assert f'href="{INBOX}"' not in cast.client("call_centre").get(reverse("staff:dashboard")).content.decode()
