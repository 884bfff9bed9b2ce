"""Holes found in a review of renewals (CLN-2, issue 11), each closed and kept closed by a test here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carenet.clinical.models import Prescription
from tests.cast import Cast

from .test_doors import bearer

pytestmark = pytest.mark.django_db


def test_staff_naming_a_patient_in_the_api_never_get_the_pharmacy_code_of_a_renewed_prescription(cast: Cast) -> None:
    """CLN-6, SMS-1: the call centre orders renewals for anyone but reads no medical record — the 4-digit code a
    pharmacy asks for goes to the patient (the SMS, their portal and app), not to whoever lists the orders."""
    assert cast.renewal is not None
    issued = cast.client("clinician_with").post(
        reverse("staff:renewal_issue", args=[cast.renewal.pk]),
        {"dose": "1 tabletka", "quantity": "1", "reimbursement": "100%"},
    )
    assert issued.status_code == 302
    code = Prescription.objects.get(renewal_request=cast.renewal).access_code
    staff = bearer(cast, "call_centre").get("/api/v1/renewals", {"patient_id": cast.patient.pk})
    assert staff.status_code == 200
    [item] = [item for item in staff.json()["results"] if item["id"] == cast.renewal.pk]
    assert item["status"] == "issued" and item["prescription_access_code"] is None
    mine = bearer(cast, "patient").get("/api/v1/renewals").json()["results"]
    assert [item["prescription_access_code"] for item in mine if item["id"] == cast.renewal.pk] == [code]
