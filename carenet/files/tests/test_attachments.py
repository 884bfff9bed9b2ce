"""Attaching files to a consultation (TEL-3) and the clinician's view of a patient's files (FIL-1, CLN-6): the
services and selectors of :mod:`carenet.files.attachments`, with the role cast."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import Patient
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, PermissionDenied
from carenet.encounters.tests.helpers import visit_of
from carenet.files import attachments
from carenet.files.models import ConsultationFile, PatientFile
from carenet.files.tests.factories import ConsultationFileFactory, PatientFileFactory
from carenet.scheduling.models import Mode
from tests.cast import Cast, with_files

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def files_cast(cast: Cast) -> Cast:
    return with_files(cast)


def actor(cast: Cast, role: str):  # type: ignore[no-untyped-def]
    return actor_for_user(cast.user(role))


def fresh_file(patient: Patient, **fields: object) -> PatientFile:
    uploaded_at = clock.now() - dt.timedelta(hours=1)
    return PatientFileFactory(
        patient=patient, uploaded_at=uploaded_at, delete_after=uploaded_at + dt.timedelta(days=90), **fields
    )


def test_the_patient_attaches_a_file_to_a_phone_consultation_and_again_is_the_same_answer(cast: Cast) -> None:
    phone = visit_of(
        cast.patient, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=2), mode=Mode.PHONE
    )
    file = fresh_file(cast.patient)
    first = attachments.file_attach(actor=actor(cast, "patient"), appointment_id=phone.pk, file_id=file.pk)
    again = attachments.file_attach(actor=actor(cast, "patient"), appointment_id=phone.pk, file_id=file.pk)
    assert first.created and not again.created and again.attachment.pk == first.attachment.pk
    assert first.attachment.attached_by_id == cast.patient.user_id
    assert [row.file_id for row in attachments.attached_files(phone.pk)] == [file.pk]


@pytest.mark.parametrize(
    ("status", "code"),
    [(Status.CANCELLED, "visit_cancelled"), (Status.COMPLETED, "visit_closed"), (Status.NO_SHOW, "visit_closed")],
)
def test_a_cancelled_or_closed_visit_takes_no_files(cast: Cast, status: str, code: str) -> None:
    file = fresh_file(cast.patient)
    Appointment.objects.filter(pk=cast.visit.pk).update(status=status)
    with pytest.raises(Conflict) as refused:
        attachments.file_attach(actor=actor(cast, "patient"), appointment_id=cast.visit.pk, file_id=file.pk)
    assert refused.value.code == code and not ConsultationFile.objects.exists()


def test_after_the_start_the_attachments_stay_as_they_are(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    with time_machine.travel(cast.visit.slot.starts_at + dt.timedelta(seconds=1), tick=False):
        for change in (attachments.file_attach, attachments.file_detach):
            with pytest.raises(Conflict) as refused:
                change(actor=actor(cast, "patient"), appointment_id=cast.visit.pk, file_id=cast.spare_file.pk)
            assert refused.value.code == "visit_started"
        with pytest.raises(Conflict):
            attachments.file_detach(actor=actor(cast, "patient"), appointment_id=cast.visit.pk, file_id=cast.file.pk)
    assert list(ConsultationFile.objects.values_list("file_id", flat=True)) == [cast.file.pk]


def test_detaching_leaves_the_file_and_a_second_detach_changes_nothing(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None
    who = actor(cast, "patient")
    assert attachments.file_detach(actor=who, appointment_id=cast.visit.pk, file_id=cast.file.pk) is True
    assert attachments.file_detach(actor=who, appointment_id=cast.visit.pk, file_id=cast.file.pk) is False
    assert not ConsultationFile.objects.exists() and PatientFile.objects.filter(pk=cast.file.pk).exists()


def test_someone_elses_visit_or_file_is_not_found_and_nothing_is_stored(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.spare_file is not None
    others_file = fresh_file(cast.other_patient)
    cases = [
        ("other_patient", cast.visit.pk, cast.spare_file.pk, "visit_not_found"),  # Anna's visit
        ("patient", cast.other_visit.pk, cast.spare_file.pk, "visit_not_found"),  # Barbara's visit
        ("patient", cast.visit.pk, others_file.pk, "file_not_found"),  # Barbara's file on Anna's visit
        ("guardian", cast.visit.pk, cast.spare_file.pk, "visit_not_found"),
        ("patient", cast.visit.pk, 2**31 - 1, "file_not_found"),
        ("patient", 2**31 - 1, cast.spare_file.pk, "visit_not_found"),
    ]
    for role, visit_id, file_id, code in cases:
        for change in (attachments.file_attach, attachments.file_detach):
            with pytest.raises(NotFound) as refused:
                change(actor=actor(cast, role), appointment_id=visit_id, file_id=file_id)
            assert refused.value.code == code, (role, change.__name__)
    assert ConsultationFile.objects.count() == 1


def test_a_guardian_attaches_the_childs_file_to_the_childs_visit_never_their_own(cast: Cast) -> None:
    childs = fresh_file(cast.child, uploaded_by=cast.guardian.user)
    parents = fresh_file(cast.guardian)
    who = actor(cast, "guardian")
    with pytest.raises(NotFound) as refused:
        attachments.file_attach(actor=who, appointment_id=cast.child_visit.pk, file_id=parents.pk)
    assert refused.value.code == "file_not_found"
    attached = attachments.file_attach(actor=who, appointment_id=cast.child_visit.pk, file_id=childs.pk)
    assert attached.attachment.attached_by_id == cast.guardian.user_id
    assert list(ConsultationFile.objects.values_list("file_id", flat=True)) == [childs.pk]


def test_a_grown_up_child_is_no_longer_the_parents_to_attach_for(cast: Cast) -> None:
    adult = PatientFactory(guardian=cast.guardian, birth_date=clock.today() - dt.timedelta(days=365 * 19), user=None)
    visit = visit_of(adult, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=2), mode=Mode.VIDEO)
    file = fresh_file(adult, uploaded_by=cast.guardian.user)
    with pytest.raises(NotFound):
        attachments.file_attach(actor=actor(cast, "guardian"), appointment_id=visit.pk, file_id=file.pk)
    assert not ConsultationFile.objects.exists()


def test_level_one_staff_and_clinicians_do_not_attach(cast: Cast) -> None:
    level_one_visit = visit_of(
        cast.level_one, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=2), mode=Mode.PHONE
    )
    file = fresh_file(cast.level_one)
    with pytest.raises(PermissionDenied) as refused:
        attachments.file_attach(actor=actor(cast, "level_one"), appointment_id=level_one_visit.pk, file_id=file.pk)
    assert refused.value.code == "level_two_required"
    annas = fresh_file(cast.patient)
    for role in ("clinician_with", "receptionist_here", "call_centre", "admin", "anonymous"):
        with pytest.raises(PermissionDenied) as refused:
            attachments.file_attach(actor=actor(cast, role), appointment_id=cast.visit.pk, file_id=annas.pk)
        assert refused.value.code == "role_not_allowed", role
    assert not ConsultationFile.objects.exists()


def test_at_most_as_many_attachments_as_a_patient_stores(cast: Cast, settings: object) -> None:
    settings.CARENET_FILE_MAX_STORED = 2  # type: ignore[attr-defined]
    files = [fresh_file(cast.patient) for _ in range(3)]
    who = actor(cast, "patient")
    for file in files[:2]:
        attachments.file_attach(actor=who, appointment_id=cast.visit.pk, file_id=file.pk)
    with pytest.raises(Conflict) as refused:
        attachments.file_attach(actor=who, appointment_id=cast.visit.pk, file_id=files[2].pk)
    assert refused.value.code == "too_many_attachments" and "2" in str(refused.value.message)
    assert ConsultationFile.objects.count() == 2


def test_a_file_past_its_time_is_gone_even_before_the_sweep(cast: Cast) -> None:
    old = PatientFileFactory(patient=cast.patient, uploaded_at=clock.now() - dt.timedelta(days=91),
                             delete_after=clock.now() - dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(NotFound):
        attachments.file_attach(actor=actor(cast, "patient"), appointment_id=cast.visit.pk, file_id=old.pk)
    ConsultationFileFactory(file=old, appointment=cast.visit)
    assert attachments.attached_files(cast.visit.pk) == []
    assert attachments.files_visible_to_clinician(actor(cast, "clinician_with"), cast.patient.pk) == []


def test_deleting_a_file_takes_its_attachments_never_the_visit(files_cast: Cast) -> None:
    """FIL-2: the patient's deletion or the three-month sweep deletes the row; its attachments go with it."""
    cast = files_cast
    assert cast.file is not None
    child_file = fresh_file(cast.child, uploaded_by=cast.guardian.user)
    ConsultationFileFactory(file=child_file, appointment=cast.child_visit)
    PatientFile.objects.filter(pk=cast.file.pk).delete()  # what the sweep does, in one statement
    child_file.delete()
    assert not ConsultationFile.objects.exists()
    assert Appointment.objects.filter(pk__in=[cast.visit.pk, cast.child_visit.pk]).count() == 2


