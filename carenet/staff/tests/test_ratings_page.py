"""The coordinators' ratings page (FBK-1): averages per facility and specialty over a period, computed by the
database (the same queries for 2 or 40 ratings), the latest comments and the consultation survey — no patient
named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.consultations.models import SurveyAnswer
from carenet.core import clock
from carenet.feedback.models import NetworkRating, VisitRating
from tests.cast import Cast, _slot, _visit, with_consultation

pytestmark = pytest.mark.django_db
URL = reverse("staff:ratings")


def rated(cast: Cast, facility, score: int, comment: str = "", days: int = 2) -> VisitRating:
    patient = PatientFactory(last_name="Tajemnicza")
    slot = _slot(
        clinician=cast.clinician_with,
        facility=facility,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(8))
        + dt.timedelta(minutes=VisitRating.objects.count() * 15),
    )
    visit = _visit(patient, slot, cast.consult, status=Appointment.Status.COMPLETED)
    rating = VisitRating.objects.create(appointment=visit, patient=patient, score=score, comment=comment)
    VisitRating.objects.filter(pk=rating.pk).update(created_at=slot.ends_at)  # rated right after the visit
    return rating


def test_the_averages_the_comments_and_no_names(cast: Cast) -> None:
    rated(cast, cast.here, 5, "Pani doktor wszystko wyjaśniła.")
    rated(cast, cast.here, 2)
    rated(cast, cast.elsewhere, 4)
    NetworkRating.objects.create(patient=cast.patient, score=3, comment="Infolinia długo nie odbiera.")
    with_consultation(cast)
    SurveyAnswer.objects.create(
        consultation=cast.consultation,
        rating=5,
        resolved="yes",
        comment="Szybka pomoc.",
        answered_by=cast.patient.user,
        answered_at=clock.now(),
    )
    answer = cast.client("coordinator").get(URL)
    assert answer.status_code == 200
    summary = answer.context["summary"]
    assert (summary.visits.count, summary.visits.average) == (3, 3.67)
    assert {(row.name, row.count, row.average) for row in summary.by_facility} == {
        (cast.here.name, 2, 3.5),
        (cast.elsewhere.name, 1, 4.0),
    }
    assert [(row.count, row.average) for row in summary.by_specialty] == [(3, 3.67)]
    html = answer.content.decode()
    for text in ("Pani doktor wszystko wyjaśniła.", "Infolinia długo nie odbiera.", "Szybka pomoc."):
        assert text in html
    assert "Tajemnicza" not in html and cast.patient.last_name not in html


def test_the_period_filters_and_a_bad_period_is_refused(cast: Cast) -> None:
    rated(cast, cast.here, 5, days=40)
    client = cast.client("coordinator")
    assert client.get(URL).context["summary"].visits.count == 0
    today = clock.today()
    wide = {"since": (today - dt.timedelta(days=60)).isoformat(), "until": today.isoformat()}
    assert client.get(URL, wide).context["summary"].visits.count == 1
    for bad in (
        {"since": today.isoformat(), "until": (today - dt.timedelta(days=1)).isoformat()},
        {"since": "9999-99-99", "until": "x"},
        {"since": "0001-01-01", "until": today.isoformat()},
    ):
        assert client.get(URL, bad).status_code == 422


def test_the_page_costs_the_same_queries_with_few_or_many_ratings(cast: Cast) -> None:
    client = cast.client("coordinator")
    rated(cast, cast.here, 5, "Dobrze.")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for index in range(30):
        rated(cast, cast.elsewhere if index % 2 else cast.here, 1 + index % 5, f"Komentarz {index}")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)
