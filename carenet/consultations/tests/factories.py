"""Factories of online consultations (TEL-2): lines, duties, consultations, and a small network with the four
lines of TEL-2 whose services the booking world's package covers. Consultations in tests are started and taken
through the services; :class:`ConsultationFactory` makes history (ended consultations) and fixtures for the doors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import factory

from carenet.accounts.models import Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.booking.tests.factories import NOW, World, build_world
from carenet.consultations.models import Consultation, Duty, Line
from carenet.coverage.tests.factories import BenefitFactory, BenefitItemFactory
from carenet.network.models import Clinician
from carenet.network.tests.factories import ClinicianFactory, ServiceFactory, SpecialtyFactory

__all__ = [
    "NOW",
    "ConsultationFactory",
    "ConsultationWorld",
    "DutyFactory",
    "LineFactory",
    "build_consultation_world",
    "clinician_user",
]


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Line
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"Linia {n}")
    name_en = factory.Sequence(lambda n: f"Line {n}")
    specialty = factory.SubFactory(SpecialtyFactory)
    service = factory.SubFactory(ServiceFactory, specialty=factory.SelfAttribute("..specialty"))
    min_age = None
    below_age = None
    minutes = 12
    order = factory.Sequence(lambda n: n)
    is_active = True


class DutyFactory(factory.django.DjangoModelFactory):
    """A duty running around :data:`NOW` (two hours before until six hours after)."""

    class Meta:
        model = Duty

    clinician = factory.SubFactory(ClinicianFactory)
    line = factory.SubFactory(LineFactory)
    starts_at = factory.LazyFunction(lambda: NOW - dt.timedelta(hours=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=8))


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A stored consultation (waiting by default); an ended one needs its ``clinician``/``appointment`` or use the
    services."""

    class Meta:
        model = Consultation

    kind = Consultation.Kind.ON_DEMAND
    line = factory.SubFactory(LineFactory)
    patient = factory.SubFactory(PatientFactory)
    requested_by = factory.LazyAttribute(lambda o: o.patient.user)
    mode = Consultation.Mode.VIDEO
    channel = "portal"
    status = Consultation.Status.WAITING
    queued_at = factory.LazyFunction(lambda: NOW)


def clinician_user(clinician: Clinician | None = None, **fields: Any) -> User:
    """A clinician's login (role clinician) linked to ``clinician`` (a new one by default)."""
    clinician = clinician or ClinicianFactory(**fields)
    user = UserFactory(username=f"clinician-{clinician.pk}", role=User.Role.CLINICIAN)
    clinician.user = user
    clinician.save(update_fields=["user"])
    return user


@dataclass
class ConsultationWorld:
    """The booking world (a package covering internal medicine) plus the four lines of TEL-2."""

    world: World
    internal: Line  # internal/family medicine, 18+
    paediatrics: Line  # under 18, started by the guardian
    nursing: Line  # paediatric nursing, under 18
    midwifery: Line  # no bound

    @property
    def patient(self) -> Patient:
        return self.world.patient

    def adult(self, **fields: Any) -> Patient:
        """An enrolled adult patient at level II."""
        return self.world.enrol(**fields)

    def child_of(self, guardian: Patient, *, birth_date: dt.date = dt.date(2018, 5, 5)) -> Patient:
        child = PatientFactory(child=True, guardian=guardian, birth_date=birth_date)
        return self.world.enrol(child)

    def on_duty(self, *lines: Line, clinician: Clinician | None = None, **fields: Any) -> User:
        """A clinician (new by default) on duty now for ``lines`` (the internal line by default); their login."""
        user = clinician_user(clinician)
        assert user.clinician is not None
        for line in lines or (self.internal,):
            DutyFactory(clinician=user.clinician, line=line, **fields)
        return user


def build_consultation_world() -> ConsultationWorld:
    world = build_world()
    paediatrics = SpecialtyFactory(code="pediatria", name="Pediatria", name_en="Paediatrics")
    nursing = SpecialtyFactory(code="pielegniarstwo-pediatryczne", name="Pielęgniarstwo pediatryczne")
    midwifery = SpecialtyFactory(code="poloznictwo", name="Położna")
    benefit = BenefitFactory(tiers=[world.tier])
    for specialty in (paediatrics, nursing, midwifery):
        BenefitItemFactory(benefit=benefit, specialty=specialty)
    return ConsultationWorld(
        world=world,
        internal=LineFactory(
            code="interna",
            name="Internista",
            name_en="Internal medicine",
            specialty=world.specialty,
            service=world.consult,
            min_age=18,
            order=1,
        ),
        paediatrics=LineFactory(
            code="pediatria",
            name="Pediatra",
            name_en="Paediatrician",
            specialty=paediatrics,
            service=ServiceFactory(code="konsultacja-pediatria", specialty=paediatrics),
            below_age=18,
            order=2,
        ),
        nursing=LineFactory(
            code="pielegniarka-pediatryczna",
            name="Pielęgniarka pediatryczna",
            name_en="Paediatric nurse",
            specialty=nursing,
            service=ServiceFactory(code="porada-pielegniarska", specialty=nursing),
            below_age=18,
            order=3,
        ),
        midwifery=LineFactory(
            code="polozna",
            name="Położna",
            name_en="Midwife",
            specialty=midwifery,
            service=ServiceFactory(code="porada-poloznej", specialty=midwifery),
            order=4,
        ),
    )
