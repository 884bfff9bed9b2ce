"""BKG-4, CLN-5: a corrected referral is replaced by its correction — only the current version books a visit, so
one referral never books two visits (review of issue 11)."""

from __future__ import annotations

import pytest

from carenet.booking.models import Appointment
from carenet.clinical.models import Referral
from carenet.clinical.services import referral_issue

from .factories import NOW, World
from .test_services import book, refused

pytestmark = pytest.mark.django_db


def test_the_version_a_correction_replaced_books_nothing(world: World) -> None:
    first = referral_issue(clinician=world.clinician, patient=world.patient, service=world.lab, now=NOW)
    correction = referral_issue(
        clinician=world.clinician, patient=world.patient, service=world.lab, supersedes=first, note="poprawka", now=NOW
    )
    refused("referral_required", world, world.slot(services=[world.lab]), service_id=world.lab.pk, referral_id=first.pk)
    assert Referral.objects.get(pk=first.pk).used_by_id is None
    booked = book(world, world.slot(services=[world.lab]), service_id=world.lab.pk, referral_id=correction.pk)
    assert booked.status == Appointment.Status.BOOKED
    assert Referral.objects.get(pk=correction.pk).used_by_id == booked.pk
