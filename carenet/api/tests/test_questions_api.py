"""``/api/v1/questions`` (CLN-4, ACC-4): the mobile app's "Zapytaj lekarza" — typed answers, JSON errors with stable
codes, declared in OpenAPI; someone else's visit is 404 and nothing is stored; no input makes a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.questions.models import Question
from carenet.questions.tests.factories import completed_visit
from tests.cast import Cast

pytestmark = pytest.mark.django_db

URL = "/api/v1/questions"


def visit_of(cast: Cast, patient: Any = None, days: int = 3) -> Appointment:
    return completed_visit(
        patient=patient or cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9)),
    )


def bearer(cast: Cast, role: str) -> dict[str, str]:
    token, _ = token_issue(user=cast.users[role], name="telefon", now=clock.now())  # type: ignore[arg-type]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(cast: Cast, role: str, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(URL, raw, content_type="application/json", **bearer(cast, role))


def test_the_list_shows_the_questions_and_the_visits_to_ask_about(cast: Cast) -> None:
    visit = visit_of(cast)
    answer = Client().get(URL, **bearer(cast, "patient"))
    assert answer.status_code == 200
    body = answer.json()
    [question] = body["results"]
    assert question["id"] == cast.question.pk and question["status"] == "open"
    assert question["appointment_id"] == cast.past_visit.pk and question["text"] == cast.question.text
    assert question["answer"] is None and question["due_at"]
    assert [row["visit"]["id"] for row in body["askable"]] == [visit.pk]  # past_visit has its open question
    assert body["askable"][0]["visit"]["clinician"]["name"] == "Jan Kowalski"


def test_asking_answers_201_then_409_for_a_second_open_question(cast: Cast) -> None:
    visit = visit_of(cast)
    first = post(cast, "patient", {"appointment_id": visit.pk, "text": "Czy mogę pić kawę? ☕"})
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "open" and first.json()["text"] == "Czy mogę pić kawę? ☕"
    second = post(cast, "patient", {"appointment_id": visit.pk, "text": "I jeszcze?"})
    assert (second.status_code, second.json()["code"]) == (409, "question_already_open")
    assert Question.objects.filter(appointment=visit).count() == 1


def test_a_guardian_asks_for_their_child_and_reads_are_recorded(cast: Cast) -> None:
    visit = visit_of(cast, patient=cast.child)
    assert post(cast, "guardian", {"appointment_id": visit.pk, "text": "Czy Zosia może na basen?"}).status_code == 201
    body = Client().get(URL, **bearer(cast, "guardian")).json()
    assert [question["patient_id"] for question in body["results"]] == [cast.child.pk]
    assert set(PatientRead.objects.values_list("patient_id", "what", "door")) == {(cast.child.pk, "questions", "api")}


@pytest.mark.parametrize("role", ["other_patient", "guardian"])
def test_someone_elses_visit_is_404_and_nothing_is_stored(cast: Cast, role: str) -> None:
    visit = visit_of(cast)
    count = Question.objects.count()
    answer = post(cast, role, {"appointment_id": visit.pk, "text": "Pytanie?"})
    assert (answer.status_code, answer.json()["code"]) == (404, "visit_not_found")
    assert Question.objects.count() == count


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("clinician_with", "role_not_allowed"),
        ("call_centre", "role_not_allowed"),
        ("admin", "role_not_allowed"),
        ("level_one", "level_two_required"),
        ("lapsed", "package_inactive"),
    ],
)
def test_who_may_not_ask(cast: Cast, role: str, code: str) -> None:
    count = Question.objects.count()
    for answer in (
        Client().get(URL, **bearer(cast, role)),
        post(cast, role, {"appointment_id": visit_of(cast).pk, "text": "Pytanie?"}),
    ):
        assert (answer.status_code, answer.json()["code"]) == (403, code)
    assert Question.objects.count() == count


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"appointment_id": "past", "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": 2**64, "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": 0, "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": None, "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": True, "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": 1.5, "text": "Pytanie?"}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": ["a"]}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": "Czy\x00?"}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": "\ud800"}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": ""}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": "x" * 2001}, 422, "invalid_input"),
        ({"appointment_id": "VISIT", "text": "   "}, 422, "question_text_empty"),
        ({"appointment_id": "UPCOMING", "text": "Pytanie?"}, 422, "visit_not_completed"),
        ({"appointment_id": "OLD", "text": "Pytanie?"}, 422, "question_window_closed"),
        ({"appointment_id": 2**63 - 1, "text": "Pytanie?"}, 404, "visit_not_found"),
        ("{not json", 400, "invalid_json"),
        ([1, 2], 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_json_error_and_stores_nothing(cast: Cast, body: Any, status: int, code: str) -> None:
    ids = {"VISIT": visit_of(cast).pk, "UPCOMING": cast.visit.pk, "OLD": visit_of(cast, days=40).pk}
    if isinstance(body, dict):
        body = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    count = Question.objects.count()
    answer = post(cast, "patient", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["code"] == code
    assert Question.objects.count() == count


def test_the_endpoints_and_their_errors_are_in_the_openapi_document(cast: Cast) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operations = document["paths"]["/api/v1/questions"]
    assert {"200", "401", "403", "422"} <= set(operations["get"]["responses"])
    assert {"201", "401", "403", "404", "409", "422"} <= set(operations["post"]["responses"])
    assert operations["post"]["requestBody"]["content"]["application/json"]["schema"]
