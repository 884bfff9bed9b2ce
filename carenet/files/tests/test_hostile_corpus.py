"""The hostile corpus (FIL-2): every generated file through the real upload service, and a sample through the
portal's form and the API — nothing is accepted outside the rules, nothing answers with a server error, and a
refusal stores nothing (no row, no stray file in the storage folder). An accepted file is stored disarmed: no GPS,
no appended payload, no script."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from carenet.accounts.models import Patient
from carenet.accounts.selectors import actor_for_user
from carenet.core.errors import ApplicationError
from carenet.files.disarm import sniff
from carenet.files.models import PatientFile
from carenet.files.services import file_upload
from carenet.files.tests.corpus import ACCEPT, MAX_BYTES, Case, build_corpus
from carenet.files.tests.factories import TermsAcceptanceFactory, enrolled_patient, upload

pytestmark = pytest.mark.django_db

CORPUS = build_corpus()
BY_ID = {case.id: case for case in CORPUS}
#: Every ninth case (and the names and sizes that matter most) also goes through the portal and the API.
SAMPLE = sorted(
    {case.id for index, case in enumerate(CORPUS) if index % 9 == 0}
    | {"jpeg-exif-gps", "pdf-open-action-js", "pdf-encrypted-aes256", "png-bomb-100000x100000", "name-0", "name-4"}
)


def test_the_corpus_is_large_and_covers_every_refusal() -> None:
    assert len(CORPUS) >= 200
    expected = set().union(*(case.expect for case in CORPUS))
    assert {ACCEPT, "file_type", "file_empty", "file_too_large", "image_bomb", "image_broken"} <= expected
    assert {"pdf_active", "pdf_encrypted", "pdf_broken"} <= expected


def stored_files() -> set[Path]:
    root = Path(settings.CARENET_PRIVATE_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def patient(settings: Any) -> Patient:
    settings.CARENET_FILE_MAX_STORED = 10_000  # the corpus is about content, not the count
    patient = enrolled_patient()
    TermsAcceptanceFactory(patient=patient)
    return patient


def check_accepted(case: Case, row: PatientFile) -> None:
    data = row.stored.read()
    row.stored.close()
    assert row.size == len(data) > 0 and row.size <= MAX_BYTES
    assert row.content_type == sniff(data), case.id
    for payload in case.absent:
        assert payload not in data, (case.id, payload)
    name = row.original_name
    assert "/" not in name and "\\" not in name and "\x00" not in name and len(name) <= 100
    assert not any(ord(char) < 32 or 0x202A <= ord(char) <= 0x202E for char in name), name
    assert name.endswith({"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[row.content_type])
    assert case.name == "" or Path(row.stored.name).stem not in case.name  # stored under a random name
    if row.content_type != "application/pdf":
        with Image.open(io.BytesIO(data)) as picture:
            exif = picture.getexif()
            assert not exif and "icc_profile" not in picture.info and "exif" not in picture.info, case.id
            assert 0x8825 not in exif  # no GPS
            if case.size is not None:
                assert picture.size == case.size, case.id


def params(ids: list[str]) -> list[Any]:
    return [
        pytest.param(case_id, marks=[pytest.mark.slow] if "big" in BY_ID[case_id].tags else [], id=case_id)
        for case_id in ids
    ]


@pytest.mark.parametrize("case_id", params([case.id for case in CORPUS]))
def test_each_file_through_the_upload_service(case_id: str, patient: Patient) -> None:
    case = BY_ID[case_id]
    before = stored_files()
    try:
        row = file_upload(
            actor=actor_for_user(patient.user),
            patient_id=patient.pk,
            upload=upload(case.build(), case.name),
            description="Zdjęcie do konsultacji",
        )
    except ApplicationError as refusal:
        assert refusal.code in case.expect, (case_id, refusal.code)
        assert refusal.status_code == 422
        assert str(refusal.message)
        assert not PatientFile.objects.exists()
        assert stored_files() == before, "a refused file left something in the storage"
        return
    assert ACCEPT in case.expect, f"{case_id} was accepted"
    assert stored_files() - before == {Path(row.stored.path)}
    check_accepted(case, PatientFile.objects.get(pk=row.pk))


@pytest.mark.parametrize("case_id", params(SAMPLE))
def test_a_sample_through_the_portal_form_and_the_api(case_id: str, patient: Patient) -> None:
    case = BY_ID[case_id]
    client = Client()
    client.force_login(patient.user)
    doors = [
        (reverse("portal:files"), {"description": "Zmiana na skórze", "accept_terms": "on"}),
        (reverse("api:file_list"), {"description": "Zmiana na skórze", "accept_terms": "true"}),
    ]
    for url, fields in doors:
        before = stored_files()
        count = PatientFile.objects.count()
        file = SimpleUploadedFile(case.name or "x", case.build(), content_type="image/png")
        with translation.override("pl"):
            answer = client.post(url, {**fields, "file": file})
        assert answer.status_code < 500, (case_id, url)
        if answer.status_code in (201, 302):
            assert ACCEPT in case.expect, (case_id, url)
            check_accepted(case, PatientFile.objects.order_by("-pk").first())  # type: ignore[arg-type]
            assert len(stored_files() - before) == 1
        else:
            assert answer.status_code in (413, 422), (case_id, url, answer.status_code)
            assert PatientFile.objects.count() == count
            assert stored_files() == before
            if url.startswith("/api/"):
                assert answer.json()["code"] in case.expect | {"payload_too_large"}
            else:
                assert "errorlist" in answer.content.decode()
