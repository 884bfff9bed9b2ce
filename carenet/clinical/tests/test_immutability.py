"""CLN-5: a signed document never changes — not by save(), not by a bulk update, not by a delete; a correction is
a new version and both are kept. A network referral's booking and validity still change (BKG-4, CLN-1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from carenet.booking.tests.factories import AppointmentFactory, build_world
from carenet.clinical.models import (
    ImmutableDocument,
    Prescription,
    Recommendation,
    Referral,
    ReferralValidityExtension,
    SickLeave,
)
from carenet.clinical.services import recommendation_issue
from carenet.clinical.tests.factories import (
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)

pytestmark = pytest.mark.django_db

DOCUMENTS = [
    (PrescriptionFactory, Prescription, "dose", "3 razy dziennie"),
    (SickLeaveFactory, SickLeave, "ends_on", dt.date(2026, 12, 31)),
    (RecommendationFactory, Recommendation, "text", "Inne zalecenia"),
]


@pytest.mark.parametrize(("factory", "model", "field", "value"), DOCUMENTS)
def test_a_signed_document_cannot_be_saved_again(factory, model, field, value) -> None:  # type: ignore[no-untyped-def]
    document = factory()
    before = getattr(document, field)
    setattr(document, field, value)
    with pytest.raises(ImmutableDocument) as refused:
        document.save()
    assert refused.value.code == "document_signed"
    with pytest.raises(ImmutableDocument):
        document.save(update_fields=[field])
    copy = model.objects.get(pk=document.pk)
    copy.pk = document.pk
    with pytest.raises(ImmutableDocument):
        model(pk=document.pk, **{field: value}).save()
    assert getattr(model.objects.get(pk=document.pk), field) == before


@pytest.mark.parametrize(("factory", "model", "field", "value"), DOCUMENTS)
def test_bulk_updates_and_deletes_of_signed_documents_are_refused(factory, model, field, value) -> None:  # type: ignore[no-untyped-def]
    document = factory()
    with pytest.raises(ImmutableDocument):
        model.objects.filter(pk=document.pk).update(**{field: value})
    with pytest.raises(ImmutableDocument):
        model.objects.bulk_update([document], [field])
    with pytest.raises(ImmutableDocument):
        model.objects.filter(pk=document.pk).delete()
    with pytest.raises(ImmutableDocument):
        document.delete()
    assert model.objects.filter(pk=document.pk).exists()


def test_the_exams_of_a_signed_recommendation_cannot_change() -> None:
    from carenet.network.tests.factories import ServiceFactory

    kept, other = ServiceFactory(), ServiceFactory()
    original = RecommendationFactory()
    recommendation = recommendation_issue(
        clinician=original.issued_by, patient=original.patient, facility=original.facility, text="Badania", exams=[kept]
    )
    for change in (
        lambda: recommendation.exams.add(other),
        lambda: recommendation.exams.remove(kept),
        lambda: recommendation.exams.clear(),
        lambda: recommendation.exams.set([other]),
    ):
        with pytest.raises(ImmutableDocument), transaction.atomic():
            change()
    assert list(Recommendation.objects.get(pk=recommendation.pk).exams.all()) == [kept]


def test_a_correction_keeps_both_versions() -> None:
    original = RecommendationFactory()
    correction = recommendation_issue(
        clinician=original.issued_by,
        patient=original.patient,
        facility=original.facility,
        text="Poprawione zalecenia",
        supersedes=original,
    )
    assert set(Recommendation.objects.values_list("text", flat=True)) == {original.text, "Poprawione zalecenia"}
    assert Recommendation.objects.get(pk=original.pk).superseded_by == correction


def test_a_network_referrals_clinical_fields_cannot_change() -> None:
    referral = NetworkReferralFactory(note="")
    referral.note = "dopisek"
    with pytest.raises(ImmutableDocument):
        referral.save()
    with pytest.raises(ImmutableDocument):
        Referral.objects.filter(pk=referral.pk).update(note="dopisek")
    with pytest.raises(ImmutableDocument):
        Referral.objects.filter(pk=referral.pk).delete()
    with pytest.raises(ImmutableDocument):
        referral.delete()
    assert Referral.objects.get(pk=referral.pk).note == ""


def test_booking_and_the_validity_extension_still_change_a_network_referral(django_user_model) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    referral = NetworkReferralFactory(patient=world.patient, service=world.lab)
    appointment = AppointmentFactory(patient=world.patient, slot=world.slot(), service=world.lab)
    assert Referral.objects.filter(pk=referral.pk).update(used_by=appointment) == 1
    Referral.objects.filter(pk=referral.pk).update(used_by=None)
    referral.refresh_from_db()
    referral.valid_until = dt.date(2027, 8, 20)
    referral.save()  # nothing clinical changed
    extension = ReferralValidityExtension.objects.create(
        issued_from=dt.date(2026, 1, 1),
        issued_until=dt.date(2026, 12, 31),
        months=6,
        reason="test",
        extended_by=django_user_model.objects.create(username="admin-x"),
        extended_at=referral.issued_at,
    )
    referral.extended_by = extension
    referral.save(update_fields=["extended_by"])
    referral.refresh_from_db()
    assert (referral.valid_until, referral.extended_by) == (dt.date(2027, 8, 20), extension)


def test_an_employers_referral_stays_editable() -> None:
    referral = NetworkReferralFactory(
        source=Referral.Source.EMPLOYER, issued_by=None, employer_name="ACME", employer_referral_number="1/2026"
    )
    referral.employer_referral_number = "2/2026"
    referral.save()
    Referral.objects.filter(pk=referral.pk).update(employer_name="ACME sp. z o.o.")
    referral.delete()
    assert not Referral.objects.exists()
