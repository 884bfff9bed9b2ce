"""CLN-2 under real concurrency (PostgreSQL): two orders of the same drug at once store one request (the partial
unique constraint; the loser gets 409 ``renewal_already_pending``); clinicians deciding one request at once make
one decision (``select_for_update``; the losers get 409 ``renewal_already_decided``) — one prescription or one
SMS, never both, never two."""

from __future__ import annotations

from collections import Counter

import pytest

from carenet.accounts.selectors import actor_for_user
from carenet.clinical.models import Prescription
from carenet.core.errors import Conflict
from carenet.core.testing import run_in_threads
from carenet.messaging.models import OutboundMessage
from carenet.renewals import services
from carenet.renewals.models import RenewalRequest
from tests.cast import build_cast, with_renewals

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def codes(errors: list[BaseException]) -> Counter[str]:
    return Counter(getattr(error, "code", repr(error)) for error in errors)


def test_two_orders_of_the_same_drug_at_once_store_one() -> None:
    cast = with_renewals(build_cast())
    assert cast.renewable_drug is not None
    drug_id, patient_id = cast.renewable_drug.pk, cast.patient.pk
    patient, operator = actor_for_user(cast.user("patient")), actor_for_user(cast.user("call_centre"))

    def order(number: int) -> None:
        services.renewal_request(actor=patient if number % 2 else operator, patient_id=patient_id, drug_id=drug_id)

    errors = run_in_threads(8, order)
    assert codes(errors) == Counter({"renewal_already_pending": 7})
    assert all(isinstance(error, Conflict) for error in errors)
    assert RenewalRequest.objects.filter(drug_id=drug_id, status="pending").count() == 1


def test_clinicians_deciding_at_once_make_one_decision() -> None:
    cast = with_renewals(build_cast())
    assert cast.renewal is not None
    # The prescriber is away: his colleague at Mokotów sees the request too, and both decide at once.
    cast.clinician_with.is_active = False
    cast.clinician_with.save(update_fields=["is_active"])
    deciders = [actor_for_user(cast.user("clinician_with")), actor_for_user(cast.user("clinician_without"))]
    request_id = cast.renewal.pk
    prescriptions = Prescription.objects.count()

    def decide(number: int) -> None:
        actor = deciders[number % 2]
        if number % 4 < 2:
            services.renewal_issue(actor=actor, request_id=request_id, dose="1 x 1", quantity=1, reimbursement="100%")
        else:
            services.renewal_decline(actor=actor, request_id=request_id, reason="Wizyta kontrolna")

    errors = run_in_threads(8, decide)
    assert codes(errors) == Counter({"renewal_already_decided": 7})
    decided = RenewalRequest.objects.get(pk=request_id)
    new_prescriptions = Prescription.objects.count() - prescriptions
    declines = OutboundMessage.objects.filter(key=f"renewal-declined:renewalrequest:{request_id}").count()
    if decided.status == "issued":
        assert (new_prescriptions, declines, OutboundMessage.objects.count()) == (1, 0, 1)
    else:
        assert decided.status == "declined"
        assert (new_prescriptions, declines, OutboundMessage.objects.count()) == (0, 1, 1)
