"""``/api/v1/consultation-lines`` and ``/api/v1/consultations`` (TEL-2, TEL-3, FBK-1, SCH-3, ACC-4): the mobile app's
online consultations — the lines, start, state with the place in the queue, leave, the socket's token (naming the
right user, consultation and side), the transcript, the survey, the nearest bookable times and a booked video
visit's room. Errors are JSON with stable codes; hostile input is a 4xx and stores nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.booking.models import Appointment
from carenet.consultations.models import Consultation, Duty, QueuedFile, SurveyAnswer
from carenet.consultations.tokens import socket_ticket
from carenet.core import clock
from tests.cast import Cast, remote_slot, with_consultation, with_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> Cast:
    return with_consultation(with_files(cast))


def bearer(cast: Cast, role: str) -> dict[str, str]:
    token, _ = token_issue(user=cast.users[role], name="telefon", now=clock.now())  # type: ignore[arg-type]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def get(cast: Cast, role: str, path: str, **query: Any) -> Any:
    return Client().get(f"/api/v1{path}", query, **bearer(cast, role))


def post(cast: Cast, role: str, path: str, body: Any = None) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body if body is not None else {})
    return Client().post(f"/api/v1{path}", raw, content_type="application/json", **bearer(cast, role))


def test_lines_start_state_socket_and_leave(world: Cast) -> None:
    assert world.spare_file is not None
    lines = get(world, "patient", "/consultation-lines")
    assert lines.status_code == 200
    line = next(row for row in lines.json()["results"] if row["code"] == "interna")
    assert line["eligible"] is True and line["state"] in ("open", "busy") and line["on_duty"] == 1
    started = post(
        world, "patient", "/consultations", {"line_code": "interna", "mode": "voice", "file_ids": [world.spare_file.pk]}
    )
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["status"] == "waiting" and body["position"] == 1 and body["mode"] == "voice"
    assert body["channel"] == "mobile"  # BKG-1: the app's door
    consultation = Consultation.objects.get(pk=body["id"])
    assert QueuedFile.objects.filter(consultation=consultation, file=world.spare_file).exists()
    state = get(world, "patient", f"/consultations/{consultation.pk}")
    assert state.status_code == 200 and state.json()["position"] == 1
    again = post(world, "patient", "/consultations", {"line_code": "interna", "mode": "chat"})
    assert again.status_code == 409 and again.json()["code"] == "already_waiting"
    socket = post(world, "patient", f"/consultations/{consultation.pk}/socket")
    assert socket.status_code == 200
    answer = socket.json()
    assert answer["url"] == "/ws/consultations/" and isinstance(answer["ice_servers"], list)
    ticket = socket_ticket(answer["token"])
    assert ticket is not None
    assert (ticket.user_id, ticket.consultation_id, ticket.side) == (world.patient.user.pk, consultation.pk, "patient")  # type: ignore[union-attr]
    left = post(world, "patient", f"/consultations/{consultation.pk}/leave")
    assert left.status_code == 200 and left.json()["status"] == "left"
    listed = get(world, "patient", "/consultations")
    assert [row["id"] for row in listed.json()["results"]][:2] == [consultation.pk, world.consultation.pk]  # type: ignore[union-attr]


def test_errors_have_codes(world: Cast) -> None:
    assert world.consultation is not None
    ended = world.consultation.pk
    assert post(world, "patient", f"/consultations/{ended}/leave").json()["code"] == "not_waiting"
    assert post(world, "patient", "/consultations", {"line_code": "nic", "mode": "chat"}).json()["code"] == (
        "line_not_found"
    )
    assert post(world, "patient", "/consultations", {"line_code": "interna", "mode": "smoke"}).json()["code"] == (
        "unknown_mode"
    )
    other = get(world, "other_patient", f"/consultations/{ended}")
    assert other.status_code == 404 and other.json()["code"] == "consultation_not_found"
    assert post(world, "other_patient", f"/consultations/{ended}/socket").status_code == 404
    assert get(world, "other_patient", f"/consultations/{ended}/messages").status_code == 404
    level_one = get(world, "level_one", "/consultation-lines")
    assert level_one.status_code == 403 and level_one.json()["code"] == "level_two_required"
    staff = get(world, "call_centre", "/consultations")
    assert staff.status_code == 403 and staff.json()["code"] == "role_not_allowed"
    child = get(world, "patient", "/consultation-lines", patient_id=world.child.pk)
    assert child.status_code == 404 and child.json()["code"] == "patient_not_found"
    Duty.objects.all().delete()
    nobody = post(world, "other_patient", "/consultations", {"line_code": "interna", "mode": "chat"})
    assert nobody.status_code == 409 and nobody.json()["code"] == "nobody_on_duty"
    assert not Consultation.objects.filter(status="waiting").exists()


def test_hostile_input_is_a_4xx_and_stores_nothing(world: Cast) -> None:
    before = (Consultation.objects.count(), SurveyAnswer.objects.count(), QueuedFile.objects.count())
    assert world.consultation is not None
    for body in (
        {"line_code": "inter\x00na", "mode": "chat"},
        {"line_code": "interna", "mode": "chat\x00"},
        {"line_code": "🩺", "mode": "chat"},
        {"line_code": ["interna"], "mode": "chat"},
        {"line_code": "interna", "mode": 5},
        {"line_code": "interna", "mode": "chat", "file_ids": [2**63]},
        {"line_code": "interna", "mode": "chat", "file_ids": "1"},
        {"line_code": "interna", "mode": "chat", "patient_id": True},
        {"line_code": "x" * 10_000, "mode": "chat"},
        [],
        "not json",
    ):
        answer = post(world, "patient", "/consultations", body)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert "code" in answer.json()
    for path in (f"/consultations/{2**63}", "/consultations/abc", "/consultations/0", f"/consultations/{2**70}"):
        answer = get(world, "patient", path)
        assert answer.status_code in (404, 422) and "code" in answer.json()
    survey = f"/consultations/{world.consultation.pk}/survey"
    for body in (
        {"rating": True, "resolved": "yes"},
        {"rating": "5", "resolved": "yes"},
        {"rating": 6, "resolved": "yes"},
        {"rating": 5, "resolved": "maybe"},
        {"rating": 5, "resolved": "yes", "comment": "x" * 501},
        {"rating": 5, "resolved": "yes", "comment": "a\x00b"},
    ):
        answer = post(world, "patient", survey, body)
        assert 400 <= answer.status_code < 500 and "code" in answer.json(), (body, answer.status_code)
    assert (Consultation.objects.count(), SurveyAnswer.objects.count(), QueuedFile.objects.count()) == before
    big = Client().post(
        "/api/v1/consultations", "x" * (10 * 1024 * 1024), content_type="application/json", **bearer(world, "patient")
    )
    assert big.status_code in (400, 413) and "code" in big.json()


def test_transcript_survey_once_and_reads(world: Cast) -> None:
    assert world.consultation is not None
    consultation = world.consultation
    detail = get(world, "patient", f"/consultations/{consultation.pk}").json()
    assert detail["outcome"] == "advice" and detail["survey_open"] is True and detail["clinician"]
    messages = get(world, "patient", f"/consultations/{consultation.pk}/messages").json()["results"]
    assert [(row["seq"], row["side"], row["text"]) for row in messages] == [
        (1, "patient", "Od trzech dni mam gorączkę."),
        (2, "clinician", "Proszę dużo pić i mierzyć temperaturę."),
    ]
    answered = post(world, "patient", f"/consultations/{consultation.pk}/survey", {"rating": 4, "resolved": "partly"})
    assert answered.status_code == 201 and answered.json()["rating"] == 4
    twice = post(world, "patient", f"/consultations/{consultation.pk}/survey", {"rating": 1, "resolved": "no"})
    assert twice.status_code == 409 and twice.json()["code"] == "survey_answered"
    assert SurveyAnswer.objects.get().rating == 4
    assert not PatientRead.objects.exists()  # the patient's own reads are not recorded


def test_alternatives_when_nobody_is_on_duty(world: Cast) -> None:
    Duty.objects.all().delete()
    slot = remote_slot(world, starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=1), dt.time(17)))
    answer = get(world, "patient", "/consultation-lines/interna/alternatives")
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["results"]] == [slot.pk]
    assert answer.json()["results"][0]["mode"] == "video"
    missing = get(world, "patient", "/consultation-lines/nic/alternatives")
    assert missing.status_code == 404 and missing.json()["code"] == "line_not_found"


def test_the_room_of_a_booked_video_visit(world: Cast) -> None:
    starts_at = clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(11))
    slot = remote_slot(world, starts_at=starts_at)
    slot.is_free = False
    slot.save(update_fields=["is_free"])
    visit = Appointment.objects.create(
        patient=world.patient,
        slot=slot,
        service=world.consult,
        price=0,
        status=Appointment.Status.BOOKED,
        channel="portal",
    )
    with time_machine.travel(starts_at - dt.timedelta(hours=1), tick=False):
        early = post(world, "patient", f"/appointments/{visit.pk}/room")
        assert early.status_code == 409 and early.json()["code"]
    with time_machine.travel(starts_at - dt.timedelta(minutes=10), tick=False):
        room = post(world, "patient", f"/appointments/{visit.pk}/room")
        assert room.status_code == 200 and room.json()["kind"] == "booked"
        again = post(world, "patient", f"/appointments/{visit.pk}/room")
        assert again.json()["id"] == room.json()["id"]
        assert post(world, "other_patient", f"/appointments/{visit.pk}/room").status_code == 404
    assert Consultation.objects.filter(appointment=visit).count() == 1
