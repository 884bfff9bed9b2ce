"""Pregnancy care factories (BKG-7): a pregnancy service of the coverage matrix, where a pregnancy is led, a
request for pregnancy care elsewhere."""

from __future__ import annotations

import datetime as dt

import factory

from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core import clock
from carenet.coverage.models import Tier
from carenet.coverage.selectors import PREGNANCY_BENEFIT_GROUP
from carenet.coverage.tests.factories import BenefitFactory, BenefitItemFactory
from carenet.network.models import Clinician, Facility, Service
from carenet.network.tests.factories import CityFactory, FacilityFactory, ServiceFactory, SpecialtyFactory
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.scheduling.models import Mode, Slot
from carenet.scheduling.tests.factories import ScheduleFactory


def pregnancy_service(*tiers: Tier) -> Service:
    """The pregnancy-care visit of the catalogue, covered by the matrix's pregnancy-care benefit in ``tiers``."""
    specialty = SpecialtyFactory(code="ginekologia-ciaza", name="Ginekologia")
    service = ServiceFactory(
        code="prowadzenie-ciazy", name="Prowadzenie ciąży – wizyta u ginekologa", specialty=specialty
    )
    benefit = BenefitFactory(group=PREGNANCY_BENEFIT_GROUP, code="pregnancy-care", tiers=list(tiers))
    BenefitItemFactory(benefit=benefit, service=service)
    return service


def slot_for(
    *,
    service: Service,
    clinician: Clinician,
    facility: Facility | None,
    starts_at: dt.datetime | None = None,
    mode: str = Mode.IN_PERSON,
) -> Slot:
    """A free slot of ``service`` with ``clinician`` (remote when ``mode`` is phone or video)."""
    starts_at = starts_at or clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(9))
    schedule = ScheduleFactory(
        clinician=clinician,
        facility=facility,
        mode=mode,
        specialty=service.specialty,
        valid_from=starts_at.date() - dt.timedelta(days=1),
        valid_until=starts_at.date() + dt.timedelta(days=1),
    )
    schedule.services.set([service])
    clinician.specialties.add(service.specialty)
    if facility is not None:
        clinician.facilities.add(facility)
    return Slot.objects.create(
        schedule=schedule,
        clinician=clinician,
        facility=facility,
        city=facility.city if facility is not None else None,
        specialty=service.specialty,
        mode=mode,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )


class PregnancyCareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PregnancyCare

    patient = factory.SubFactory(PatientFactory)
    facility = factory.SubFactory(FacilityFactory)
    clinician = None
    started_on = factory.LazyFunction(lambda: clock.today() - dt.timedelta(days=60))
    ended_on = None
    recorded_by = factory.SubFactory(UserFactory, username="lekarz-prowadzacy", role="clinician")


class PregnancyRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PregnancyRequest

    patient = factory.SubFactory(PatientFactory)
    name = factory.LazyAttribute(lambda request: f"{request.patient.first_name} {request.patient.last_name}")
    phone = "+48601234567"
    wanted_city = factory.SubFactory(CityFactory)
    mode = PregnancyRequest.Mode.IN_PERSON
    channel = "portal"
    filed_by = factory.LazyAttribute(lambda request: request.patient.user)
