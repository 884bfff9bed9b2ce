"""Online consultations in the clinician's console (TEL-2, TEL-3, CLN-5, CLN-6, SCH-3): the queue on duty, "take the
next patient", the room with the patient's files, history and documents issued without leaving it, the end with its
outcome, and a booked video visit's "Join" from the day list."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from carenet.accounts.models import PatientRead, User
from carenet.booking.models import Appointment
from carenet.clinical.models import Recommendation
from carenet.consultations import chat, services
from carenet.consultations.models import Consultation
from carenet.consultations.tests.factories import NOW, ConsultationWorld, build_consultation_world
from carenet.consultations.tokens import socket_ticket
from carenet.encounters.tests.helpers import visit_of
from carenet.files.tests.factories import PatientFileFactory
from carenet.scheduling.models import Mode

pytestmark = pytest.mark.django_db

MOMENT = NOW + dt.timedelta(minutes=5)


@pytest.fixture
def cw(db: None) -> ConsultationWorld:
    return build_consultation_world()


@pytest.fixture
def at_moment() -> Iterator[None]:
    with time_machine.travel(MOMENT, tick=False):
        yield


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(cw: ConsultationWorld, *, mode: str = "video", **fields: Any) -> Consultation:
    patient = cw.adult(**fields) if fields else cw.patient
    assert patient.user is not None
    return services.consultation_start(
        actor=patient.user, patient_id=patient.pk, line_code="interna", mode=mode, channel="portal", now=NOW
    )


def taken(cw: ConsultationWorld, doctor: User) -> Consultation:
    start(cw)
    consultation = services.consultation_take_next(actor=doctor, now=MOMENT)
    assert consultation is not None
    return consultation


def test_the_console_shows_the_lines_on_duty_with_counts_and_takes_the_next_patient_into_the_room(
    cw: ConsultationWorld, at_moment: None
) -> None:
    doctor = cw.on_duty()
    consultation = start(cw)
    client = client_of(doctor)
    page = client.get(reverse("staff:consultations"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="line-interna" data-waiting="1"' in text and "Przyjmij następnego pacjenta" in text
    assert cw.patient.last_name not in text  # counts only, no patient data before taking
    polled = client.get(reverse("staff:consultations"), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and polled.content.decode().lstrip().startswith('<div id="queue"')

    answer = client.post(reverse("staff:consultation_take_next"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("staff:consultation_room", args=[consultation.pk])
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.IN_PROGRESS and consultation.clinician == doctor.clinician

    room = client.get(answer.headers["Location"])
    assert room.status_code == 200
    text = room.content.decode()
    assert 'id="consultation-room"' in text and 'data-side="clinician"' in text and 'data-mode="video"' in text
    assert 'src="/static/js/consultation-room.js"' in text and cw.patient.last_name in text
    ticket = socket_ticket(room.context["room"]["token"])
    assert ticket is not None and (ticket.user_id, ticket.consultation_id, ticket.side) == (
        doctor.pk,
        consultation.pk,
        "clinician",
    )
    reads = set(PatientRead.objects.filter(reader=doctor).values_list("patient_id", "what"))
    assert {(cw.patient.pk, "consultations"), (cw.patient.pk, "visit"), (cw.patient.pk, "medical_record")} <= reads

    fresh = client.post(reverse("staff:consultation_token", args=[consultation.pk]))
    assert fresh.status_code == 200 and "no-store" in fresh.headers["Cache-Control"]
    ticket = socket_ticket(json.loads(fresh.content)["token"])
    assert ticket is not None and ticket.side == "clinician" and ticket.consultation_id == consultation.pk


def test_nobody_waiting_says_so_and_changes_nothing(cw: ConsultationWorld, at_moment: None) -> None:
    client = client_of(cw.on_duty())
    answer = client.post(reverse("staff:consultation_take_next"), follow=True)
    assert "Nikt teraz nie czeka w Twoich kolejkach." in answer.content.decode()
    assert not Consultation.objects.exists() and not Appointment.objects.exists()


def test_a_clinician_not_on_duty_is_refused_and_the_patient_keeps_waiting(
    cw: ConsultationWorld, at_moment: None
) -> None:
    cw.on_duty()  # someone else is on duty, so the patient may start
    consultation = start(cw)
    idle = cw.on_duty(cw.midwifery)  # on duty, but for another line: nobody waits there
    off = cw.on_duty(starts_at=NOW - dt.timedelta(hours=5), ends_at=NOW - dt.timedelta(hours=1))
    page = client_of(off).get(reverse("staff:consultations"))
    assert "Nie masz teraz dyżuru w żadnej kolejce." in page.content.decode()
    assert "take-next" not in page.content.decode()
    answer = client_of(off).post(reverse("staff:consultation_take_next"), follow=True)
    assert answer.status_code == 200
    assert "dyżur" in answer.content.decode().lower()
    assert client_of(idle).post(reverse("staff:consultation_take_next")).status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.WAITING and consultation.clinician is None


def test_a_clinician_in_a_consultation_is_sent_back_to_it(cw: ConsultationWorld, at_moment: None) -> None:
    doctor = cw.on_duty()
    current = taken(cw, doctor)
    other = start(cw, first_name="Ewa", last_name="Zielińska")
    client = client_of(doctor)
    answer = client.post(reverse("staff:consultation_take_next"), follow=True)
    text = answer.content.decode()
    assert reverse("staff:consultation_room", args=[current.pk]) in text and "Wróć do konsultacji" in text
    other.refresh_from_db()
    assert other.status == Consultation.Status.WAITING


def test_the_clinician_ends_the_consultation_with_its_outcome_and_the_visit_is_completed(
    cw: ConsultationWorld, at_moment: None
) -> None:
    doctor = cw.on_duty()
    consultation = taken(cw, doctor)
    assert cw.patient.user is not None
    chat.chat_post(actor=cw.patient.user, consultation_id=consultation.pk, client_id="p-1", text="Boli mnie gardło.")
    client = client_of(doctor)
    url = reverse("staff:consultation_end", args=[consultation.pk])
    refused = client.post(url, {"outcome": "nonsense"}, follow=True)
    assert refused.status_code == 200
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.IN_PROGRESS
    answer = client.post(url, {"outcome": "advice", "note": "Nawadnianie, kontrola za tydzień."})
    assert answer.headers["Location"] == reverse("staff:consultation_room", args=[consultation.pk])
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.ENDED and consultation.outcome == "advice"
    assert consultation.outcome_note == "Nawadnianie, kontrola za tydzień." and consultation.ended_by == doctor
    assert consultation.appointment is not None
    assert consultation.appointment.status == Appointment.Status.COMPLETED
    page = client.get(answer.headers["Location"])
    text = page.content.decode()
    assert 'id="consultation-room"' not in text and "Konsultacja zakończona" in text and 'id="outcome"' in text
    assert 'id="transcript"' in text and "Boli mnie gardło." in text
    assert client.post(reverse("staff:consultation_token", args=[consultation.pk])).status_code == 404


def test_documents_issued_from_the_room_come_back_as_a_fragment_and_belong_to_the_visit(
    cw: ConsultationWorld, at_moment: None
) -> None:
    doctor = cw.on_duty()
    assert doctor.clinician is not None
    doctor.clinician.facilities.add(cw.world.facility)  # a remote visit's documents name the clinician's facility
    consultation = taken(cw, doctor)
    client = client_of(doctor)
    room = client.get(reverse("staff:consultation_room", args=[consultation.pk])).content.decode()
    issue = reverse("staff:clinician_issue", args=[consultation.appointment_id, "recommendation"])
    assert f'hx-post="{issue}"' in room and 'hx-target="#clinical"' in room
    answer = client.post(issue, {"recommendation-text": "Dużo pić i odpoczywać."}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    fragment = answer.content.decode()
    assert fragment.startswith('<section aria-labelledby="issued-heading" id="clinical">')
    assert "<html" not in fragment and "Dużo pić i odpoczywać." in fragment, fragment
    recommendation = Recommendation.objects.get()
    assert recommendation.appointment_id == consultation.appointment_id
    assert recommendation.issued_by == doctor.clinician


def test_the_room_shows_the_files_attached_while_waiting_and_the_patients_history(
    cw: ConsultationWorld, at_moment: None
) -> None:
    doctor = cw.on_duty()
    file = PatientFileFactory(patient=cw.patient, description="Wysypka na ręce")
    assert cw.patient.user is not None
    waiting = services.consultation_start(
        actor=cw.patient.user,
        patient_id=cw.patient.pk,
        line_code="interna",
        mode="chat",
        channel="portal",
        file_ids=[file.pk],
        now=NOW,
    )
    earlier = visit_of(
        cw.patient, cw.world.clinician, cw.world.consult, NOW - dt.timedelta(days=20), facility=cw.world.facility
    )
    consultation = services.consultation_take_next(actor=doctor, now=MOMENT)
    assert consultation is not None and consultation.pk == waiting.pk
    page = client_of(doctor).get(reverse("staff:consultation_room", args=[consultation.pk]))
    text = page.content.decode()
    assert 'id="visit-attached-files"' in text and "Wysypka na ręce" in text
    assert [row.file_id for row in page.context["patient_files"]["attached"]] == [file.pk]
    assert earlier in page.context["history"]
    assert 'data-mode="chat"' in text and 'id="room-media"' not in text


def test_another_clinicians_room_does_not_exist_for_them(cw: ConsultationWorld, at_moment: None) -> None:
    doctor = cw.on_duty()
    consultation = taken(cw, doctor)
    stranger = client_of(cw.on_duty())
    for name in ("staff:consultation_room", "staff:consultation_token", "staff:consultation_end"):
        method = stranger.get if name == "staff:consultation_room" else stranger.post
        answer = method(reverse(name, args=[consultation.pk]), {"outcome": "advice"} if "end" in name else {})
        assert answer.status_code == 404, name
    assert client_of(doctor).get(reverse("staff:consultation_room", args=[10**12])).status_code == 404
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.IN_PROGRESS
    assert not PatientRead.objects.exclude(reader=doctor).exists()


def test_a_coordinator_sees_the_counts_and_cannot_take(cw: ConsultationWorld, at_moment: None) -> None:
    from carenet.accounts.tests.factories import UserFactory

    cw.on_duty()
    start(cw)
    coordinator = client_of(UserFactory(role=User.Role.COORDINATOR))
    page = coordinator.get(reverse("staff:consultations"))
    assert page.status_code == 200 and 'id="line-interna" data-waiting="1"' in page.content.decode()
    assert "take-next" not in page.content.decode()
    assert coordinator.post(reverse("staff:consultation_take_next")).status_code == 403
    assert Consultation.objects.get().status == Consultation.Status.WAITING


def test_a_booked_video_visit_shows_join_on_the_day_list_in_its_window_and_opens_its_room(
    cw: ConsultationWorld,
) -> None:
    clinician = cw.world.clinician
    from carenet.consultations.tests.factories import clinician_user

    doctor = clinician_user(clinician)
    starts = NOW + dt.timedelta(minutes=30)
    visit = visit_of(cw.patient, clinician, cw.world.consult, starts, mode=Mode.VIDEO)
    day = {"date": starts.date().isoformat()}
    with time_machine.travel(starts - dt.timedelta(minutes=20), tick=False):
        early = client_of(doctor).get(reverse("staff:dashboard"), day).content.decode()
        assert f'id="join-{visit.pk}"' not in early
    with time_machine.travel(starts - dt.timedelta(minutes=10), tick=False):
        client = client_of(doctor)
        page = client.get(reverse("staff:dashboard"), day).content.decode()
        join = reverse("staff:consultation_join", args=[visit.pk])
        assert (
            f'id="join-{visit.pk}"' in page and f'action="{join}"' in page and "Wejdź do pokoju wizyty online" in page
        )  # the portal's word
        answer = client.post(join)
        room = Consultation.objects.get(appointment=visit)
        assert room.kind == Consultation.Kind.BOOKED and room.status == Consultation.Status.IN_PROGRESS
        assert answer.headers["Location"] == reverse("staff:consultation_room", args=[room.pk])
        assert client.get(answer.headers["Location"]).status_code == 200
        assert client.post(join).headers["Location"] == answer.headers["Location"]  # one room
        assert Consultation.objects.count() == 1


def test_join_of_a_visit_that_is_not_a_video_visit_is_refused(cw: ConsultationWorld) -> None:
    from carenet.consultations.tests.factories import clinician_user

    doctor = clinician_user(cw.world.clinician)
    visit = visit_of(
        cw.patient, cw.world.clinician, cw.world.consult, NOW + dt.timedelta(minutes=5), facility=cw.world.facility
    )
    with time_machine.travel(NOW, tick=False):
        answer = client_of(doctor).post(reverse("staff:consultation_join", args=[visit.pk]))
    assert answer.status_code == 302 and answer.headers["Location"] == reverse("staff:clinician_visit", args=[visit.pk])
    assert not Consultation.objects.exists()
    other = client_of(clinician_user())
    with time_machine.travel(NOW, tick=False):
        assert other.post(reverse("staff:consultation_join", args=[visit.pk])).status_code == 404
