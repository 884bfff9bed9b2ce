""" "Twoje pliki" through the portal and the API (FIL-1, FIL-2): the page and its form, downloads as attachments,
another family's file never reachable, the request size limits, the read record of a guardian."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.files.models import PatientFile, TermsAcceptance
from carenet.files.tests.corpus import MAX_BYTES, exactly, pdf
from carenet.files.tests.factories import PatientFileFactory, TermsAcceptanceFactory, png_bytes
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def client_of(cast: Cast, role: str) -> Client:
    return cast.client(role)


def form(**fields: Any) -> dict[str, Any]:
    return {
        "description": "Zmiana na skórze przedramienia",
        "accept_terms": "on",
        "file": SimpleUploadedFile("IMG_1.png", png_bytes(), content_type="image/png"),
        **fields,
    }


# --- the portal -----------------------------------------------------------------------------------------------


def test_the_page_shows_the_table_the_rules_and_the_form_with_the_terms(cast: Cast) -> None:
    PatientFileFactory(patient=cast.patient, original_name="IMG_5229.jpg", description="Zmiany na brodzie")
    with translation.override("pl"):
        page = client_of(cast, "patient").get(reverse("portal:files")).content.decode()
    for text in (
        "Twoje pliki",
        "Nazwa i format pliku",
        "Data dodania",
        "IMG_5229.jpg",
        "Zmiany na brodzie",
        "Usuniemy automatycznie",
        "Dostępne formaty: JPG, JPEG, PNG i PDF. Wielkość plików: maksymalnie 8 MB.",
        "Pliki usuniemy automatycznie po 3 miesiącach.",
        "Opis pliku (widoczny dla lekarza)",
        "Minimum 5 znaków 0/75",
        "Oświadczam, że zapoznałem się i akceptuję postanowienia Regulaminu usługi Twoje Pliki",
        "Prześlij plik",
        'accept=".jpg,.jpeg,.png,.pdf"',
        "js/files.js",
    ):
        assert text in page, text
    assert "style=" not in page and "<script>" not in page


def test_the_account_page_and_the_menu_link_to_it(cast: Cast) -> None:
    page = client_of(cast, "patient").get(en("portal:account")).content.decode()
    assert f'id="files-link" href="{en("portal:files")}"' in page
    assert page.count(f'href="{en("portal:files")}"') == 2


def test_uploading_through_the_form_stores_the_terms_and_the_file(cast: Cast) -> None:
    answer = client_of(cast, "patient").post(en("portal:files"), form())
    assert answer.status_code == 302 and answer["Location"] == en("portal:files")
    row = PatientFile.objects.get(patient=cast.patient)
    assert row.original_name == "IMG_1.png" and TermsAcceptance.objects.filter(patient=cast.patient).exists()
    page = client_of(cast, "patient").get(en("portal:files")).content.decode()
    assert "IMG_1.png" in page and 'name="accept_terms"' not in page  # accepted: not asked again


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"accept_terms": ""}, "Accept the terms"),
        ({"description": "abc"}, "at least 5 characters"),
        ({"description": "zmiana\x00na"}, "control characters"),
        ({"file": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")}, "not a JPG, JPEG, PNG or PDF"),
        ({"file": ""}, "Choose a file"),
    ],
)
def test_a_refused_upload_shows_the_error_next_to_the_field_and_stores_nothing(
    cast: Cast, fields: dict[str, Any], field_error: str
) -> None:
    answer = client_of(cast, "patient").post(en("portal:files"), form(**fields))
    assert answer.status_code == 422
    assert field_error in answer.content.decode()
    assert not PatientFile.objects.exists() and not TermsAcceptance.objects.exists()


def test_with_five_files_the_form_is_replaced(cast: Cast) -> None:
    for _ in range(5):
        PatientFileFactory(patient=cast.patient)
    page = client_of(cast, "patient").get(en("portal:files")).content.decode()
    assert 'id="files-full"' in page and 'id="upload-form"' not in page
    answer = client_of(cast, "patient").post(en("portal:files"), form())
    assert answer.status_code == 422 and PatientFile.objects.count() == 5


def test_download_is_an_attachment_with_nosniff_only_for_its_patient(cast: Cast) -> None:
    row = PatientFileFactory(patient=cast.patient, original_name="zmiana.png")
    answer = client_of(cast, "patient").get(en("portal:file_download", row.pk))
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    assert answer["Content-Disposition"].startswith("attachment") and "zmiana.png" in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff" and answer["Content-Type"] == "image/png"
    for role in ("other_patient", "guardian"):
        assert client_of(cast, role).get(en("portal:file_download", row.pk)).status_code == 404
        assert client_of(cast, role).post(en("portal:file_delete", row.pk)).status_code == 404
    assert PatientFile.objects.filter(pk=row.pk).exists()


def test_delete_asks_to_confirm_then_deletes(cast: Cast) -> None:
    row = PatientFileFactory(patient=cast.patient)
    client = client_of(cast, "patient")
    confirm = client.get(en("portal:file_delete", row.pk))
    assert confirm.status_code == 200 and 'id="delete-form"' in confirm.content.decode()
    assert PatientFile.objects.filter(pk=row.pk).exists()
    answer = client.post(en("portal:file_delete", row.pk))
    assert answer.status_code == 302 and not PatientFile.objects.filter(pk=row.pk).exists()


def test_a_guardian_picks_the_child_and_the_read_is_recorded(cast: Cast) -> None:
    PatientFileFactory(patient=cast.child, uploaded_by=cast.guardian.user, original_name="zosia.png")
    client = client_of(cast, "guardian")
    own = client.get(en("portal:files")).content.decode()
    assert 'id="who"' in own and "zosia.png" not in own
    assert not PatientRead.objects.exists()  # a patient's own read is not recorded
    child = client.get(en("portal:files"), {"who": cast.child.pk}).content.decode()
    assert "zosia.png" in child
    read = PatientRead.objects.get()
    assert read.patient_id == cast.child.pk and read.what == "files"
    TermsAcceptanceFactory(patient=cast.child, accepted_by=cast.guardian.user)
    answer = client.post(en("portal:files"), form(who=str(cast.child.pk), accept_terms=""))
    assert answer.status_code == 302
    assert PatientFile.objects.filter(patient=cast.child).count() == 2


def test_a_stranger_id_in_who_shows_the_patients_own_files(cast: Cast) -> None:
    PatientFileFactory(patient=cast.patient, original_name="anna.png")
    page = client_of(cast, "other_patient").get(en("portal:files"), {"who": cast.patient.pk}).content.decode()
    assert "anna.png" not in page


def test_an_eight_megabyte_file_is_accepted_and_a_larger_one_refused_on_the_page(cast: Cast) -> None:
    client = client_of(cast, "patient")
    big = exactly(MAX_BYTES)
    answer = client.post(en("portal:files"), form(file=SimpleUploadedFile("big.png", big)))
    assert answer.status_code == 302
    answer = client.post(en("portal:files"), form(file=SimpleUploadedFile("big.png", big + b"\x00")))
    assert answer.status_code == 422 and "too large" in answer.content.decode()
    assert PatientFile.objects.count() == 1


# --- the API --------------------------------------------------------------------------------------------------


def test_the_api_lists_uploads_shows_downloads_and_deletes(cast: Cast) -> None:
    client = client_of(cast, "patient")
    listing = client.get(en("api:file_list")).json()
    assert listing["results"] == [] and listing["slots_left"] == 5 and listing["terms_accepted"] is False
    refused = client.post(en("api:file_list"), {"description": "Wypis", "file": SimpleUploadedFile("w.pdf", pdf())})
    assert refused.status_code == 422 and refused.json()["code"] == "terms_not_accepted"
    created = client.post(
        en("api:file_list"),
        {"description": "Wypis ze szpitala", "accept_terms": "true", "file": SimpleUploadedFile("w.pdf", pdf())},
        headers={"Idempotency-Key": "upload-1"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["content_type"] == "application/pdf" and body["name"] == "w.pdf"
    replay = client.post(
        en("api:file_list"),
        {"description": "Wypis ze szpitala", "accept_terms": "true", "file": SimpleUploadedFile("w.pdf", pdf())},
        headers={"Idempotency-Key": "upload-1"},
    )
    assert replay.status_code == 201 and replay.json()["id"] == body["id"]
    assert PatientFile.objects.count() == 1
    assert client.get(en("api:file_detail", body["id"])).json()["sha256"] == body["sha256"]
    content = client.get(en("api:file_content", body["id"]))
    assert content["Content-Disposition"].startswith("attachment") and content["X-Content-Type-Options"] == "nosniff"
    assert client.delete(en("api:file_detail", body["id"])).status_code == 204
    assert client.get(en("api:file_detail", body["id"])).json()["code"] == "file_not_found"


def test_another_familys_file_is_404_in_the_api(cast: Cast) -> None:
    row = PatientFileFactory(patient=cast.patient)
    for role in ("other_patient", "guardian"):
        client = client_of(cast, role)
        for answer in (
            client.get(en("api:file_detail", row.pk)),
            client.get(en("api:file_content", row.pk)),
            client.delete(en("api:file_detail", row.pk)),
            client.get(en("api:file_list"), {"patient_id": cast.patient.pk}),
        ):
            assert answer.status_code == 404 and answer.json()["code"] in {"file_not_found", "patient_not_found"}
    assert PatientFile.objects.filter(pk=row.pk).exists()


def test_the_api_refuses_a_ten_megabyte_body_and_accepts_eight(cast: Cast) -> None:
    client = client_of(cast, "patient")
    TermsAcceptanceFactory(patient=cast.patient)
    big = exactly(MAX_BYTES)
    accepted = client.post(
        en("api:file_list"), {"description": "Duże zdjęcie", "file": SimpleUploadedFile("b.png", big)}
    )
    assert accepted.status_code == 201, accepted.content
    huge = client.post(
        en("api:file_list"),
        {"description": "Za duże", "file": SimpleUploadedFile("h.png", b"\x89PNG" + bytes(10 << 20))},
    )
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"
    # The higher limit is the upload's only: another endpoint keeps the usual one.
    other = client.post(en("api:question_list"), b"x" * (2 << 20), content_type="application/json")
    assert other.status_code == 413
    assert PatientFile.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"accept_terms": "maybe"}, 422, "invalid_input"),
        ({"patient_id": "99999999999999999999999"}, 422, "invalid_input"),
        ({"patient_id": "0"}, 422, "invalid_input"),
        ({"patient_id": "true"}, 422, "invalid_input"),
        ({"description": "zmiana\x00na skórze"}, 422, "description_invalid"),
        ({"description": "😷" * 76}, 422, "description_too_long"),
        ({"file": SimpleUploadedFile("x.png", b"")}, 422, "file_empty"),
    ],
)
def test_odd_api_input_is_refused_with_a_code_and_stores_nothing(
    cast: Cast, fields: dict[str, Any], status: int, code: str
) -> None:
    data = {"description": "Zmiana na skórze", "accept_terms": "true", "file": SimpleUploadedFile("x.png", png_bytes())}
    answer = client_of(cast, "patient").post(en("api:file_list"), {**data, **fields})
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert not PatientFile.objects.exists() and not TermsAcceptance.objects.exists()


def test_the_api_documents_its_answers() -> None:
    document = Client().get(en("api:openapi-json")).json()
    upload = document["paths"]["/api/v1/files"]["post"]
    assert {"201", "403", "404", "409", "413", "422"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert (
        "application/pdf" in document["paths"]["/api/v1/files/{file_id}/content"]["get"]["responses"]["200"]["content"]
    )


def test_level_one_gets_the_explanation_not_the_page(cast: Cast) -> None:
    answer = client_of(cast, "level_one").get(en("portal:files"))
    assert answer.status_code == 403 and en("portal:identity") in answer.content.decode()
    assert client_of(cast, "level_one").get(en("api:file_list")).json()["code"] == "level_two_required"


def test_a_retried_upload_with_a_new_multipart_boundary_replays_the_first_answer(cast: Cast) -> None:
    """A client's retry builds a new multipart body (a new boundary) around the same fields and file."""
    client = client_of(cast, "patient")
    fields = {"description": "Zmiana na skórze", "accept_terms": "true"}
    answers = []
    for boundary in ("first-boundary-1234", "second-boundary-5678"):
        body = encode_multipart(boundary, {**fields, "file": SimpleUploadedFile("x.png", png_bytes())})
        answers.append(
            client.post(
                en("api:file_list"),
                body,
                content_type=f"multipart/form-data; boundary={boundary}",
                headers={"Idempotency-Key": "retry-1"},
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"] and PatientFile.objects.count() == 1
    other = encode_multipart("b", {**fields, "file": SimpleUploadedFile("x.png", png_bytes(9, 9))})
    reused = client.post(
        en("api:file_list"),
        other,
        content_type="multipart/form-data; boundary=b",
        headers={"Idempotency-Key": "retry-1"},
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
