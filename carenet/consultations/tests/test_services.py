"""Online consultations' use cases against the database (TEL-2, TEL-3, FBK-1, SCH-3, PKG-4, BKG-3, BKG-5)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment
from carenet.booking.selectors import no_show_times
from carenet.consultations import selectors, services
from carenet.consultations.models import Consultation, QueuedFile, SurveyAnswer
from carenet.consultations.tests.factories import (
    NOW,
    ConsultationFactory,
    ConsultationWorld,
    DutyFactory,
    clinician_user,
)
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied
from carenet.files.models import ConsultationFile
from carenet.files.tests.factories import PatientFileFactory
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db
Status = Consultation.Status


def _counts() -> tuple[int, int, int, int]:
    return (Consultation.objects.count(), Slot.objects.count(), Appointment.objects.count(), QueuedFile.objects.count())


def _start(
    patient: Patient, line_code: str = "interna", *, by: Patient | None = None, **kwargs: object
) -> Consultation:
    actor = (by or patient).user
    assert actor is not None
    args: dict[object, object] = {"mode": "video", "channel": "portal", "now": NOW, **kwargs}
    return services.consultation_start(actor=actor, patient_id=patient.pk, line_code=line_code, **args)  # type: ignore[arg-type]


def _refused(code: str, call: object) -> ApplicationError:
    before = _counts()
    with pytest.raises(ApplicationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code
    assert _counts() == before, "a refusal changed something"
    return caught.value


def test_start_take_end_makes_one_visit_with_channel_clinician_service_and_outcome(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    consultation = _start(cw.patient, mode="chat", channel="mobile")
    assert consultation.status == Status.WAITING and consultation.channel == "mobile"

    taken = services.consultation_take_next(actor=doctor, now=NOW + dt.timedelta(minutes=3))
    assert taken is not None and taken.pk == consultation.pk
    assert taken.status == Status.IN_PROGRESS and taken.clinician == doctor.clinician
    visit = taken.appointment
    assert visit is not None
    assert visit.channel == "mobile" and visit.service == cw.internal.service and visit.booked_by == cw.patient.user
    assert visit.status == Appointment.Status.BOOKED and visit.coverage_kind
    assert visit.slot.schedule_id is None and visit.slot.clinician == doctor.clinician
    assert visit.slot.mode == Mode.VIDEO and visit.slot.specialty == cw.internal.specialty and not visit.slot.is_free
    assert visit.slot.starts_at == NOW + dt.timedelta(minutes=3)

    ended = services.consultation_end(
        actor=doctor, consultation_id=taken.pk, outcome="advice", note="Nawadniać", now=NOW + dt.timedelta(minutes=15)
    )
    assert ended.status == Status.ENDED and ended.outcome == "advice" and ended.ended_by == doctor
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    assert Appointment.objects.count() == 1 and Slot.objects.count() == 1


def test_every_refusal_of_start_changes_nothing(cw: ConsultationWorld) -> None:
    patient = cw.patient
    _refused("nobody_on_duty", lambda: _start(patient))
    cw.on_duty(cw.internal, cw.paediatrics)
    _refused("unknown_mode", lambda: _start(patient, mode="fax"))
    _refused("unknown_channel", lambda: _start(patient, channel="call_centre"))
    _refused("line_not_found", lambda: _start(patient, "kardiologia"))
    _refused("line_not_for_age", lambda: _start(patient, "pediatria"))
    stranger = cw.adult()
    _refused("patient_not_found", lambda: _start(stranger, by=patient))
    level_one = cw.adult(account_level=Patient.Level.BASIC)
    _refused("level_two_required", lambda: _start(level_one))
    not_enrolled = cw.adult()
    not_enrolled.enrolments.all().delete()
    _refused("no_entitlement", lambda: _start(not_enrolled))
    # The wait: one clinician, 12 minutes each: the fourth newcomer would wait 48 > 45 minutes.
    first = _start(patient)
    for _ in range(2):
        _start(cw.adult())
    _refused("wait_too_long", lambda: _start(cw.adult()))
    error = _refused("already_waiting", lambda: _start(patient, mode="chat"))
    assert error.details == {"consultation_id": first.pk}


def test_a_guardian_starts_paediatrics_for_their_child_and_not_for_themself(cw: ConsultationWorld) -> None:
    nurse = cw.on_duty(cw.paediatrics)
    child = cw.child_of(cw.patient)
    _refused("line_not_for_age", lambda: _start(cw.patient, "pediatria"))
    consultation = _start(child, "pediatria", by=cw.patient)
    assert consultation.patient == child and consultation.requested_by == cw.patient.user
    taken = services.consultation_take_next(actor=nurse, now=NOW)
    assert taken is not None and taken.appointment is not None
    assert taken.appointment.patient == child and taken.appointment.booked_by == cw.patient.user


def test_paediatrics_age_bound_is_the_eighteenth_birthday(cw: ConsultationWorld) -> None:
    cw.on_duty(cw.paediatrics, cw.internal)
    today = dt.date(2026, 3, 2)
    turns_18_today = cw.adult(birth_date=today.replace(year=2008))
    turns_18_tomorrow = cw.adult(birth_date=dt.date(2008, 3, 3))
    _refused("line_not_for_age", lambda: _start(turns_18_today, "pediatria"))
    assert _start(turns_18_today, "interna").status == Status.WAITING
    _refused("line_not_for_age", lambda: _start(turns_18_tomorrow, "interna"))
    assert _start(turns_18_tomorrow, "pediatria").status == Status.WAITING


def test_files_attached_while_waiting_are_carried_to_the_visit(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    mine = PatientFileFactory(patient=cw.patient, delete_after=NOW + dt.timedelta(days=30))
    other = PatientFileFactory(patient=cw.patient, delete_after=NOW + dt.timedelta(days=30))
    someone_elses = PatientFileFactory(delete_after=NOW + dt.timedelta(days=30))
    _refused("file_not_found", lambda: _start(cw.patient, file_ids=[mine.pk, someone_elses.pk]))
    consultation = _start(cw.patient, file_ids=[mine.pk])
    assert cw.patient.user is not None
    services.queued_file_attach(actor=cw.patient.user, consultation_id=consultation.pk, file_id=other.pk, now=NOW)
    services.queued_file_attach(actor=cw.patient.user, consultation_id=consultation.pk, file_id=other.pk, now=NOW)
    assert QueuedFile.objects.filter(consultation=consultation).count() == 2
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None
    carried = set(ConsultationFile.objects.filter(appointment=taken.appointment).values_list("file_id", flat=True))
    assert carried == {mine.pk, other.pk}
    with pytest.raises(ApplicationError) as caught:
        services.queued_file_detach(actor=cw.patient.user, consultation_id=consultation.pk, file_id=other.pk)
    assert caught.value.code == "not_waiting"


def test_leave_before_taken_twice_is_quiet_and_after_taken_is_refused(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    leaving = _start(cw.patient)
    staying = _start(cw.adult(), now=NOW + dt.timedelta(seconds=1))
    assert cw.patient.user is not None
    left = services.consultation_leave(actor=cw.patient.user, consultation_id=leaving.pk, now=NOW)
    assert left.status == Status.LEFT and selectors.left_reason(left) is None
    assert services.consultation_leave(actor=cw.patient.user, consultation_id=leaving.pk, now=NOW).status == Status.LEFT
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None and taken.pk == staying.pk
    assert services.consultation_take_next(actor=cw.on_duty(), now=NOW) is None
    staying_user = staying.patient.user
    assert staying_user is not None
    with pytest.raises(ApplicationError) as caught:
        services.consultation_leave(actor=staying_user, consultation_id=staying.pk, now=NOW)
    assert caught.value.code == "not_waiting"
    with pytest.raises(NotFound):
        services.consultation_leave(actor=cw.patient.user, consultation_id=staying.pk, now=NOW)


def test_a_clinician_takes_the_oldest_across_their_lines_and_one_at_a_time(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty(cw.internal, cw.midwifery)
    later = _start(cw.adult(), "interna", now=NOW + dt.timedelta(minutes=2))
    older = _start(cw.adult(), "polozna", now=NOW + dt.timedelta(minutes=1))
    taken = services.consultation_take_next(actor=doctor, now=NOW + dt.timedelta(minutes=5))
    assert taken is not None and taken.pk == older.pk
    _refused("already_in_consultation", lambda: services.consultation_take_next(actor=doctor, now=NOW))
    services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="documents", now=NOW)
    taken = services.consultation_take_next(actor=doctor, now=NOW + dt.timedelta(minutes=20))
    assert taken is not None and taken.pk == later.pk


def test_only_a_clinician_on_duty_takes(cw: ConsultationWorld) -> None:
    cw.on_duty()
    _start(cw.patient)
    off_duty = clinician_user()
    _refused("not_on_duty", lambda: services.consultation_take_next(actor=off_duty, now=NOW))
    ended_duty = clinician_user()
    DutyFactory(
        clinician=ended_duty.clinician,
        line=cw.internal,
        starts_at=NOW - dt.timedelta(hours=3),
        ends_at=NOW - dt.timedelta(hours=1),
    )
    _refused("not_on_duty", lambda: services.consultation_take_next(actor=ended_duty, now=NOW))
    assert cw.patient.user is not None
    with pytest.raises(PermissionDenied):
        services.consultation_take_next(actor=cw.patient.user, now=NOW)


def test_end_is_for_its_clinician_in_progress_with_a_known_outcome(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    other = cw.on_duty()
    _start(cw.patient)
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None
    with pytest.raises(NotFound):
        services.consultation_end(actor=other, consultation_id=taken.pk, outcome="advice", now=NOW)
    _refused(
        "unknown_outcome",
        lambda: services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="cured", now=NOW),
    )
    _refused(
        "invalid_note",
        lambda: services.consultation_end(
            actor=doctor, consultation_id=taken.pk, outcome="advice", note="a\x00b", now=NOW
        ),
    )
    services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="in_person", now=NOW)
    _refused(
        "not_in_progress",
        lambda: services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="advice", now=NOW),
    )


def test_no_contact_records_a_no_show_that_does_not_block_booking(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    for minutes in (0, 30):
        now = NOW + dt.timedelta(minutes=minutes)
        _start(cw.patient, now=now)
        taken = services.consultation_take_next(actor=doctor, now=now)
        assert taken is not None and taken.appointment is not None
        services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="no_contact", now=now)
        taken.appointment.refresh_from_db()
        assert taken.appointment.status == Appointment.Status.NO_SHOW
    since = NOW - dt.timedelta(days=60)
    assert no_show_times(patient=cw.patient, specialty_id=cw.internal.specialty_id, since=since) == ()
    # … and the patient starts again.
    assert _start(cw.patient, now=NOW + dt.timedelta(hours=1)).status == Status.WAITING


def test_room_of_a_booked_video_visit_opens_at_its_time_for_its_patient_and_clinician(cw: ConsultationWorld) -> None:
    world = cw.world
    doctor_user = clinician_user(world.clinician)
    starts = NOW + dt.timedelta(hours=2)
    slot = world.slot(starts_at=starts, facility=None, room=None, mode=Mode.VIDEO)
    visit = Appointment.objects.create(
        patient=world.patient, slot=slot, service=world.consult, channel="portal", status="booked"
    )
    assert world.patient.user is not None
    _refused(
        "room_not_open_yet",
        lambda: services.room_for_visit(
            actor=world.patient.user, appointment_id=visit.pk, now=starts - dt.timedelta(minutes=16)
        ),
    )
    with pytest.raises(NotFound):
        services.room_for_visit(actor=cw.adult().user, appointment_id=visit.pk, now=starts)  # type: ignore[arg-type]
    room = services.room_for_visit(
        actor=world.patient.user, appointment_id=visit.pk, now=starts - dt.timedelta(minutes=15)
    )
    assert room.kind == Consultation.Kind.BOOKED and room.status == Status.IN_PROGRESS
    assert room.clinician == world.clinician and room.appointment == visit
    again = services.room_for_visit(actor=doctor_user, appointment_id=visit.pk, now=starts)
    assert again.pk == room.pk and Consultation.objects.count() == 1
    services.consultation_end(
        actor=doctor_user, consultation_id=room.pk, outcome="advice", now=starts + dt.timedelta(minutes=10)
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    in_person = Appointment.objects.create(
        patient=world.patient,
        slot=world.slot(starts_at=starts + dt.timedelta(hours=1)),
        service=world.consult,
        channel="portal",
    )
    _refused(
        "not_video_visit",
        lambda: services.room_for_visit(actor=world.patient.user, appointment_id=in_person.pk, now=starts),
    )


def test_survey_once_within_seven_days_not_after_no_contact(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    consultation = _start(cw.patient)
    services.consultation_take_next(actor=doctor, now=NOW)
    assert cw.patient.user is not None
    user = cw.patient.user
    _refused(
        "survey_closed",
        lambda: services.survey_answer(actor=user, consultation_id=consultation.pk, rating=5, resolved="yes", now=NOW),
    )
    services.consultation_end(actor=doctor, consultation_id=consultation.pk, outcome="advice", now=NOW)
    _refused(
        "invalid_rating",
        lambda: services.survey_answer(
            actor=user, consultation_id=consultation.pk, rating=True, resolved="yes", now=NOW
        ),
    )  # type: ignore[arg-type]
    _refused(
        "invalid_resolved",
        lambda: services.survey_answer(
            actor=user, consultation_id=consultation.pk, rating=4, resolved="maybe", now=NOW
        ),
    )
    _refused(
        "survey_closed",
        lambda: services.survey_answer(
            actor=user,
            consultation_id=consultation.pk,
            rating=4,
            resolved="yes",
            now=NOW + dt.timedelta(days=7, seconds=1),
        ),
    )
    answer = services.survey_answer(
        actor=user,
        consultation_id=consultation.pk,
        rating=4,
        resolved="partly",
        comment=" Dobrze ",
        now=NOW + dt.timedelta(days=7),
    )
    assert answer.comment == "Dobrze" and answer.rating == 4
    _refused(
        "survey_answered",
        lambda: services.survey_answer(actor=user, consultation_id=consultation.pk, rating=5, resolved="yes", now=NOW),
    )
    with pytest.raises(NotFound):
        services.survey_answer(actor=doctor, consultation_id=consultation.pk, rating=5, resolved="yes", now=NOW)
    assert SurveyAnswer.objects.count() == 1


def test_the_sweep_lets_go_of_waiting_patients_when_every_duty_has_ended(cw: ConsultationWorld) -> None:
    cw.on_duty()
    consultation = _start(cw.patient)
    assert services.consultations_close_unstaffed(now=NOW) == 0
    assert services.consultations_close_unstaffed(now=NOW + dt.timedelta(hours=7)) == 1
    consultation.refresh_from_db()
    assert consultation.status == Status.LEFT and selectors.left_reason(consultation) == "duty_ended"
    assert cw.patient.user is not None
    left = services.consultation_leave(actor=cw.patient.user, consultation_id=consultation.pk, now=NOW)
    assert selectors.left_reason(left) == "duty_ended"  # leaving again changes nothing


def test_the_sweep_is_a_periodic_job_that_runs(cw: ConsultationWorld) -> None:
    from carenet.consultations.apps import SWEEP_SECONDS
    from carenet.consultations.tasks import consultations_sweep
    from carenet.core import periodic

    job = next(job for job in periodic.jobs() if job.name == "consultations-sweep")
    assert job.every_seconds == SWEEP_SECONDS
    stranded = ConsultationFactory(line=cw.internal, patient=cw.patient)  # nobody on duty now (real time)
    assert consultations_sweep.call() == 1
    stranded.refresh_from_db()
    assert stranded.status == Status.LEFT
