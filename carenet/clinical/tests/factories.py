"""Factories for clinical documents (CLN-1, CLN-5): rows as a clinician would have issued and signed them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from carenet.api.tests.factories import PatientFactory
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, SickLeave
from carenet.network.tests.factories import ClinicianFactory, FacilityFactory, ServiceFactory

ISSUED_AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


class DrugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Drug
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:08d}")
    name = factory.Sequence(lambda n: f"Lekarstwo {n}")
    substance = "ibuprofenum"
    form = "tabletki powlekane"
    strength = "200 mg"
    pack = "20 tabl."


class _Document(factory.django.DjangoModelFactory):
    patient = factory.SubFactory(PatientFactory)
    issued_by = factory.SubFactory(ClinicianFactory)
    facility = factory.SubFactory(FacilityFactory)
    issued_at = ISSUED_AT
    national_id = factory.Sequence(lambda n: f"LOCAL-{n:012d}")


class PrescriptionFactory(_Document):
    class Meta:
        model = Prescription

    drug = factory.SubFactory(DrugFactory)
    dose = "1 tabletka 2 razy dziennie"
    quantity = 1
    access_code = factory.Sequence(lambda n: f"{n % 10000:04d}")
    valid_until = dt.date(2026, 12, 20)


class SickLeaveFactory(_Document):
    class Meta:
        model = SickLeave

    starts_on = dt.date(2026, 11, 20)
    ends_on = dt.date(2026, 11, 27)
    employer_nip = "5260250995"


class RecommendationFactory(_Document):
    class Meta:
        model = Recommendation
        skip_postgeneration_save = True  # a signed recommendation is never saved again (CLN-5)

    text = "Dużo pić, odpoczywać; kontrola za tydzień."

    @factory.post_generation
    def exams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """``RecommendationFactory(exams=[...])``: the exams are signed with the recommendation, so they are set
        as it is issued (CLN-5) — ``recommendation.exams.add()`` afterwards is refused."""
        if create and extracted:
            self.signing = True  # type: ignore[attr-defined]
            try:
                self.exams.set(extracted)  # type: ignore[attr-defined]
            finally:
                del self.signing  # type: ignore[attr-defined]


class NetworkReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    service = factory.SubFactory(ServiceFactory, requires_referral=True)
    issued_by = factory.SubFactory(ClinicianFactory)
    facility = factory.SubFactory(FacilityFactory)
    source = Referral.Source.NETWORK
    issued_at = ISSUED_AT
    valid_until = dt.date(2027, 2, 20)
    national_id = factory.Sequence(lambda n: f"LOCAL-R-{n:010d}")
    access_code = factory.Sequence(lambda n: f"{(n * 7) % 10000:04d}")
