"""Pregnancy care in the demo (BKG-7): a patient whose pregnancy is led at one centre and who is refused a pregnancy
visit at another, and the coordinators' queue with open and resolved requests."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.booking.offers import offers_bookability, offers_for
from carenet.booking.policies import RefusalCode
from carenet.core import clock
from carenet.coverage.selectors import pregnancy_service_ids
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.scheduling.models import Mode, Slot

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_demo_leads_a_pregnancy_and_fills_the_queue() -> None:
    today = dt.date(2026, 3, 16)
    call_command("seed_demo", "--small", "--reset", "--today", today.isoformat(), stdout=StringIO())
    care = PregnancyCare.objects.select_related("patient").order_by("pk").first()
    assert care is not None and care.ended_on is None and care.patient.user is not None
    statuses = set(PregnancyRequest.objects.values_list("status", flat=True))
    assert {"open", "declined"} <= statuses
    # Her portal search explains, before the click, that a pregnancy visit elsewhere is booked where it is led.
    now = clock.at_warsaw(today, dt.time(8))
    slots = list(
        Slot.objects.filter(
            is_free=True, mode=Mode.IN_PERSON, starts_at__gt=now, schedule__services__in=pregnancy_service_ids()
        )
        .exclude(facility_id=care.facility_id)
        .distinct()[:3]
    )
    assert slots
    assert slots[0].schedule is not None
    visit = slots[0].schedule.services.get(pk__in=pregnancy_service_ids())
    offers = offers_for(patient=care.patient, slots=slots, now=now, service=visit)
    answers = offers_bookability(patient=care.patient, offers=offers, channel="portal", now=now)
    assert all(answer.refusal is not None for answer in answers)
    assert RefusalCode.PREGNANCY_CARE_ELSEWHERE in {answer.refusal.code for answer in answers if answer.refusal}
