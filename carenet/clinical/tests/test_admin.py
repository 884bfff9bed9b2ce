"""The back office shows signed documents read-only (CLN-5) and records the reads (CLN-6); the drug catalogue is
searchable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.clinical.models import Prescription, Referral
from carenet.clinical.tests.factories import (
    DrugFactory,
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (PrescriptionFactory, "prescription"),
        (SickLeaveFactory, "sickleave"),
        (RecommendationFactory, "recommendation"),
    ],
)
def test_signed_documents_are_listed_and_shown_read_only_and_each_look_is_recorded(
    admin_client: Client, factory: type, name: str
) -> None:
    documents = [factory(), factory()]
    listing = admin_client.get(reverse(f"admin:clinical_{name}_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2
    assert set(PatientRead.objects.values_list("patient_id", flat=True)) == {d.patient_id for d in documents}

    change = reverse(f"admin:clinical_{name}_change", args=[documents[0].pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin_client.post(change, {"dose": "x", "text": "x"}).status_code == 403
    assert admin_client.get(reverse(f"admin:clinical_{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:clinical_{name}_delete", args=[documents[0].pk])).status_code == 403
    assert type(documents[0]).objects.count() == 2


def test_the_pharmacy_code_is_not_shown_in_the_back_office(admin_client: Client) -> None:
    prescription = PrescriptionFactory(access_code="4821")
    page = admin_client.get(reverse("admin:clinical_prescription_change", args=[prescription.pk]))
    assert "4821" not in page.content.decode()
    assert Prescription.objects.get().access_code == "4821"


def test_a_network_referral_is_read_only_in_the_back_office(admin_client: Client) -> None:
    referral = NetworkReferralFactory(note="")
    change = reverse("admin:clinical_referral_change", args=[referral.pk])
    assert admin_client.get(change).context["has_change_permission"] is False
    assert admin_client.post(change, {"note": "dopisek"}).status_code == 403
    assert Referral.objects.get().note == ""


def test_the_drug_catalogue_is_searchable(admin_client: Client) -> None:
    DrugFactory(name="Testoformina", substance="testoforminum")
    DrugFactory(name="Ibuprom", substance="ibuprofenum")
    found = admin_client.get(reverse("admin:clinical_drug_changelist"), {"q": "testoformin"})
    assert [drug.name for drug in found.context["cl"].result_list] == ["Testoformina"]
