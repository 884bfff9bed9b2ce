"""What an online consultation meets beyond the happy path (TEL-2, TEL-3, CLN-5, CLN-6, PKG-4, BKG-5): bad input of
every kind is a typed refusal that changes nothing; documents are issued during it; coverage and the no-show block
refuse as a booking would; every change is published to the sockets after commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment
from carenet.booking.tests.factories import AppointmentFactory
from carenet.clinical.models import Recommendation
from carenet.consultations import events, services
from carenet.consultations.models import Consultation, QueuedFile
from carenet.consultations.tests.factories import NOW, ConsultationWorld, LineFactory
from carenet.core.errors import ApplicationError
from carenet.encounters.services import visit_issue_recommendation
from carenet.files.attachments import files_visible_to_clinician
from carenet.files.tests.factories import PatientFileFactory
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db
HUGE = 2**70


def _counts() -> tuple[int, int, int, int]:
    return (Consultation.objects.count(), Slot.objects.count(), Appointment.objects.count(), QueuedFile.objects.count())


def _refused(call: Any) -> ApplicationError:
    before = _counts()
    with pytest.raises(ApplicationError) as caught:
        call()
    assert caught.value.status_code < 500 and caught.value.code
    assert _counts() == before
    return caught.value


@pytest.mark.parametrize(
    "override",
    [
        {"patient_id": HUGE},
        {"patient_id": "1"},
        {"patient_id": True},
        {"patient_id": -1},
        {"line_code": None},
        {"line_code": "interna\x00"},
        {"line_code": "x" * 10_000},
        {"line_code": 12},
        {"mode": None},
        {"mode": ["video"]},
        {"channel": None},
        {"channel": "sms"},
        {"file_ids": "123"},
        {"file_ids": [True]},
        {"file_ids": [HUGE]},
        {"file_ids": None},
        {"file_ids": list(range(1, 30))},
    ],
)
def test_bad_input_to_start_is_a_typed_refusal_that_stores_nothing(cw: ConsultationWorld, override: dict) -> None:
    cw.on_duty()
    args: dict[str, Any] = {
        "actor": cw.patient.user,
        "patient_id": cw.patient.pk,
        "line_code": "interna",
        "mode": "video",
        "channel": "portal",
        "now": NOW,
        **override,
    }
    _refused(lambda: services.consultation_start(**args))


def test_bad_input_to_the_other_services_is_a_typed_refusal(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    user = cw.patient.user
    assert user is not None
    consultation = services.consultation_start(
        actor=user, patient_id=cw.patient.pk, line_code="interna", mode="chat", channel="portal", now=NOW
    )
    for bad in (HUGE, "1", True, None, -5):
        _refused(lambda bad=bad: services.consultation_leave(actor=user, consultation_id=bad, now=NOW))
        _refused(lambda bad=bad: services.queued_file_attach(actor=user, consultation_id=consultation.pk, file_id=bad))
        _refused(lambda bad=bad: services.room_for_visit(actor=user, appointment_id=bad, now=NOW))
        _refused(lambda bad=bad: services.consultation_end(actor=doctor, consultation_id=bad, outcome="advice"))
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None
    for note in ("x" * 301, "a\x00", None, 5):
        _refused(lambda note=note: services.consultation_end(
            actor=doctor, consultation_id=taken.pk, outcome="advice", note=note, now=NOW))  # fmt: skip
    for outcome in (None, "", "ADVICE", ["advice"]):
        _refused(lambda outcome=outcome: services.consultation_end(
            actor=doctor, consultation_id=taken.pk, outcome=outcome, now=NOW))  # fmt: skip
    services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="advice", now=NOW)
    for rating, resolved, comment in ((6, "yes", ""), ("5", "yes", ""), (5, None, ""), (5, "yes", "x" * 10_000)):
        _refused(lambda r=rating, s=resolved, c=comment: services.survey_answer(
            actor=user, consultation_id=taken.pk, rating=r, resolved=s, comment=c, now=NOW))  # fmt: skip
    # A patient in a waiting room is not a clinician: they cannot take or end anything.
    _refused(lambda: services.consultation_take_next(actor=user, now=NOW))
    _refused(lambda: services.consultation_end(actor=user, consultation_id=taken.pk, outcome="advice", now=NOW))


def test_documents_are_issued_during_an_on_demand_consultation(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty(clinician=cw.world.clinician)  # works at a network centre: its documents name it
    file = PatientFileFactory(patient=cw.patient, delete_after=NOW + dt.timedelta(days=30))
    assert cw.patient.user is not None
    services.consultation_start(
        actor=cw.patient.user, patient_id=cw.patient.pk, line_code="interna", mode="video", channel="portal", now=NOW
    )
    taken = services.consultation_take_next(actor=doctor, now=NOW + dt.timedelta(minutes=1))
    assert taken is not None and taken.appointment_id is not None
    recommendation = visit_issue_recommendation(
        actor=doctor,
        appointment_id=taken.appointment_id,
        text="Odpoczynek, nawodnienie.",
        now=NOW + dt.timedelta(minutes=5),
    )
    assert Recommendation.objects.get().pk == recommendation.pk
    assert recommendation.facility == cw.world.facility
    # CLN-6: the visit makes the relationship — the clinician now sees the patient's files.
    assert files_visible_to_clinician(actor_for_user(doctor), cw.patient.pk, now=NOW) == [file]
    services.consultation_end(
        actor=doctor, consultation_id=taken.pk, outcome="documents", now=NOW + dt.timedelta(minutes=9)
    )


def test_coverage_and_the_no_show_block_refuse_as_a_booking_would(cw: ConsultationWorld) -> None:
    world = cw.world
    uncovered = LineFactory(code="kardiologia", min_age=18)
    cw.on_duty(cw.internal, uncovered)
    assert cw.patient.user is not None

    def start(code: str) -> Consultation:
        assert cw.patient.user is not None
        return services.consultation_start(
            actor=cw.patient.user, patient_id=cw.patient.pk, line_code=code, mode="video", channel="portal", now=NOW
        )

    assert _refused(lambda: start("kardiologia")).code == "price_not_accepted"
    for days in (3, 10):
        missed = world.slot(starts_at=NOW - dt.timedelta(days=days), facility=None, room=None, mode=Mode.VIDEO)
        AppointmentFactory(patient=cw.patient, slot=missed, service=world.consult, status=Appointment.Status.NO_SHOW)
    error = _refused(lambda: start("interna"))
    assert error.code == "no_show_block"


def test_every_change_is_published_after_commit(
    cw: ConsultationWorld, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "_send", lambda group, event: sent.append((group, event)))
    doctor = cw.on_duty()
    first, second = cw.adult(), cw.adult()
    with django_capture_on_commit_callbacks(execute=True):
        one = services.consultation_start(
            actor=first.user, patient_id=first.pk, line_code="interna", mode="chat", channel="portal", now=NOW
        )
        two = services.consultation_start(
            actor=second.user,
            patient_id=second.pk,
            line_code="interna",
            mode="voice",
            channel="mobile",
            now=NOW + dt.timedelta(seconds=1),
        )
    assert sent[-2][0] == f"consultation.{two.pk}"
    assert sent[-2][1]["position"] == 2 and sent[-2][1]["wait_minutes"] == 24
    assert sent[-1][0] == f"consultation-line.{cw.internal.pk}" and sent[-1][1]["waiting"] == 2
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None and taken.pk == one.pk
    by_group = dict(sent)
    assert by_group[f"consultation.{one.pk}"]["status"] == "in_progress"
    assert by_group[f"consultation.{one.pk}"]["clinician"] == str(doctor.clinician)
    assert by_group[f"consultation.{two.pk}"]["position"] == 1
    assert by_group[f"consultation-line.{cw.internal.pk}"]["waiting"] == 1
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_end(actor=doctor, consultation_id=one.pk, outcome="advice", now=NOW)
    assert dict(sent)[f"consultation.{one.pk}"]["outcome"] == "advice"
    # A refusal publishes nothing.
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        services.consultation_start(
            actor=second.user, patient_id=second.pk, line_code="interna", mode="chat", channel="portal", now=NOW
        )
    assert sent == []