# --- The clinician's side (FIL-1, CLN-6) -------------------------------------------------------------------------


def test_the_visits_clinician_and_one_who_treated_the_patient_before_see_the_files(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    seen = attachments.files_visible_to_clinician(actor(cast, "clinician_with"), cast.patient.pk)
    assert {file.pk for file in seen} == {cast.file.pk, cast.spare_file.pk}
    assert attachments.access_file_as_clinician(actor(cast, "clinician_with"), cast.file.pk) == cast.file
    for role in ("clinician_without",):
        with pytest.raises(NotFound):
            attachments.files_visible_to_clinician(actor(cast, role), cast.patient.pk)
        with pytest.raises(NotFound):
            attachments.access_file_as_clinician(actor(cast, role), cast.file.pk)
    visit_of(cast.patient, cast.clinician_without, cast.consult, clock.now() - dt.timedelta(days=40),
             facility=cast.here, status=Status.COMPLETED)  # fmt: skip
    assert attachments.access_file_as_clinician(actor(cast, "clinician_without"), cast.file.pk) == cast.file


def test_a_cancelled_booking_is_no_relationship(cast: Cast) -> None:
    file = fresh_file(cast.other_patient)
    visit_of(cast.other_patient, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=3),
             facility=cast.here, status=Status.CANCELLED)  # fmt: skip
    Appointment.objects.filter(pk=cast.other_visit.pk).update(status=Status.CANCELLED)
    with pytest.raises(NotFound):
        attachments.access_file_as_clinician(actor(cast, "clinician_with"), file.pk)


