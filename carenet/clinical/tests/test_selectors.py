"""Reads of clinical documents: partner documentation hidden from the network (CLN-6), current versions only
(CLN-5), renewals only for drugs a network clinician prescribed (CLN-2)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import PatientFactory
from carenet.clinical import selectors
from carenet.clinical.tests.factories import (
    DrugFactory,
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)
from carenet.network.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_partner_documentation_is_hidden_from_the_network_but_not_from_the_patient() -> None:
    """CLN-6: a network clinician does not see documentation made at a partner facility."""
    patient = PatientFactory()
    own = FacilityFactory()
    partner = FacilityFactory(partner=True)
    for factory in (PrescriptionFactory, SickLeaveFactory, RecommendationFactory, NetworkReferralFactory):
        factory(patient=patient, facility=own)
        factory(patient=patient, facility=partner)
    network = selectors.documents_of(patient_ids=[patient.pk], network_only=True)
    everything = selectors.documents_of(patient_ids=[patient.pk], network_only=False)
    for kind in ("referrals", "prescriptions", "sick_leaves", "recommendations"):
        assert [doc.facility_id for doc in getattr(network, kind)] == [own.pk], kind
        assert {doc.facility_id for doc in getattr(everything, kind)} == {own.pk, partner.pk}, kind


def test_another_patients_documents_never_appear() -> None:
    patient, other = PatientFactory(), PatientFactory()
    PrescriptionFactory(patient=other)
    assert len(selectors.documents_of(patient_ids=[patient.pk], network_only=False)) == 0


def test_a_corrected_document_leaves_the_list_but_is_kept() -> None:
    """CLN-5: a correction supersedes the signed version; both exist, the list shows the current one."""
    first = PrescriptionFactory()
    second = PrescriptionFactory(patient=first.patient, supersedes=first)
    assert list(selectors.prescription_list(patient_ids=[first.patient_id])) == [second]
    assert set(selectors.prescription_list(patient_ids=[first.patient_id], current=False)) == {first, second}


def test_renewable_drugs_are_those_a_network_clinician_prescribed_to_this_patient() -> None:
    """CLN-2: only drugs already prescribed by a network clinician — not at a partner, not to someone else."""
    patient, other = PatientFactory(), PatientFactory()
    mine, partners, others = DrugFactory(), DrugFactory(), DrugFactory()
    PrescriptionFactory(patient=patient, drug=mine, facility=FacilityFactory())
    PrescriptionFactory(patient=patient, drug=partners, facility=FacilityFactory(partner=True))
    PrescriptionFactory(patient=other, drug=others)
    # The same drug prescribed at a partner to someone else does not hide it.
    PrescriptionFactory(patient=other, drug=mine, facility=FacilityFactory(partner=True))
    assert list(selectors.drugs_prescribed_before(patient_id=patient.pk)) == [mine]


def test_documents_cost_four_queries_whatever_the_history() -> None:
    patient = PatientFactory()
    for _ in range(3):
        RecommendationFactory(patient=patient)
        PrescriptionFactory(patient=patient)
    with CaptureQueriesContext(connection) as few:
        selectors.documents_of(patient_ids=[patient.pk], network_only=True)
    for _ in range(10):
        RecommendationFactory(patient=patient)
        PrescriptionFactory(patient=patient)
    with CaptureQueriesContext(connection) as many:
        selectors.documents_of(patient_ids=[patient.pk], network_only=True)
    assert len(many.captured_queries) == len(few.captured_queries) <= 5


def test_drug_search_matches_name_or_substance_and_skips_withdrawn_drugs() -> None:
    # Substances of no real drug: the catalogue shipped as data is loaded in every test database.
    DrugFactory(name="Apap", substance="testacetamolum")
    DrugFactory(name="Testacetamol Stada", substance="testacetamolum", is_active=False)
    assert [drug.name for drug in selectors.drug_search("testacet")] == ["Apap"]
    assert list(selectors.drug_search("   ")) == []
