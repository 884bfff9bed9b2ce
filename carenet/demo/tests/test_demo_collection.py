"""The demo's authorisations to collect results (CLN-3): pacjent2's spouse may collect everything, an earlier
authorisation is revoked; both recorded at recepcja1's centre, each with its SMS to the patient."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts.models import User
from carenet.api.tests.factories import PatientFactory, UserFactory
from carenet.core import clock
from carenet.demo.collection import demo_authorisations
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import FacilityFactory
from carenet.results import authorisations
from carenet.results.models import CollectionAuthorisation


@pytest.mark.django_db
def test_the_demo_patient_has_an_active_and_a_revoked_authorisation() -> None:
    centre = FacilityFactory(name="CareNet Centrum Medyczne Kraków")
    UserFactory(username="recepcja1", role=User.Role.RECEPTIONIST, facility=centre)
    patient = PatientFactory(user=UserFactory(username="pacjent2"), sex="F", last_name="Wójcik")
    now = clock.now()
    assert demo_authorisations(now) == {"authorisations to collect results": 2}
    active = CollectionAuthorisation.objects.get(patient=patient, revoked_at__isnull=True)
    revoked = CollectionAuthorisation.objects.get(patient=patient, revoked_at__isnull=False)
    assert (active.full_name, active.scope, active.valid_until, active.revoked_at) == (
        "Marek Wójcik",
        "all",
        None,
        None,
    )
    assert revoked.revoked_at is not None and revoked.revoked_by_id == patient.user_id and revoked.scope == "lab"
    assert {item.facility_id for item in (active, revoked)} == {centre.pk}
    today = clock.today()
    assert authorisations.authorisation_check(patient=patient, pesel=active.pesel, on=today).authorised
    assert not authorisations.authorisation_check(patient=patient, pesel=revoked.pesel, on=today).authorised
    assert OutboundMessage.objects.filter(purpose="collection-authorisation-recorded", patient=patient).count() == 2
    assert active.recorded_at == now - dt.timedelta(days=30)


@pytest.mark.django_db
def test_without_the_named_accounts_the_demo_records_nothing() -> None:
    assert demo_authorisations(clock.now()) == {"authorisations to collect results": 0}
    assert not CollectionAuthorisation.objects.exists()
