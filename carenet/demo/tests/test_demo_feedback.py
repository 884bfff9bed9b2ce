"""Feedback in the demo (FBK-1, SMS-1): ratings with comments over the last weeks, ratings of the network, the
survey's invitations (the sample the rules choose, by SMS through the outbox) and a visit of pacjent2 still to rate."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.core import clock
from carenet.feedback import selectors
from carenet.feedback.models import NetworkRating, SurveyInvitation, VisitRating
from carenet.messaging.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_demo_has_ratings_invitations_and_a_visit_to_rate() -> None:
    today = dt.date(2026, 3, 18)
    call_command("seed_demo", "--small", "--reset", "--today", today.isoformat(), stdout=StringIO())
    now = clock.at_warsaw(today, dt.time(12))
    assert VisitRating.objects.count() >= 20
    assert VisitRating.objects.exclude(comment="").count() >= 5
    assert NetworkRating.objects.exclude(comment="").exists()
    summary = selectors.ratings_summary(since=today - dt.timedelta(days=29), until=today)
    assert summary.visits.count > 0 and summary.by_facility and summary.visit_comments
    invitations = SurveyInvitation.objects.count()
    assert invitations > 0
    assert OutboundMessage.objects.filter(purpose="survey-invitation").count() == invitations
    # Never the same patient twice in the period.
    assert SurveyInvitation.objects.values("patient").distinct().count() == invitations
    from carenet.accounts.models import Patient

    pacjent2 = Patient.objects.get(user__username="pacjent2")
    assert selectors.ratable_visits(patient_ids=[pacjent2.pk], now=now)
