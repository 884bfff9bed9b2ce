"""Uploading, deleting and the scheduled deletion of patients' files (FIL-1, FIL-2) through the services every door
calls: who may, the terms, the description, five at most, three calendar months, nothing left behind."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection

from carenet.accounts.models import Patient
from carenet.accounts.selectors import actor_for_user
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.core.testing import run_in_threads
from carenet.files import services
from carenet.files.models import PatientFile, TermsAcceptance
from carenet.files.policies import TERMS_VERSION
from carenet.files.services import file_delete, file_sweep, file_upload, terms_accept
from carenet.files.tests.corpus import jpeg_with_exif
from carenet.files.tests.factories import (
    PatientFileFactory,
    TermsAcceptanceFactory,
    enrolled_patient,
    png_bytes,
    upload,
)
from tests.cast import Cast

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)
DESCRIPTION = "Zmiana na skórze przedramienia"


def stored_files() -> set[Path]:
    return {path for path in Path(settings.CARENET_PRIVATE_ROOT).rglob("*") if path.is_file()}


def send(patient: Patient, content: bytes | None = None, *, by: Patient | None = None, **kwargs: Any) -> PatientFile:
    arguments: dict[str, Any] = {"description": DESCRIPTION, "now": NOW, **kwargs}
    return file_upload(
        actor=actor_for_user((by or patient).user),
        patient_id=patient.pk,
        upload=upload(content if content is not None else png_bytes(), "IMG_5229.png"),
        **arguments,
    )


@pytest.fixture
def patient() -> Patient:
    patient = enrolled_patient()
    TermsAcceptanceFactory(patient=patient, terms_version=TERMS_VERSION)
    return patient


def test_a_level_two_patient_uploads_a_file_stored_under_a_random_name(patient: Patient) -> None:
    row = send(patient, jpeg_with_exif())
    assert row.content_type == "image/jpeg" and row.original_name == "IMG_5229.jpg"
    assert row.description == DESCRIPTION and row.uploaded_by == patient.user
    assert row.delete_after == dt.datetime(2027, 2, 28, 9, 15, tzinfo=dt.UTC)  # 3 calendar months
    assert re.fullmatch(r"patient-files/\d{4}/\d{2}/[\w-]{32}\.jpg", row.stored.name), row.stored.name
    content = row.stored.read()
    assert len(content) == row.size and b"Exif" not in content
    assert Path(row.stored.path).stat().st_mode & 0o077 == 0  # readable by the service only


def test_the_first_upload_needs_the_terms_and_stores_their_acceptance() -> None:
    patient = enrolled_patient()
    with pytest.raises(ValidationFailed) as refused:
        send(patient)
    assert refused.value.code == "terms_not_accepted" and not PatientFile.objects.exists()
    send(patient, accept_terms=True)
    acceptance = TermsAcceptance.objects.get(patient=patient)
    assert acceptance.terms_version == TERMS_VERSION and acceptance.accepted_by == patient.user
    send(patient)  # accepted once: enough
    assert TermsAcceptance.objects.filter(patient=patient).count() == 1


def test_terms_accepted_twice_is_one_acceptance() -> None:
    patient = enrolled_patient()
    actor = actor_for_user(patient.user)
    assert terms_accept(actor=actor, patient_id=patient.pk).pk == terms_accept(actor=actor, patient_id=patient.pk).pk


@pytest.mark.parametrize(
    ("description", "code"),
    [("abcd", "description_too_short"), ("x" * 76, "description_too_long"), ("zmi\x00ana", "description_invalid")],
)
def test_a_bad_description_stores_nothing(patient: Patient, description: str, code: str) -> None:
    before = stored_files()
    with pytest.raises(ValidationFailed) as refused:
        send(patient, description=description)
    assert refused.value.code == code and str(refused.value.message)
    assert not PatientFile.objects.exists() and stored_files() == before


def test_the_description_is_stored_stripped(patient: Patient) -> None:
    assert send(patient, description="   Wypis ze szpitala 😷  ").description == "Wypis ze szpitala 😷"


def test_at_most_five_files_then_delete_one_to_add_another(patient: Patient) -> None:
    rows = [send(patient) for _ in range(5)]
    before = stored_files()
    with pytest.raises(Conflict) as refused:
        send(patient)
    assert refused.value.code == "too_many_files" and stored_files() == before
    file_delete(actor=actor_for_user(patient.user), file_id=rows[0].pk)
    send(patient)
    assert PatientFile.objects.filter(patient=patient).count() == 5


def test_a_guardian_uploads_and_deletes_for_their_child_only(cast: Cast) -> None:
    TermsAcceptanceFactory(patient=cast.child, accepted_by=cast.guardian.user)
    row = send(cast.child, by=cast.guardian)
    assert row.patient == cast.child and row.uploaded_by == cast.guardian.user
    with pytest.raises(NotFound):
        send(cast.patient, by=cast.guardian, accept_terms=True)
    with pytest.raises(NotFound):
        file_delete(actor=actor_for_user(cast.user("other_patient")), file_id=row.pk)
    file_delete(actor=actor_for_user(cast.user("guardian")), file_id=row.pk)
    assert not PatientFile.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("role", "error", "code"),
    [
        ("level_one", PermissionDenied, "level_two_required"),
        ("receptionist_here", PermissionDenied, "role_not_allowed"),
        ("clinician_with", PermissionDenied, "role_not_allowed"),
        ("admin", PermissionDenied, "role_not_allowed"),
        ("other_patient", NotFound, "patient_not_found"),
    ],
)
def test_nobody_else_uploads_for_a_patient(cast: Cast, role: str, error: type, code: str) -> None:
    with pytest.raises(error) as refused:
        file_upload(
            actor=actor_for_user(cast.user(role)),
            patient_id=cast.patient.pk,
            upload=upload(png_bytes()),
            description=DESCRIPTION,
            accept_terms=True,
        )
    assert refused.value.code == code and not PatientFile.objects.exists()
    assert not TermsAcceptance.objects.exists()


def test_deleting_removes_the_row_and_the_stored_file_on_commit(
    patient: Patient, django_capture_on_commit_callbacks: Any
) -> None:
    row = send(patient)
    path = Path(row.stored.path)
    with django_capture_on_commit_callbacks(execute=True):
        file_delete(actor=actor_for_user(patient.user), file_id=row.pk)
    assert not PatientFile.objects.exists() and not path.exists()
    with pytest.raises(NotFound) as again:
        file_delete(actor=actor_for_user(patient.user), file_id=row.pk)
    assert again.value.code == "file_not_found"


def test_if_storing_fails_no_row_remains(patient: Patient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)
    with pytest.raises(OSError):
        send(patient)
    assert not PatientFile.objects.exists()


def test_if_the_row_cannot_be_written_the_stored_file_is_removed(
    patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_files()

    def broken(self: PatientFile, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(PatientFile, "save", broken)
    with pytest.raises(RuntimeError):
        send(patient)
    assert stored_files() == before


# --- the scheduled deletion (FIL-2) ---------------------------------------------------------------------------


def test_the_sweep_deletes_each_file_three_calendar_months_after_upload(
    patient: Patient, django_capture_on_commit_callbacks: Any
) -> None:
    early = send(patient, now=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
    late = send(patient, now=dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC))
    paths = {row.pk: Path(row.stored.path) for row in (early, late)}
    # 90 days after the first upload is not yet three months.
    with (
        time_machine.travel(dt.datetime(2027, 2, 18, 10, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert file_sweep() == 0
    with (
        time_machine.travel(dt.datetime(2027, 2, 20, 10, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert file_sweep() == 1
    assert list(PatientFile.objects.values_list("pk", flat=True)) == [late.pk]
    assert not paths[early.pk].exists() and paths[late.pk].exists()
    with (
        time_machine.travel(dt.datetime(2027, 2, 28, 10, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert file_sweep() == 1
        assert file_sweep() == 0  # exactly once
    assert not PatientFile.objects.exists() and not paths[late.pk].exists()


def test_a_stored_file_already_missing_does_not_keep_its_row(
    patient: Patient, django_capture_on_commit_callbacks: Any
) -> None:
    row = send(patient)
    Path(row.stored.path).unlink()
    with django_capture_on_commit_callbacks(execute=True):
        assert file_sweep(now=row.delete_after) == 1
    assert not PatientFile.objects.exists()


def test_the_sweep_is_a_periodic_job() -> None:
    from carenet.core import periodic

    job = next(job for job in periodic.jobs() if job.name == "files-sweep")
    assert job.every_seconds == settings.CARENET_FILE_SWEEP_SECONDS


def test_the_sweep_task_runs_the_sweep(patient: Patient) -> None:
    from carenet.files.tasks import files_sweep

    PatientFileFactory(patient=patient, delete_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert files_sweep.call() == 1


# --- storage settings -----------------------------------------------------------------------------------------


def test_the_s3_setting_selects_the_s3_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """CARENET_PRIVATE_STORAGE=s3 makes the private storage django-storages' S3 backend, private objects, with the
    bucket and endpoint from the environment (built without a network call)."""
    for name, value in {
        "CARENET_PRIVATE_STORAGE": "s3",
        "CARENET_S3_BUCKET": "carenet-files",
        "CARENET_S3_ENDPOINT_URL": "https://s3.example.test",
        "CARENET_S3_REGION": "eu-central-1",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "carenet_settings_probe", Path(settings.BASE_DIR) / "config/settings.py"
    )
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    private = probe.STORAGES["private"]
    assert private["BACKEND"] == "storages.backends.s3.S3Storage"
    assert private["OPTIONS"]["default_acl"] == "private"
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**private["OPTIONS"])
    assert isinstance(storage, Storage) and storage.bucket_name == "carenet-files"
    assert storage.endpoint_url == "https://s3.example.test"


def test_the_default_is_the_local_disk_outside_the_web_root() -> None:
    storage = PatientFile._meta.get_field("stored").storage  # type: ignore[attr-defined]
    assert isinstance(storage, FileSystemStorage)
    assert Path(storage.location) == Path(settings.CARENET_PRIVATE_ROOT)
    assert not Path(storage.location).is_relative_to(settings.MEDIA_ROOT)


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fifth_uploads_at_once_store_one() -> None:
    patient = enrolled_patient()
    TermsAcceptanceFactory(patient=patient)
    for _ in range(4):
        PatientFileFactory(patient=patient)
    before = stored_files()
    actor = actor_for_user(patient.user)

    def fifth(number: int) -> None:
        file_upload(actor=actor, patient_id=patient.pk, upload=upload(png_bytes()), description=DESCRIPTION)

    errors = run_in_threads(4, fifth)
    assert Counter(getattr(error, "code", repr(error)) for error in errors) == Counter({"too_many_files": 3})
    assert PatientFile.objects.filter(patient=patient).count() == 5
    assert len(stored_files() - before) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_delete_each_file_once() -> None:
    patient = enrolled_patient()
    rows = [PatientFileFactory(patient=patient, delete_after=NOW) for _ in range(30)]
    paths = [Path(row.stored.path) for row in rows]
    counts: list[int] = []

    def sweep(number: int) -> None:
        counts.append(file_sweep(now=NOW, batch=3))

    errors = run_in_threads(3, sweep)
    assert errors == [] and sum(counts) == 30
    assert not PatientFile.objects.exists() and not any(path.exists() for path in paths)
    assert connection.vendor == "postgresql"


def test_application_errors_have_messages() -> None:
    for refusal in services._MESSAGES:
        error = services.file_error(refusal)
        assert isinstance(error, ApplicationError) and str(error.message) and error.code == refusal.value
