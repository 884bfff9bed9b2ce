"""Complaints and claims through their doors (FBK-2, FBK-3): the portal's forms and pages, the call centre filing for a
caller, the coordinators' queues and details, the API — bad input answered clearly and storing nothing, documents
downloaded only through access-checked views, every staff read recorded."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.complaints.models import CaseCounter, Claim, Complaint
from carenet.complaints.tests.factories import ClaimAttachmentFactory, ClaimFactory, ComplaintFactory
from carenet.core import clock
from carenet.files.tests.factories import png_bytes
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 9, 15, tzinfo=dt.UTC)


@pytest.fixture
def cast_at_now(time_machine: Any, request: pytest.FixtureRequest) -> Cast:
    """The cast made at NOW, and the clock kept there: its visits (a week ago, tomorrow) are around NOW whatever day
    the suite runs on (a cast made today with the test at NOW had its past visit after NOW a week later)."""
    time_machine.move_to(NOW, tick=False)
    return request.getfixturevalue("cast")


def reads() -> list[tuple[str, int]]:
    rows = PatientRead.objects.order_by("pk")
    return list(rows.values_list("reader__username", "patient_id"))


def test_a_patient_files_a_complaint_and_sees_its_number_status_and_answer_date(cast_at_now: Cast) -> None:
    cast = cast_at_now
    client = cast.client("patient")
    assert client.get(reverse("portal:complaint_new")).status_code == 200
    answer = client.post(
        reverse("portal:complaint_new"),
        {
            "subject": "Odwołana wizyta",
            "text": "Nikt mnie nie uprzedził 😡",
            "facility": str(cast.here.pk),
            "visit": str(cast.past_visit.pk),
        },
        follow=True,
    )
    complaint = Complaint.objects.get()
    assert complaint.case_number == "RK/2026/000001" and complaint.appointment == cast.past_visit
    page = answer.content.decode()
    assert "RK/2026/000001" in page and "3 stycznia 2027" in page  # the statutory time, 30 days
    listing = client.get(reverse("portal:complaints")).content.decode()
    assert "RK/2026/000001" in listing and "Odwołana wizyta" in listing


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Temat\x00", "text": "Opis"},
        {"subject": "", "text": "Opis"},
        {"subject": "Temat", "text": "x" * 5001},
        {"subject": "Temat", "text": "Opis", "facility": "99999999999999999999999"},
        {"subject": "Temat", "text": "Opis", "visit": str(2**62)},
        {"subject": "Temat", "text": "Opis", "who": "abc"},
    ],
)
def test_bad_input_on_the_complaint_form_is_explained_and_stores_nothing(cast: Cast, fields: dict[str, str]) -> None:
    answer = cast.client("patient").post(reverse("portal:complaint_new"), fields)
    assert answer.status_code == 422 and b"error-summary" in answer.content
    assert not Complaint.objects.exists() and not CaseCounter.objects.filter(last__gt=0).exists()


def test_someone_elses_complaint_and_claim_do_not_exist_for_a_patient(cast: Cast) -> None:
    complaint = ComplaintFactory(patient=cast.patient)
    document = ClaimAttachmentFactory(claim=ClaimFactory(patient=cast.patient))
    other = cast.client("other_patient")
    assert other.get(reverse("portal:complaint", args=[complaint.pk])).status_code == 404
    assert other.get(reverse("portal:claim", args=[document.claim_id])).status_code == 404
    assert other.get(reverse("portal:claim_attachment", args=[document.pk])).status_code == 404
    own = cast.client("patient").get(reverse("portal:claim_attachment", args=[document.pk]))
    assert own.status_code == 200 and own["Content-Disposition"].startswith("attachment")
    assert own["X-Content-Type-Options"] == "nosniff"


def test_a_claim_with_documents_from_the_portal(cast_at_now: Cast) -> None:
    cast = cast_at_now
    client = cast.client("patient")
    answer = client.post(
        reverse("portal:claim_new"),
        {
            "subject": "Zwrot kosztów rezonansu",
            "description": "Faktura w załączeniu.",
            "documents": [SimpleUploadedFile("faktura.png", png_bytes()), SimpleUploadedFile("skan.png", png_bytes())],
        },
        follow=True,
    )
    claim = Claim.objects.get()
    assert claim.case_number == "RS/2026/000001" and claim.attachments.count() == 2
    assert "RS/2026/000001" in answer.content.decode()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Attach at least one document"),
        ([("x.png", b"GIF89a....")], "not a JPG, JPEG, PNG or PDF"),
        ([("x.png", png_bytes())] * 6, "At most 5 files"),
    ],
)
def test_a_refused_claim_says_why_next_to_the_documents(
    cast: Cast, files: list[tuple[str, bytes]], message: str
) -> None:
    client = cast.client("patient")
    with translation.override("en"):
        url = reverse("portal:claim_new")
    answer = client.post(
        url,
        {
            "subject": "Zwrot",
            "description": "Opis",
            "documents": [SimpleUploadedFile(name, content) for name, content in files],
        },
    )
    assert answer.status_code == 422 and message in answer.content.decode()
    assert not Claim.objects.exists()


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(cast: Cast) -> None:
    big = b"%PDF-1.4\n" + b"0" * (settings.CARENET_FILE_MAX_BYTES + 10)
    answer = cast.client("patient").post(
        reverse("portal:claim_new"),
        {"subject": "Zwrot", "description": "Opis", "documents": [SimpleUploadedFile("duzy.pdf", big)]},
    )
    assert answer.status_code == 422 and not Claim.objects.exists()


def test_the_call_centre_files_for_the_caller(cast: Cast) -> None:
    client = cast.client("call_centre")
    page = client.get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    assert reverse("staff:complaint_new", args=[cast.patient.pk]) in page
    answer = client.post(
        reverse("staff:complaint_new", args=[cast.patient.pk]),
        {"subject": "Niemiła obsługa", "text": "Pacjentka dzwoni w sprawie recepcji."},
    )
    complaint = Complaint.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("staff:complaint", args=[complaint.pk])
    assert complaint.channel == "call_centre" and complaint.filed_by == cast.users["call_centre"]


def test_the_coordinators_queue_marks_overdue_and_near_due_in_words_and_filters(cast_at_now: Cast) -> None:
    cast = cast_at_now
    today = clock.today()
    overdue = ComplaintFactory(patient=cast.patient, answer_due_on=today - dt.timedelta(days=1), subject="Stara")
    soon = ComplaintFactory(patient=cast.other_patient, answer_due_on=today + dt.timedelta(days=2), subject="Pilna")
    calm = ComplaintFactory(patient=cast.patient, answer_due_on=today + dt.timedelta(days=20), subject="Spokojna")
    client = cast.client("coordinator")
    with translation.override("en"):
        url = reverse("staff:complaints")
    page = client.get(url).content.decode()
    assert page.index(overdue.case_number) < page.index(soon.case_number) < page.index(calm.case_number)
    assert "Overdue" in page and "Due soon" in page and "On time" in page
    only_overdue = client.get(url, {"urgency": "overdue"}).content.decode()
    assert overdue.case_number in only_overdue and soon.case_number not in only_overdue
    searched = client.get(reverse("staff:complaints"), {"q": calm.case_number, "status": "bogus\x00"})
    assert searched.status_code == 200 and overdue.case_number not in searched.content.decode()
    assert {patient for _, patient in reads()} == {cast.patient.pk, cast.other_patient.pk}


def test_take_and_answer_from_the_detail_page_tells_the_patient(cast: Cast) -> None:
    complaint = ComplaintFactory(patient=cast.patient)
    client = cast.client("coordinator")
    assert client.get(reverse("staff:complaint", args=[complaint.pk])).status_code == 200
    assert reads() == [("koordynator", cast.patient.pk)]
    client.post(reverse("staff:complaint_take", args=[complaint.pk]))
    assert Complaint.objects.get().status == Complaint.Status.IN_PROGRESS
    refused = client.post(reverse("staff:complaint_answer", args=[complaint.pk]), {"text": "\x00"})
    assert refused.status_code == 422 and Complaint.objects.get().status == Complaint.Status.IN_PROGRESS
    client.post(reverse("staff:complaint_answer", args=[complaint.pk]), {"text": "Przepraszamy za kłopot."})
    assert Complaint.objects.get().status == Complaint.Status.ANSWERED
    assert OutboundMessage.objects.filter(purpose="complaint-answered", channel="sms").count() == 1
    page = cast.client("patient").get(reverse("portal:complaint", args=[complaint.pk])).content.decode()
    assert "Przepraszamy za kłopot." in page


def test_a_coordinator_reviews_and_decides_a_claim_and_downloads_its_document(cast: Cast) -> None:
    document = ClaimAttachmentFactory(claim=ClaimFactory(patient=cast.patient))
    client = cast.client("coordinator")
    assert document.claim.case_number in client.get(reverse("staff:claims")).content.decode()
    client.post(reverse("staff:claim_review", args=[document.claim_id]))
    assert Claim.objects.get().status == Claim.Status.UNDER_REVIEW
    download = client.get(reverse("staff:claim_attachment", args=[document.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert ("koordynator", cast.patient.pk) in reads()
    client.post(
        reverse("staff:claim_decide", args=[document.claim_id]), {"outcome": "accepted", "text": "Zwrot 850 zł."}
    )
    assert Claim.objects.get().status == Claim.Status.ACCEPTED
    assert OutboundMessage.objects.filter(purpose="claim-decided", channel="sms").count() == 1
    assert cast.client("call_centre").get(reverse("staff:claim_attachment", args=[document.pk])).status_code == 403


def _api(cast: Cast, role: str = "patient") -> tuple[Any, dict[str, str]]:
    token, _ = token_issue(user=cast.users[role], name="app", now=clock.now())  # type: ignore[arg-type]
    return cast.client("anonymous"), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_files_lists_and_shows_complaints(cast: Cast) -> None:
    client, auth = _api(cast)
    body = {"subject": "Odwołana wizyta", "text": "Bez uprzedzenia."}
    filed = client.post("/api/v1/complaints", json.dumps(body), content_type="application/json", **auth)
    assert filed.status_code == 201 and filed.json()["case_number"].startswith("RK/")
    assert Complaint.objects.get().channel == "mobile"
    listing = client.get("/api/v1/complaints", **auth).json()
    assert [row["case_number"] for row in listing["results"]] == [filed.json()["case_number"]]
    assert client.get(f"/api/v1/complaints/{filed.json()['id']}", **auth).status_code == 200
    other, other_auth = _api(cast, "other_patient")
    missing = other.get(f"/api/v1/complaints/{filed.json()['id']}", **other_auth)
    assert missing.status_code == 404 and missing.json()["code"] == "complaint_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "Temat\u0000", "text": "Opis"},
        {"subject": "Temat", "text": "Opis", "facility_id": 2**70},
        {"subject": "Temat", "text": "Opis", "appointment_id": "abc"},
        {"subject": ["lista"], "text": "Opis"},
        {"subject": "Temat", "text": "x" * 6000},
    ],
)
def test_bad_api_input_answers_a_code_and_stores_nothing(cast: Cast, body: dict[str, Any]) -> None:
    client, auth = _api(cast)
    answer = client.post("/api/v1/complaints", json.dumps(body), content_type="application/json", **auth)
    assert answer.status_code == 422 and answer.json()["code"]
    assert not Complaint.objects.exists()


def test_the_api_submits_a_claim_with_documents_and_refuses_a_wrong_type(cast: Cast) -> None:
    client, auth = _api(cast)
    refused = client.post(
        "/api/v1/claims",
        {"subject": "Zwrot", "description": "Opis", "documents": [SimpleUploadedFile("x.svg", b"<svg/>")]},
        **auth,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "file_type" and not Claim.objects.exists()
    submitted = client.post(
        "/api/v1/claims",
        {"subject": "Zwrot", "description": "Opis", "documents": [SimpleUploadedFile("f.png", png_bytes())]},
        **auth,
    )
    assert submitted.status_code == 201 and len(submitted.json()["documents"]) == 1
    assert Claim.objects.get().channel == "mobile"
    assert client.get("/api/v1/claims", **auth).json()["results"][0]["status"] == "submitted"


def test_the_openapi_document_names_the_endpoints() -> None:
    from carenet.api.api import api

    paths = api.get_openapi_schema()["paths"]
    assert {"/api/v1/complaints", "/api/v1/complaints/{complaint_id}", "/api/v1/claims"} <= set(paths)


def test_huge_ids_and_a_huge_body_are_refused_cleanly(cast: Cast) -> None:
    huge = "99999999999999999999999"
    assert cast.client("patient").get(f"/reklamacje/{huge}/").status_code == 404
    assert cast.client("coordinator").get(f"/staff/complaints/{huge}/").status_code == 404
    assert cast.client("coordinator").get(f"/staff/claims/documents/{huge}/").status_code == 404
    client, auth = _api(cast)
    assert client.get(f"/api/v1/claims/{huge}", **auth).status_code == 422
    body = json.dumps({"subject": "Temat", "text": "x" * (10 * 1024 * 1024)})
    answer = client.post("/api/v1/complaints", body, content_type="application/json", **auth)
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    assert not Complaint.objects.exists()


def test_each_document_of_a_claim_has_the_file_limit_of_its_own(cast: Cast, settings: Any) -> None:
    """FIL-1, FBK-3: the upload limit is per file (and at most CARENET_CLAIM_MAX_FILES files of one request are
    taken in), so several documents just under the limit arrive whole."""
    document = png_bytes(40, 40, (10, 200, 30))
    settings.CARENET_FILE_MAX_BYTES = len(document) + 10
    answer = cast.client("patient").post(
        reverse("portal:claim_new"),
        {
            "subject": "Zwrot",
            "description": "Opis",
            "documents": [SimpleUploadedFile(f"f{number}.png", document) for number in range(3)],
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    assert Claim.objects.get().attachments.count() == 3
