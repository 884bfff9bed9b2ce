"""Filing, taking and answering complaints (FBK-2); submitting, reviewing and deciding claims (FBK-3) through the
services every door calls: who may, the case number at once (race-free), the statutory answer date, the patient told
exactly once, and nothing stored — no row, no number, no file — when refused."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from carenet.accounts.selectors import actor_for_user
from carenet.complaints import services
from carenet.complaints.models import CaseCounter, Claim, ClaimAttachment, Complaint
from carenet.complaints.tests.factories import ComplaintFactory
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.core.testing import run_in_threads
from carenet.files.tests.corpus import jpeg_with_exif, pdf
from carenet.files.tests.factories import png_bytes, upload
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast, build_cast

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 9, 15, tzinfo=dt.UTC)


def stored_files() -> set[Path]:
    return {path for path in Path(settings.CARENET_PRIVATE_ROOT).rglob("*") if path.is_file()}


def file_complaint(cast: Cast, role: str = "patient", **kwargs: Any) -> Complaint:
    arguments: dict[str, Any] = {
        "patient_id": cast.patient.pk,
        "subject": "Odwołana wizyta",
        "text": "Nikt mnie nie uprzedził.",
        "now": NOW,
    } | kwargs
    return services.complaint_file(actor=actor_for_user(cast.users[role]), **arguments)


def file_claim(cast: Cast, uploads: list[Any] | None = None, role: str = "patient", **kwargs: Any) -> Claim:
    arguments: dict[str, Any] = {
        "patient_id": cast.patient.pk,
        "subject": "Zwrot kosztów rezonansu",
        "description": "Faktura w załączeniu.",
        "uploads": uploads if uploads is not None else [upload(png_bytes(), "faktura.png")],
        "now": NOW,
    } | kwargs
    return services.claim_file(actor=actor_for_user(cast.users[role]), **arguments)


def test_a_complaint_gets_its_case_number_and_answer_date_at_once(cast: Cast) -> None:
    first = file_complaint(cast, appointment_id=cast.past_visit.pk)
    second = file_complaint(cast)
    assert (first.case_number, second.case_number) == ("RK/2026/000001", "RK/2026/000002")
    assert first.answer_due_on == dt.date(2027, 1, 3)  # CARENET_COMPLAINT_ANSWER_DAYS after 4 December
    assert first.status == Complaint.Status.RECEIVED and first.channel == "portal"
    assert first.facility_id == cast.past_visit.slot.facility_id  # taken from the visit


def test_the_call_centre_files_for_a_caller_patients_only_for_their_family(cast: Cast) -> None:
    complaint = file_complaint(cast, role="call_centre")
    assert complaint.channel == "call_centre" and complaint.filed_by == cast.users["call_centre"]
    child = file_complaint(cast, role="guardian", patient_id=cast.child.pk)
    assert child.patient == cast.child
    with pytest.raises(NotFound):
        file_complaint(cast, role="other_patient")
    with pytest.raises(NotFound) as visit:
        file_complaint(cast, appointment_id=cast.other_visit.pk)
    assert visit.value.code == "visit_not_found"
    for role in ("coordinator", "receptionist_here", "clinician_with", "employer_contact"):
        with pytest.raises(PermissionDenied):
            file_complaint(cast, role=role)
    assert Complaint.objects.count() == 2 and CaseCounter.objects.get().last == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"subject": ""}, "subject_empty"),
        ({"subject": "x" * 151}, "subject_too_long"),
        ({"text": "Tekst\x00z NUL"}, "text_invalid"),
        ({"text": "   "}, "text_empty"),
        ({"text": "x" * 5001}, "text_too_long"),
        ({"facility_id": 2**62}, "facility_not_found"),
    ],
)
def test_bad_input_files_nothing_and_uses_no_number(cast: Cast, fields: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        file_complaint(cast, **fields)
    assert refused.value.code == code
    assert not Complaint.objects.exists() and not CaseCounter.objects.filter(last__gt=0).exists()


def test_an_emoji_is_text(cast: Cast) -> None:
    assert file_complaint(cast, subject="Zła obsługa 😡").subject == "Zła obsługa 😡"


def test_taking_and_answering_tells_the_patient_once(cast: Cast) -> None:
    complaint = file_complaint(cast)
    coordinator = actor_for_user(cast.users["coordinator"])
    taken = services.complaint_take(actor=coordinator, complaint_id=complaint.pk, now=NOW)
    assert taken.status == Complaint.Status.IN_PROGRESS and taken.taken_by == cast.users["coordinator"]
    answered = services.complaint_answer(actor=coordinator, complaint_id=complaint.pk, text="Przepraszamy.", now=NOW)
    assert answered.status == Complaint.Status.ANSWERED and answered.answer == "Przepraszamy."
    with pytest.raises(Conflict) as again:
        services.complaint_answer(actor=coordinator, complaint_id=complaint.pk, text="Jeszcze raz.", now=NOW)
    assert again.value.code == "complaint_already_answered"
    messages = OutboundMessage.objects.filter(purpose="complaint-answered")
    sms = messages.get(channel="sms")
    assert complaint.case_number in sms.body and "Przepraszamy" not in sms.body  # no content in an SMS
    assert sms.recipient.endswith(cast.patient.mobile[-9:])
    assert messages.count() == (2 if cast.patient.email else 1)


def test_only_coordinators_and_admins_handle(cast: Cast) -> None:
    complaint = file_complaint(cast)
    for role in ("call_centre", "patient", "clinician_with"):
        with pytest.raises(PermissionDenied):
            services.complaint_answer(actor=actor_for_user(cast.users[role]), complaint_id=complaint.pk, text="Nie.")
    with pytest.raises(NotFound):
        services.complaint_take(actor=actor_for_user(cast.users["admin"]), complaint_id=2**62)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RECEIVED and not OutboundMessage.objects.exists()


def test_a_claim_stores_its_disarmed_documents(cast: Cast) -> None:
    before = stored_files()
    claim = file_claim(cast, [upload(jpeg_with_exif(), "skan.pdf"), upload(pdf(), "faktura.pdf")])
    assert claim.case_number == "RS/2026/000001" and claim.status == Claim.Status.SUBMITTED
    documents = list(claim.attachments.order_by("pk"))
    assert [(row.original_name, row.content_type) for row in documents] == [
        ("skan.jpg", "image/jpeg"),
        ("faktura.pdf", "application/pdf"),
    ]
    assert b"Exif" not in documents[0].stored.read()  # re-encoded without its metadata (FIL-2)
    assert len(stored_files() - before) == 2


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([], "attachment_missing"),
        (["png"] * 6, "too_many_attachments"),
        (["png", "html"], "file_type"),
        (["png", "empty"], "file_empty"),
        (["big"], "file_too_large"),
        (["active_pdf"], "pdf_active"),
    ],
)
def test_a_refused_claim_stores_nothing(cast: Cast, files: list[str], code: str) -> None:
    contents = {
        "png": png_bytes(),
        "html": b"<html><script>alert(1)</script></html>",
        "empty": b"",
        "big": b"%PDF-" + b"0" * settings.CARENET_FILE_MAX_BYTES,
        "active_pdf": pdf(change=lambda document: document.Root.__setitem__("/OpenAction", _js())),
    }
    before = stored_files()
    with pytest.raises(ValidationFailed) as refused:
        file_claim(cast, [upload(contents[name], f"plik-{number}") for number, name in enumerate(files)])
    assert refused.value.code == code
    assert not Claim.objects.exists() and not ClaimAttachment.objects.exists()
    assert stored_files() == before


def _js() -> Any:
    import pikepdf

    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def test_reviewing_and_deciding_tells_the_patient_once(cast: Cast) -> None:
    claim = file_claim(cast)
    coordinator = actor_for_user(cast.users["coordinator"])
    assert services.claim_review(actor=coordinator, claim_id=claim.pk).status == Claim.Status.UNDER_REVIEW
    decided = services.claim_decide(actor=coordinator, claim_id=claim.pk, accepted=False, decision="Poza zakresem.")
    assert decided.status == Claim.Status.REJECTED and decided.decision == "Poza zakresem."
    with pytest.raises(Conflict):
        services.claim_decide(actor=coordinator, claim_id=claim.pk, accepted=True, decision="Jednak tak.")
    with pytest.raises(Conflict):
        services.claim_review(actor=coordinator, claim_id=claim.pk)
    assert OutboundMessage.objects.filter(purpose="claim-decided", channel="sms").count() == 1
    for role in ("patient", "call_centre"):
        with pytest.raises(PermissionDenied):
            services.claim_decide(
                actor=actor_for_user(cast.users[role]), claim_id=claim.pk, accepted=True, decision="x"
            )
    with pytest.raises(PermissionDenied):
        file_claim(cast, role="call_centre")


def test_every_refusal_has_a_message() -> None:
    for refusal in services._MESSAGES:
        error = services.case_error(refusal)
        assert isinstance(error, ApplicationError) and str(error.message) and error.code == refusal.value


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_filings_at_once_never_share_a_case_number() -> None:
    cast = build_cast()
    actor = actor_for_user(cast.users["patient"])

    def filing(number: int) -> None:
        services.complaint_file(actor=actor, patient_id=cast.patient.pk, subject=f"Sprawa {number}", text="Opis.")

    errors = run_in_threads(6, filing)
    assert errors == []
    numbers = Counter(Complaint.objects.values_list("case_number", flat=True))
    assert len(numbers) == 6 and set(numbers.values()) == {1}
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_one_wins() -> None:
    cast = build_cast()
    complaint = ComplaintFactory(patient=cast.patient)
    actor = actor_for_user(cast.users["coordinator"])

    def answer(number: int) -> None:
        services.complaint_answer(actor=actor, complaint_id=complaint.pk, text=f"Odpowiedź {number}")

    errors = run_in_threads(4, answer)
    assert Counter(getattr(error, "code", repr(error)) for error in errors) == Counter(
        {"complaint_already_answered": 3}
    )
    assert OutboundMessage.objects.filter(purpose="complaint-answered", channel="sms").count() == 1
