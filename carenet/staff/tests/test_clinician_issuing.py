"""Issuing during the visit, on one screen (CLN-5): e-referral, e-prescription, sick leave and recommendation —
only the visit's own clinician, within the issuing window, errors next to the field and nothing stored on error;
a correction is a new version that supersedes the old one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from carenet.booking.models import Appointment
from carenet.clinical.models import Prescription, Recommendation, Referral, SickLeave
from carenet.clinical.tests.factories import DrugFactory
from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.messaging.models import OutboundMessage
from carenet.network.models import Service
from carenet.network.tests.factories import ServiceFactory
from carenet.scheduling.models import Mode
from tests.cast import Cast
from tests.html_checks import broken_references

pytestmark = pytest.mark.django_db

NIP = "5260250995"


def issue_url(visit: Appointment, kind: str) -> str:
    return reverse("staff:clinician_issue", args=[visit.pk, kind])


def stored() -> tuple[int, int, int, int]:
    return (
        Referral.objects.count(),
        Prescription.objects.count(),
        SickLeave.objects.count(),
        Recommendation.objects.count(),
    )


def during(visit: Appointment, role: str = "clinician_with", minutes: int = 5) -> Any:
    """Travel to a moment of the visit and log in there (sessions expire when idle)."""
    travel = time_machine.travel(visit.slot.starts_at + dt.timedelta(minutes=minutes), tick=False)
    return travel


def test_the_visits_clinician_issues_a_recommendation_with_exams_and_sees_it_on_the_page(cast: Cast) -> None:
    blood = ServiceFactory(name="Morfologia krwi", kind=Service.Kind.LAB, specialty=None)
    ServiceFactory(name="Konsultacja kardiologa", kind=Service.Kind.CONSULTATION)
    with during(cast.visit):
        client = cast.client("clinician_with")
        page = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
        assert set(page.context["issue_forms"]) == {"referral", "prescription", "sick_leave", "recommendation"}
        assert list(page.context["issue_forms"]["recommendation"].fields["exams"].queryset) == [blood]
        answer = client.post(
            issue_url(cast.visit, "recommendation"),
            {
                "recommendation-text": "Dużo pić.\nKontrola za tydzień.",
                "recommendation-in_person_visit": "on",
                "recommendation-in_person_specialty": str(cast.consult.specialty_id),
                "recommendation-exams": [str(blood.pk)],
            },
        )
        assert answer.status_code == 302
        page = client.get(answer.headers["Location"])
    recommendation = Recommendation.objects.get()
    assert recommendation.appointment_id == cast.visit.pk and recommendation.facility == cast.here
    assert recommendation.issued_by == cast.clinician_with and list(recommendation.exams.all()) == [blood]
    assert recommendation.in_person_specialty_id == cast.consult.specialty_id
    assert "Kontrola za tydzień" in page.content.decode()
    assert "Zalecenie jest wystawione" in page.content.decode()


def test_a_prescription_through_htmx_errors_next_to_the_field_then_issued_with_its_sms(cast: Cast) -> None:
    drug = DrugFactory(name="Ibuprofen Test", strength="400 mg")
    body = {
        "prescription-drug": str(drug.pk),
        "prescription-dose": "1 tabletka co 8 godzin",
        "prescription-quantity": "0",
        "prescription-reimbursement": "100%",
    }
    with during(cast.visit):
        client = cast.client("clinician_with")
        found = client.get(reverse("staff:clinician_drugs"), {"drug_q": "ibupro"}, HTTP_HX_REQUEST="true")
        assert found.status_code == 200 and 'name="prescription-drug"' in found.content.decode()
        assert f'value="{drug.pk}"' in found.content.decode()
        refused = client.post(issue_url(cast.visit, "prescription"), body, HTTP_HX_REQUEST="true")
        assert refused.status_code == 200 and stored() == (0, 0, 0, 0)
        html = refused.content.decode()
        assert 'id="clinical"' in html and "<html" not in html
        # BEY-5: the error sits next to the field, tied to it, and the swapped form opens with its summary.
        assert 'id="id_prescription-quantity_error"' in html and "data-error-summary" in html
        assert 'aria-invalid="true"' in html
        assert broken_references(html) == []
        assert refused.context["open_kind"] == "prescription"
        issued = client.post(
            issue_url(cast.visit, "prescription"), body | {"prescription-quantity": "2"}, HTTP_HX_REQUEST="true"
        )
    assert issued.status_code == 200 and "Ibuprofen Test" in issued.content.decode()
    prescription = Prescription.objects.get()
    assert prescription.quantity == 2 and prescription.appointment_id == cast.visit.pk
    assert OutboundMessage.objects.filter(recipient=cast.patient.mobile).count() == 1


def test_a_refused_sick_leave_without_javascript_comes_back_with_the_error_and_stores_nothing(cast: Cast) -> None:
    today = clock.local(cast.visit.slot.starts_at).date()
    body = {
        "sick_leave-starts_on": today.isoformat(),
        "sick_leave-ends_on": (today + dt.timedelta(days=5)).isoformat(),
        "sick_leave-reason_code": "",
        "sick_leave-indication": "2",
        "sick_leave-diagnosis_code": "J06",
        "sick_leave-employer_nip": "1234567890",
    }
    with during(cast.visit):
        client = cast.client("clinician_with")
        refused = client.post(issue_url(cast.visit, "sick_leave"), body)
        assert refused.status_code == 422 and stored() == (0, 0, 0, 0)
        assert "NIP" in refused.content.decode() and refused.context["open_kind"] == "sick_leave"
        year_9999 = client.post(issue_url(cast.visit, "sick_leave"), body | {"sick_leave-ends_on": "9999-12-31"})
        nul = client.post(issue_url(cast.visit, "sick_leave"), body | {"sick_leave-diagnosis_code": "J\x0006"})
        assert year_9999.status_code == 422 and nul.status_code == 422 and stored() == (0, 0, 0, 0)
        done = client.post(issue_url(cast.visit, "sick_leave"), body | {"sick_leave-employer_nip": NIP})
    assert done.status_code == 302
    sick_leave = SickLeave.objects.get()
    assert sick_leave.diagnosis_code == "J06" and sick_leave.employer_nip == NIP


def test_correcting_a_referral_opens_its_form_prefilled_and_issues_a_new_version(cast: Cast) -> None:
    cardiology = ServiceFactory(name="Konsultacja kardiologa", requires_referral=True)
    with during(cast.visit):
        client = cast.client("clinician_with")
        client.post(
            issue_url(cast.visit, "referral"), {"referral-service": str(cardiology.pk), "referral-note": "pilne"}
        )
        first = Referral.objects.get()
        assert first.valid_until > clock.local(cast.visit.slot.starts_at).date()
        opened = client.get(
            reverse("staff:clinician_visit", args=[cast.visit.pk]), {"kind": "referral", "correct": str(first.pk)}
        )
        form = opened.context["issue_forms"]["referral"]
        assert form.initial["supersedes"] == first.pk and form.initial["note"] == "pilne"
        assert opened.context["open_kind"] == "referral"
        partial = client.get(
            issue_url(cast.visit, "referral"), {"kind": "referral", "correct": str(first.pk)}, HTTP_HX_REQUEST="true"
        )
        assert partial.status_code == 200 and f'value="{first.pk}"' in partial.content.decode()
        corrected = client.post(
            issue_url(cast.visit, "referral"),
            {
                "referral-service": str(cardiology.pk),
                "referral-note": "pilne, do 2 tygodni",
                "referral-supersedes": str(first.pk),
            },
        )
        assert corrected.status_code == 302
        twice = client.post(
            issue_url(cast.visit, "referral"),
            {
                "referral-service": str(cardiology.pk),
                "referral-supersedes": str(first.pk),
            },
        )
        assert twice.status_code == 422
        page = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
    newest = Referral.objects.exclude(pk=first.pk).get()
    assert newest.supersedes_id == first.pk and Referral.objects.count() == 2
    assert [doc.pk for doc in page.context["issued"].referrals] == [newest.pk]


def test_only_the_visits_own_clinician_issues_and_a_refusal_stores_nothing(cast: Cast) -> None:
    body = {"recommendation-text": "Odpoczynek."}
    url = issue_url(cast.visit, "recommendation")
    visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        cast.visit.slot.starts_at - dt.timedelta(days=50),
        facility=cast.here,
        status=Appointment.Status.COMPLETED,
    )
    other = visit_of(
        cast.level_one,
        cast.clinician_with,
        cast.consult,
        cast.visit.slot.starts_at + dt.timedelta(hours=5),
        facility=cast.here,
    )
    with during(cast.visit):
        related = cast.client("clinician_without")
        page = related.get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
        assert page.status_code == 200 and page.context["issue_forms"] == {}
        assert related.post(url, body).status_code == 403
        for role in ("receptionist_here", "call_centre", "admin", "patient"):
            assert cast.client(role).post(url, body).status_code == 403, role
        # A patient clinician_without never saw: the visit does not exist for her.
        assert related.post(issue_url(other, "recommendation"), body).status_code == 404
    with during(cast.visit, minutes=-31):
        early = cast.client("clinician_with").post(url, body)
        assert early.status_code == 422 and "30 minut" in early.content.decode()
    # Cancelled: Anna stays Kowalski's patient through an earlier visit, but nothing is issued on this one.
    visit_of(
        cast.patient,
        cast.clinician_with,
        cast.consult,
        cast.visit.slot.starts_at - dt.timedelta(days=60),
        facility=cast.here,
        status=Appointment.Status.COMPLETED,
    )
    Appointment.objects.filter(pk=cast.visit.pk).update(status=Appointment.Status.CANCELLED)
    with during(cast.visit):
        cancelled = cast.client("clinician_with").post(url, body)
        assert cancelled.status_code == 422 and "odwołana" in cancelled.content.decode()
    assert stored() == (0, 0, 0, 0)


def test_a_phone_consultations_documents_name_the_clinicians_own_facility(cast: Cast) -> None:
    start = clock.now() + dt.timedelta(hours=2)
    phone = visit_of(cast.patient, cast.clinician_with, cast.consult, start, mode=Mode.PHONE)
    with time_machine.travel(start, tick=False):
        answer = cast.client("clinician_with").post(issue_url(phone, "recommendation"), {"recommendation-text": "Pić."})
    assert answer.status_code == 302
    assert Recommendation.objects.get().facility == cast.here


def test_the_drug_picker_is_for_clinicians_and_lists_at_most_twenty(cast: Cast) -> None:
    for number in range(25):
        DrugFactory(name=f"Paracetamol {number:02d}")
    url = reverse("staff:clinician_drugs")
    answer = cast.client("clinician_with").get(url, {"drug_q": "paracet"})
    assert answer.status_code == 200 and answer.content.decode().count('type="radio"') == 20
    empty = cast.client("clinician_with").get(url, {"drug_q": "\x00"})
    assert empty.status_code == 200 and 'type="radio"' not in empty.content.decode()
    for role in ("patient", "receptionist_here", "admin"):
        assert cast.client(role).get(url, {"drug_q": "paracet"}).status_code == 403
