"""BKG-7 under real concurrency (PostgreSQL): coordinators resolving the same request at the same moment decide it
once and the patient gets one SMS; a patient sending the request form twice at once files one request."""

from __future__ import annotations

import pytest

from carenet.accounts.models import User
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core.testing import run_in_threads
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import CityFactory
from carenet.pregnancy import services
from carenet.pregnancy.models import PregnancyRequest
from carenet.pregnancy.tests.factories import PregnancyRequestFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_resolutions_decide_once_and_text_once() -> None:
    request = PregnancyRequestFactory()
    coordinators = [UserFactory(role=User.Role.COORDINATOR) for _ in range(6)]

    def decline(number: int) -> None:
        services.pregnancy_request_decline(
            actor=actor_for_user(coordinators[number]), request_id=request.pk, reason=f"Powód {number}"
        )

    refusals = run_in_threads(6, decline)
    assert PregnancyRequest.objects.get(pk=request.pk).status == PregnancyRequest.Status.DECLINED
    assert [getattr(refusal, "code", repr(refusal)) for refusal in refusals] == ["pregnancy_request_resolved"] * 5
    assert OutboundMessage.objects.filter(purpose="pregnancy_request_resolved").count() == 1


def test_simultaneous_forms_file_one_request() -> None:
    patient = PatientFactory()
    city = CityFactory()

    def file(number: int) -> None:
        services.pregnancy_request_file(
            actor=actor_for_user(patient.user),
            patient_id=patient.pk,
            form=services.RequestForm(
                name="Anna Nowak", phone="601234567", wanted_city_id=city.pk, mode="in_person", note=str(number)
            ),
        )

    refusals = run_in_threads(6, file)
    assert PregnancyRequest.objects.filter(patient=patient).count() == 1
    assert [getattr(refusal, "code", repr(refusal)) for refusal in refusals] == ["pregnancy_request_already_open"] * 5