@pytest.mark.parametrize(
    "role", ["receptionist_here", "call_centre", "coordinator", "partner_staff", "admin", "other_patient"]
)
def test_nobody_else_reads_a_patients_files(files_cast: Cast, role: str) -> None:
    cast = files_cast
    assert cast.file is not None
    with pytest.raises(NotFound):
        attachments.access_file_as_clinician(actor(cast, role), cast.file.pk)
    with pytest.raises(NotFound):
        attachments.files_visible_to_clinician(actor(cast, role), cast.patient.pk)


def test_reading_the_files_is_flat_in_their_number(cast: Cast) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            attachments.attached_files(cast.visit.pk)
            attachments.files_visible_to_clinician(actor(cast, "clinician_with"), cast.patient.pk)
        return len(captured.captured_queries)

    actor(cast, "clinician_with")  # the actor is built once per user
    fresh_file(cast.patient)
    one = queries()
    for _ in range(4):
        ConsultationFileFactory(file=fresh_file(cast.patient), appointment=cast.visit)
    assert queries() == one


# --- Races (PostgreSQL: select_for_update does nothing on SQLite) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_file_attached_four_times_at_once_is_one_row(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    file = fresh_file(cast.patient)
    user = cast.user("patient")

    def body(number: int) -> None:
        attachments.file_attach(actor=actor_for_user(user), appointment_id=cast.visit.pk, file_id=file.pk)

    assert run_in_threads(4, body) == []
    assert ConsultationFile.objects.filter(appointment=cast.visit, file=file).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_attaching_while_the_file_is_deleted_never_leaves_an_attachment_of_nothing(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    file = fresh_file(cast.patient)
    user = cast.user("patient")

    def body(number: int) -> None:
        if number == 0:  # a deletion locks the file's row first (as the patient's deletion and the sweep must)
            with transaction.atomic():
                list(PatientFile.objects.select_for_update().filter(pk=file.pk))
                PatientFile.objects.filter(pk=file.pk).delete()
        else:
            attachments.file_attach(actor=actor_for_user(user), appointment_id=cast.visit.pk, file_id=file.pk)

    errors = run_in_threads(2, body)
    assert all(isinstance(error, NotFound) and error.code == "file_not_found" for error in errors), repr(errors)
    assert not PatientFile.objects.filter(pk=file.pk).exists() and not ConsultationFile.objects.exists()
