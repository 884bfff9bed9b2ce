from __future__ import annotations

import datetime as dt

import factory

from carenet.accounts.tests.factories import PatientFactory
from carenet.coverage.models import Benefit, BenefitItem, Contract, Enrolment, Rule, Tier


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"tier-{n}")
    name = factory.Sequence(lambda n: f"Pakiet {n}")
    name_en = factory.Sequence(lambda n: f"Package {n}")
    rank = factory.Sequence(lambda n: 100 + n)


class BenefitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benefit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"benefit-{n}")
    group = "test"
    title = factory.Sequence(lambda n: f"Świadczenie {n}")
    text = "—"

    @factory.post_generation
    def tiers(self, create: bool, extracted: list[Tier] | None, **kwargs: object) -> None:
        if create and extracted:
            self.tiers.add(*extracted)


class BenefitItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BenefitItem

    benefit = factory.SubFactory(BenefitFactory)
    rule = Rule.COVERED


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    code = factory.Sequence(lambda n: f"contract-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    kind = Contract.Kind.EMPLOYER
    client_name = "Pracodawca Sp. z o.o."
    starts_on = dt.date(2025, 1, 1)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    patient = factory.SubFactory(PatientFactory)
    contract = factory.SubFactory(ContractFactory)
    tier = factory.SubFactory(TierFactory)
    activated_on = dt.date(2026, 1, 1)
    # In force whenever the suite runs (a fixed last paid day would end every default package on that day and turn
    # the cast's patients away from the portal from the next).
    paid_through = dt.date(2099, 12, 31)
    ecard_number = factory.Sequence(lambda n: f"EK{n:010d}")
