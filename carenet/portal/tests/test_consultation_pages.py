""" "Konsultacje online" in the portal (TEL-2, TEL-3, FBK-1, CLN-5, ACC-4, SCH-3): the lines, starting one, waiting
with the place in the queue, leaving, a refused start with the nearest bookable times, a guardian for a child, the
page after it (transcript, documents, survey once) and joining a booked video visit at its time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.booking.models import Appointment, Channel
from carenet.clinical.tests.factories import RecommendationFactory
from carenet.consultations import services
from carenet.consultations.models import Consultation, Duty, Line, QueuedFile, SurveyAnswer
from carenet.core import clock
from carenet.coverage.models import Enrolment
from carenet.coverage.tests.factories import BenefitItemFactory
from carenet.network.tests.factories import ServiceFactory, SpecialtyFactory
from tests.cast import Cast, remote_slot, with_consultation, with_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> Cast:
    return with_consultation(with_files(cast))


def start(client, line: str, mode: str = "chat", **extra: object):  # type: ignore[no-untyped-def]
    return client.post(reverse("portal:consultation_start"), {"line": line, "mode": mode, **extra})


def test_the_menu_and_the_lines_page(world: Cast) -> None:
    client = world.client("patient")
    page = client.get(reverse("portal:consultations"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Konsultacje online" in html and f'href="{reverse("portal:consultations")}"' in html
    assert 'data-line="interna"' in html and "Rozpocznij" in html
    assert f'data-consultation="{world.consultation.pk}"' in html  # type: ignore[union-attr]  # the past one


def test_start_wait_with_the_position_then_leave(world: Cast) -> None:
    assert world.spare_file is not None
    client = world.client("patient")
    form = client.get(reverse("portal:consultation_start"), {"line": "interna"})
    html = form.content.decode()
    assert form.status_code == 200 and 'name="mode"' in html and 'value="video"' in html
    assert f'id="start-file-{world.spare_file.pk}"' in html
    answer = start(client, "interna", "video", attach=str(world.spare_file.pk))
    consultation = Consultation.objects.get(patient=world.patient, status=Consultation.Status.WAITING)
    assert answer.status_code == 302 and answer.headers["Location"] == reverse(
        "portal:consultation", args=[consultation.pk]
    )
    assert consultation.mode == "video" and consultation.channel == Channel.PORTAL
    assert list(QueuedFile.objects.filter(consultation=consultation).values_list("file_id", flat=True)) == [
        world.spare_file.pk
    ]
    waiting = client.get(answer.headers["Location"])
    html = waiting.content.decode()
    assert waiting.status_code == 200 and 'id="queue-position"' in html
    assert waiting.context["queue"].position == 1
    assert 'id="consultation-room"' in html and 'data-side="patient"' in html and 'data-status="waiting"' in html
    partial = client.get(answer.headers["Location"], headers={"HX-Request": "true"})
    assert partial.status_code == 200 and partial.content.decode().lstrip().startswith('<div id="queue-status"')
    # A second start while one waits goes to the one that waits.
    again = start(client, "interna")
    assert again.status_code == 302 and again.headers["Location"] == reverse(
        "portal:consultation", args=[consultation.pk]
    )
    leave = reverse("portal:consultation_leave", args=[consultation.pk])
    assert "Opuścić kolejkę?" in client.get(leave).content.decode()
    client.post(leave)
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.LEFT
    after = client.get(reverse("portal:consultation", args=[consultation.pk])).content.decode()
    assert "Opuszczono kolejkę, zanim lekarz podjął konsultację." in after
    assert 'id="survey"' not in after  # FBK-1: a survey follows a consultation that took place


def test_files_attached_and_detached_while_waiting(world: Cast) -> None:
    assert world.file is not None and world.spare_file is not None
    client = world.client("patient")
    start(client, "interna")
    consultation = Consultation.objects.get(patient=world.patient, status=Consultation.Status.WAITING)
    client.post(reverse("portal:consultation_files", args=[consultation.pk]), {"file": [str(world.file.pk)]})
    assert QueuedFile.objects.filter(consultation=consultation, file=world.file).exists()
    client.post(reverse("portal:consultation_file_detach", args=[consultation.pk, world.file.pk]))
    assert not QueuedFile.objects.filter(consultation=consultation).exists()


def test_a_line_not_for_the_patients_age_is_refused(world: Cast) -> None:
    specialty = SpecialtyFactory(code="pediatria", name="Pediatria")
    service = ServiceFactory(code="konsultacja-pediatry", name="Konsultacja pediatry", specialty=specialty)
    Line.objects.create(
        code="pediatria", name="Pediatria", name_en="Paediatrics", specialty=specialty, service=service, below_age=18
    )
    client = world.client("patient")
    page = client.get(reverse("portal:consultations")).content.decode()
    assert 'data-line="pediatria"' in page and "Ta linia nie jest przeznaczona dla pacjenta w tym wieku" in page
    refused = start(client, "pediatria")
    assert refused.status_code == 422 and 'data-code="line_not_for_age"' in refused.content.decode()
    assert not Consultation.objects.filter(line__code="pediatria").exists()


def test_a_level_one_patient_learns_how_to_confirm_their_identity(world: Cast) -> None:
    page = world.client("level_one").get(reverse("portal:consultations"))
    assert page.status_code == 403 and 'id="level-two-required"' in page.content.decode()
    refused = world.client("level_one").post(reverse("portal:consultation_start"), {"line": "interna", "mode": "chat"})
    assert refused.status_code == 403 and not Consultation.objects.filter(status="waiting").exists()


def test_nobody_on_duty_offers_the_nearest_times_and_one_books(world: Cast) -> None:
    Duty.objects.all().delete()
    tomorrow = clock.at_warsaw(clock.today() + dt.timedelta(days=1), dt.time(16))
    slot = remote_slot(world, starts_at=tomorrow)
    client = world.client("patient")
    refused = start(client, "interna")
    html = refused.content.decode()
    assert refused.status_code == 422 and 'data-code="nobody_on_duty"' in html
    assert f'data-slot="{slot.pk}"' in html
    book_url = refused.context["alternatives"][0][1]
    assert book_url.startswith(reverse("portal:book", args=[slot.pk]) + "?")
    assert f"service={world.consult.code}" in book_url
    assert client.get(book_url).status_code == 200
    booked = client.post(book_url, {"patient": str(world.patient.pk), "accept_price": "on"})
    assert booked.status_code == 302
    appointment = Appointment.objects.get(slot=slot)
    assert appointment.patient == world.patient and appointment.service == world.consult
    # The lines page says nobody is on duty and leads to the same times.
    lines = client.get(reverse("portal:consultations")).content.decode()
    assert "teraz nikt nie ma dyżuru" in lines and "Zobacz najbliższe terminy" in lines


def test_a_guardian_starts_one_for_the_child(world: Cast) -> None:
    specialty = SpecialtyFactory(code="pediatria", name="Pediatria")
    service = ServiceFactory(code="konsultacja-pediatry", name="Konsultacja pediatry", specialty=specialty)
    world.clinician_without.specialties.add(specialty)
    tier = Enrolment.objects.filter(patient=world.child).get().tier
    BenefitItemFactory(benefit=tier.benefits.first(), specialty=specialty)
    line = Line.objects.create(
        code="pediatria", name="Pediatria", name_en="Paediatrics", specialty=specialty, service=service, below_age=18
    )
    now = clock.now()
    Duty.objects.create(
        clinician=world.clinician_without,
        line=line,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    client = world.client("guardian")
    page = client.get(reverse("portal:consultations")).content.decode()
    assert f'data-person="{world.child.pk}"' in page and "Zosia" in page
    # The adult line is not for the child; the paediatric one is.
    refused = start(client, "interna", who=str(world.child.pk))
    assert refused.status_code == 422 and 'data-code="line_not_for_age"' in refused.content.decode()
    answer = start(client, "pediatria", who=str(world.child.pk))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    consultation = Consultation.objects.get(patient=world.child)
    assert consultation.requested_by == world.guardian.user and consultation.status == "waiting"
    assert client.get(reverse("portal:consultation", args=[consultation.pk])).status_code == 200
    assert PatientRead.objects.filter(patient=world.child, what="consultations", door="portal").exists()


def test_someone_elses_consultation_does_not_exist(world: Cast) -> None:
    assert world.consultation is not None
    for role in ("other_patient", "guardian"):
        client = world.client(role)
        assert client.get(reverse("portal:consultation", args=[world.consultation.pk])).status_code == 404
        assert client.post(reverse("portal:consultation_leave", args=[world.consultation.pk])).status_code == 404
        assert client.post(reverse("portal:consultation_token", args=[world.consultation.pk])).status_code == 404
    assert world.client("patient").get(reverse("portal:consultation", args=[2**63])).status_code == 404


def test_after_the_consultation_transcript_documents_and_survey_once(world: Cast) -> None:
    assert world.consultation is not None
    consultation = world.consultation
    RecommendationFactory(
        patient=world.patient,
        appointment=consultation.appointment,
        issued_by=world.clinician_with,
        text="Paracetamol przy gorączce powyżej 38,5°C.",
    )
    client = world.client("patient")
    url = reverse("portal:consultation", args=[consultation.pk])
    html = client.get(url).content.decode()
    assert "Od trzech dni mam gorączkę." in html and "Proszę dużo pić" in html  # the transcript
    assert 'data-document="recommendation"' in html and "Paracetamol" in html  # CLN-5
    assert 'id="survey-form"' in html and 'id="rating-5"' in html
    survey = reverse("portal:consultation_survey", args=[consultation.pk])
    bad = client.post(survey, {"rating": "9", "resolved": "maybe", "comment": "x\x00"})
    assert bad.status_code == 422 and not SurveyAnswer.objects.exists()
    client.post(survey, {"rating": "5", "resolved": "yes", "comment": "Bardzo pomocna rozmowa 👍"})
    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.resolved, answer.answered_by) == (5, "yes", world.patient.user)
    client.post(survey, {"rating": "1", "resolved": "no"})
    assert SurveyAnswer.objects.get().rating == 5  # once
    html = client.get(url).content.decode()
    assert 'id="survey-answered"' in html and 'id="survey-form"' not in html


def test_the_survey_closes_after_seven_days(world: Cast) -> None:
    assert world.consultation is not None and world.consultation.ended_at is not None
    with time_machine.travel(world.consultation.ended_at + dt.timedelta(days=7, minutes=1), tick=False):
        client = world.client("patient")
        html = client.get(reverse("portal:consultation", args=[world.consultation.pk])).content.decode()
        assert 'id="survey-closed"' in html
        client.post(
            reverse("portal:consultation_survey", args=[world.consultation.pk]), {"rating": "4", "resolved": "yes"}
        )
    assert not SurveyAnswer.objects.exists()


def test_a_booked_video_visit_can_be_joined_from_15_minutes_before_until_the_end_of_its_day(world: Cast) -> None:
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
    join = reverse("portal:visit_room", args=[visit.pk])
    with time_machine.travel(starts_at - dt.timedelta(minutes=16), tick=False):
        client = world.client("patient")  # logged in at that time (a session does not last two days)
        visits = client.get(reverse("portal:visits"))
        assert visits.status_code == 200 and f'id="join-{visit.pk}"' not in visits.content.decode()
        refused = client.post(join, follow=True)
        assert "15 minut" in refused.content.decode()
        assert not Consultation.objects.filter(appointment=visit).exists()
    with time_machine.travel(starts_at - dt.timedelta(minutes=14), tick=False):
        client = world.client("patient")
        assert f'id="join-{visit.pk}"' in client.get(reverse("portal:visits")).content.decode()
        answer = client.post(join)
        room = Consultation.objects.get(appointment=visit)
        assert answer.status_code == 302
        assert answer.headers["Location"] == reverse("portal:consultation", args=[room.pk])
        assert room.kind == Consultation.Kind.BOOKED
        page = client.get(answer.headers["Location"]).content.decode()
        assert 'id="consultation-room"' in page and 'data-status="in_progress"' in page
        assert world.client("other_patient").post(join).status_code == 404
    with time_machine.travel(clock.at_warsaw(clock.local(starts_at).date() + dt.timedelta(days=1), dt.time(0, 1))):
        client = world.client("patient")
        assert f'id="join-{visit.pk}"' not in client.get(reverse("portal:visits")).content.decode()


def test_a_consultation_let_go_when_every_duty_ended_says_why_and_leads_to_the_nearest_times(world: Cast) -> None:
    client = world.client("patient")
    start(client, "interna")
    consultation = Consultation.objects.get(patient=world.patient, status=Consultation.Status.WAITING)
    Duty.objects.update(ends_at=clock.now() - dt.timedelta(minutes=1), starts_at=clock.now() - dt.timedelta(hours=2))
    assert services.consultations_close_unstaffed() == 1
    html = client.get(reverse("portal:consultation", args=[consultation.pk])).content.decode()
    assert 'id="left-reason"' in html and "Nikt z tej specjalności już nie dyżurował" in html
    start_url = reverse("portal:consultation_start") + "?line=interna&amp;who=" + str(world.patient.pk)
    assert start_url in html
