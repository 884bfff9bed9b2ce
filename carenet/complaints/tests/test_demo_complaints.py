"""Complaints and claims in the demo (FBK-2, FBK-3): cases in every state, some of pacjent2's, with documents."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.complaints.models import Claim, ClaimAttachment, Complaint
from carenet.core import clock

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_demo_has_complaints_and_claims_in_every_state() -> None:
    call_command("seed_demo", "--small", "--reset", "--today", dt.date(2026, 3, 16).isoformat(), stdout=StringIO())
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Complaint.Status.values)
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)
    today = clock.local(Complaint.objects.order_by("-filed_at").first().filed_at).date()  # type: ignore[union-attr]
    open_ = Complaint.objects.exclude(status=Complaint.Status.ANSWERED)
    assert open_.filter(answer_due_on__lt=today).exists()  # overdue
    assert open_.filter(answer_due_on__gte=today, answer_due_on__lte=today + dt.timedelta(days=5)).exists()
    mine = Complaint.objects.filter(patient__user__username="pacjent2")
    assert {row.status for row in mine} == {"answered", "in_progress"}
    assert {row.status for row in Claim.objects.filter(patient__user__username="pacjent2")} == {"accepted", "submitted"}
    assert all(claim.attachments.exists() for claim in Claim.objects.all())
    for row in ClaimAttachment.objects.all():
        assert row.stored.read()[:4] in (b"\xff\xd8\xff\xe0", b"%PDF")
        row.stored.close()
    assert Complaint.objects.filter(channel="call_centre").count() == 3
