"""Holes found in a review of the clinician's side (issue 11), each closed and kept closed by a test here."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse

from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.clinical.models import ImmutableDocument, Recommendation, Referral, SickLeave
from carenet.clinical.services import referral_issue, sick_leave_issue
from carenet.clinical.tests.factories import NetworkReferralFactory, PrescriptionFactory, RecommendationFactory
from carenet.core import clock
from carenet.core.errors import ValidationFailed
from carenet.encounters.tests.helpers import visit_of
from carenet.network.models import Service
from carenet.network.tests.factories import ClinicianFactory, FacilityFactory, ServiceFactory
from tests.cast import Cast

pytestmark = pytest.mark.django_db

Status = Appointment.Status
DAY = clock.today() + dt.timedelta(days=3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return clock.at_warsaw(day, dt.time(hour, minute))


def test_a_partner_visit_opened_by_a_network_clinician_shows_none_of_the_partners_documents(cast: Cast) -> None:
    """CLN-6: a network clinician with a relationship reads the patient's visit at a partner facility (the history
    of visits), never the documentation the partner made during it."""
    visit_of(cast.patient, cast.clinician_with, cast.consult, at(8, 30), facility=cast.here)
    partner_visit = visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        at(9, day=DAY - dt.timedelta(days=20)),
        facility=cast.partner,
        status=Status.COMPLETED,
    )
    PrescriptionFactory(
        patient=cast.patient,
        facility=cast.partner,
        appointment=partner_visit,
        issued_by=cast.clinician_without,
        dose="dokumentacja partnera",
    )
    with time_machine.travel(at(8, 35), tick=False):
        client = cast.client("clinician_with")
        page = client.get(reverse("staff:clinician_visit", args=[partner_visit.pk]))
        fragment = client.get(
            reverse("staff:clinician_issue", args=[partner_visit.pk, "prescription"]), HTTP_HX_REQUEST="true"
        )
    assert page.status_code == 200 and fragment.status_code == 200
    assert "dokumentacja partnera" not in page.content.decode()
    assert not page.context["issued"].prescriptions
    assert "dokumentacja partnera" not in fragment.content.decode()


def test_a_signed_referral_cannot_be_turned_into_an_employers_to_change_or_delete_it() -> None:
    """CLN-5: flipping ``source`` in memory does not make a network referral's clinical content editable, nor the
    referral deletable."""
    referral = NetworkReferralFactory(note="podpisane")
    referral.source = Referral.Source.EMPLOYER
    referral.employer_name = "Firma"
    referral.employer_referral_number = "1/2026"
    referral.note = "zmienione"
    with pytest.raises(ImmutableDocument):
        referral.save()
    with pytest.raises(ImmutableDocument):
        referral.delete()
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.source == Referral.Source.NETWORK and stored.note == "podpisane"


def _employer_referral_form(patient_id: int, service_id: int, **fields: object) -> dict[str, object]:
    return {
        "patient": patient_id,
        "service": service_id,
        "source": Referral.Source.EMPLOYER,
        "issued_at_0": "2026-11-20",
        "issued_at_1": "10:00:00",
        "valid_until": "2027-02-20",
        "employer_name": "Firma Sp. z o.o.",
        "employer_nip": "5260250995",
        "employer_referral_number": "7/2026",
        **fields,
    }


def test_the_back_office_cannot_forge_a_signed_referral_nor_hide_one_behind_an_employers(admin_client: Client) -> None:
    """CLN-5: the back office types in employers' referrals only: it cannot add a "network" referral naming a
    clinician who never signed it, nor make an employer's referral "correct" a signed one (which hides it)."""
    signed = NetworkReferralFactory()
    add = reverse("admin:clinical_referral_add")
    base = _employer_referral_form(signed.patient_id, signed.service_id)
    forged = admin_client.post(add, base | {"source": Referral.Source.NETWORK, "issued_by": signed.issued_by_id})
    assert forged.status_code == 200  # the form refuses it
    hiding = admin_client.post(add, base | {"supersedes": signed.pk, "employer_referral_number": "8/2026"})
    assert hiding.status_code in (200, 302)
    assert Referral.objects.filter(source=Referral.Source.NETWORK).count() == 1
    assert not Referral.objects.filter(supersedes=signed).exists()
    employer = admin_client.post(add, _employer_referral_form(signed.patient_id, signed.service_id))
    assert employer.status_code == 302  # an employer's referral is still typed in
    assert Referral.objects.filter(source=Referral.Source.EMPLOYER).count() >= 1


def test_deleting_an_exam_from_the_catalogue_does_not_change_a_signed_recommendation() -> None:
    """CLN-5: the exams are part of what was signed — deleting an exam from the catalogue (one, or in bulk) does
    not take it off a signed recommendation; an exam no recommendation lists is still deleted."""
    exam = ServiceFactory(kind=Service.Kind.LAB, name="Morfologia")
    unused = ServiceFactory(kind=Service.Kind.LAB, name="Lipidogram")
    recommendation = RecommendationFactory(exams=[exam])
    with pytest.raises(ImmutableDocument), transaction.atomic():
        exam.delete()
    with pytest.raises(ImmutableDocument), transaction.atomic():
        Service.objects.filter(pk__in=[exam.pk, unused.pk]).delete()
    unused.delete()
    assert not Service.objects.filter(pk=unused.pk).exists()
    assert list(Recommendation.objects.get(pk=recommendation.pk).exams.all()) == [exam]


@pytest.mark.parametrize(
    ("kind", "dates"),
    [
        ("referral", {"valid_until": dt.date(9999, 12, 31)}),
        ("sick_leave", {"starts_on": dt.date(9999, 12, 30), "ends_on": dt.date(9999, 12, 31)}),
    ],
)
def test_documents_dated_in_year_9999_are_refused_and_nothing_is_stored(kind: str, dates: dict[str, dt.date]) -> None:
    """CLN-1, CLN-5: a referral valid until 9999 (which a validity extension would push past what a date holds,
    breaking every page that lists it) or a sick leave in 9999 is refused as a typed error; nothing is stored."""
    now = clock.at_warsaw(dt.date(2026, 11, 20), dt.time(10))
    common = {"clinician": ClinicianFactory(), "patient": PatientFactory(), "now": now}
    with pytest.raises(ValidationFailed) as refused:
        if kind == "referral":
            referral_issue(service=ServiceFactory(), **common, **dates)  # type: ignore[arg-type]
        else:
            sick_leave_issue(facility=FacilityFactory(), employer_nip="5260250995", **common, **dates)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_date"
    assert not Referral.objects.exists() and not SickLeave.objects.exists()
