"""The demo's results (CLN-3, issue 12): lab panels with out-of-range values over months, imaging reports with PDFs,
a result ordered by the demo clinician, one message in the review queue — all received through the MLLP listener."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.accounts.models import Patient
from carenet.network.models import Clinician
from carenet.results.models import InboundMessage, Observation, Result
from carenet.results.policies import out_of_range

TODAY = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


@pytest.mark.django_db
def test_the_demo_patients_have_results_received_through_the_listener() -> None:
    out = StringIO()
    call_command("seed_demo", "--small", "--reset", "--today", TODAY.isoformat(), stdout=out)
    assert "results through MLLP (12 messages: AA 11, AE 1)" in out.getvalue()
    pacjent2 = Patient.objects.get(user__username="pacjent2")
    rodzic = Patient.objects.get(user__username="rodzic")
    lekarz = Clinician.objects.get(user__username="lekarz")
    # Every result came with a message the listener acknowledged; one message waits for review.
    assert set(InboundMessage.objects.values_list("state", "ack_code")) == {("accepted", "AA"), ("review", "AE")}
    assert InboundMessage.objects.filter(state="review").count() == 1
    assert not Result.objects.exclude(message__state="accepted").exists()
    # pacjent2: a falling cholesterol over four panels, the last one ordered by the demo clinician, with its PDF.
    cholesterol = list(
        Observation.objects.filter(result__patient=pacjent2, code="2093-3")
        .order_by("result__reported_at")
        .values_list("numeric_value", flat=True)
    )
    assert len(cholesterol) == 4 and cholesterol == sorted(cholesterol, reverse=True)
    latest = Result.objects.filter(patient=pacjent2, code="57698-3").order_by("-reported_at").first()
    assert latest.ordered_by == lekarz and latest.referral is not None and latest.pdf
    flagged = [
        o
        for o in Observation.objects.filter(result__patient__in=[pacjent2, rodzic])
        if out_of_range(flag=o.abnormal_flag, value=o.numeric_value, low=o.range_low, high=o.range_high)
    ]
    assert any(o.code == "3016-3" for o in flagged) and any(o.code == "2093-3" for o in flagged)
    # Imaging reports: text and PDF.
    imaging = Result.objects.filter(kind="imaging", patient__in=[pacjent2, rodzic])
    assert imaging.count() == 2 and all(result.report_text and result.pdf for result in imaging)
    assert Result.objects.filter(patient__guardian=rodzic).exists()
    # Over several months.
    first = Result.objects.order_by("reported_at").first()
    assert (dt.datetime(2026, 3, 16, tzinfo=dt.UTC) - first.reported_at).days > 250
