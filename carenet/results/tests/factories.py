"""Factories for results (CLN-3): messages as the MLLP listener stores them, results, observations, authorisations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from carenet.accounts.models import User
from carenet.api.tests.factories import PatientFactory, UserFactory
from carenet.network.tests.factories import FacilityFactory
from carenet.results.models import CollectionAuthorisation, InboundMessage, Observation, Result

REPORTED_AT = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)


class InboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundMessage

    sender = "LAB^ALAB-WAW"
    control_id = factory.Sequence(lambda n: f"MSG{n:08d}")
    message_type = "ORU^R01"
    received_at = REPORTED_AT
    raw = factory.LazyAttribute(
        lambda o: f"MSH|^~\\&|LAB|ALAB-WAW|CARENET|CARENET|20261120120000||ORU^R01|{o.control_id}|P|2.5"
    )
    state = InboundMessage.State.ACCEPTED
    ack_code = InboundMessage.Ack.ACCEPT


class ResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Result

    patient = factory.SubFactory(PatientFactory)
    message = factory.SubFactory(InboundMessageFactory)
    kind = Result.Kind.LABORATORY
    performed_by = "Laboratorium ALAB Warszawa"
    code = "MORF"
    name = "Morfologia krwi"
    status = Result.Status.FINAL
    collected_at = REPORTED_AT - dt.timedelta(hours=3)
    reported_at = REPORTED_AT
    received_at = REPORTED_AT


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    result = factory.SubFactory(ResultFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    code = "718-7"
    coding_system = "LN"
    name = "Hemoglobina"
    value = "13.5"
    numeric_value = Decimal("13.5")
    unit = "g/dl"
    reference_range = "12.0-16.0"
    range_low = Decimal("12.0")
    range_high = Decimal("16.0")
    abnormal_flag = ""


class CollectionAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionAuthorisation

    patient = factory.SubFactory(PatientFactory)
    full_name = "Anna Kowalska"
    pesel = "85010112345"
    scope = CollectionAuthorisation.Scope.ALL
    valid_until = dt.date(2027, 12, 31)
    facility = factory.SubFactory(FacilityFactory)
    recorded_by = factory.SubFactory(
        UserFactory, role=User.Role.RECEPTIONIST, facility=factory.SelfAttribute("..facility")
    )
    recorded_at = REPORTED_AT


def valid_pesel(n: int) -> str:
    """A PESEL that passes its check digit (born 17 May 1985), unlike PatientFactory's: the listener matches only
    valid ones."""
    from stdnum.pl import pesel

    body = f"850517{n % 10000:04d}"
    return body + pesel.calc_check_digit(body)


class ResultPatientFactory(PatientFactory):
    """A patient a laboratory's message can name (a valid PESEL)."""

    pesel = factory.Sequence(lambda n: valid_pesel(n + 1))
