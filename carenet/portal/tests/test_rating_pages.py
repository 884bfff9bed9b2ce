""" "Oceń wizytę" and "Oceń nas" in the portal (FBK-1): where the button shows, the accessible form (a radio group in
words), once, and refusals as form errors that store nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.feedback.models import NetworkRating, VisitRating
from tests.cast import Cast, _slot, _visit

pytestmark = pytest.mark.django_db


def completed(cast: Cast, days: int = 2, **fields: Any) -> Appointment:
    slot = _slot(
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9)),
    )
    return _visit(cast.patient, slot, cast.consult, **({"status": Appointment.Status.COMPLETED} | fields))


def rate_url(visit: Appointment) -> str:
    return reverse("portal:visit_rate", args=[visit.pk])


def test_the_button_shows_on_the_visit_the_list_and_the_dashboard(cast: Cast) -> None:
    visit = completed(cast)
    client = cast.client("patient")
    link = f'href="{rate_url(visit)}"'
    assert link in client.get(reverse("portal:visit", args=[visit.pk])).content.decode()
    assert link in client.get(reverse("portal:visits")).content.decode()
    dashboard = client.get(reverse("portal:home")).content.decode()
    assert link in dashboard and 'id="to-rate"' in dashboard
    # The visit tomorrow has none; neither has a visit of nine days ago.
    old = completed(cast, days=9)
    assert (
        f'href="{rate_url(cast.visit)}"'
        not in client.get(reverse("portal:visit", args=[cast.visit.pk])).content.decode()
    )
    assert f'href="{rate_url(old)}"' not in client.get(reverse("portal:visits")).content.decode()


def test_the_form_is_a_radio_group_in_words_and_rates_once(cast: Cast) -> None:
    visit = completed(cast)
    client = cast.client("patient")
    page = client.get(rate_url(visit)).content.decode()
    assert "<fieldset" in page and "<legend>Jak oceniasz wizytę?" in page
    assert page.count('type="radio" name="score"') == 5
    answer = client.post(rate_url(visit), {"score": "5", "comment": "Rzeczowo i na czas."})
    assert answer.status_code == 302
    stored = VisitRating.objects.get(appointment=visit)
    assert (stored.score, stored.comment) == (5, "Rzeczowo i na czas.")
    after = client.get(rate_url(visit)).content.decode()
    assert 'id="rating-given"' in after and 'id="rating-form"' not in after
    again = client.post(rate_url(visit), {"score": "1"})
    assert again.status_code == 422
    assert "Ta wizyta jest już oceniona" in again.content.decode()
    assert VisitRating.objects.get(appointment=visit).score == 5


@pytest.mark.parametrize(
    "data",
    [{}, {"score": "6"}, {"score": "x"}, {"score": "4", "comment": "a\x00b"}, {"score": "4", "comment": "x" * 1001}],
)
def test_bad_input_is_a_form_error_and_stores_nothing(cast: Cast, data: dict[str, str]) -> None:
    visit = completed(cast)
    answer = cast.client("patient").post(rate_url(visit), data)
    assert answer.status_code == 422
    assert 'class="error-summary"' in answer.content.decode()
    assert not VisitRating.objects.exists()


def test_a_visit_not_rated_in_time_says_so(cast: Cast) -> None:
    old = completed(cast, days=9)
    page = cast.client("patient").get(rate_url(old)).content.decode()
    assert 'id="rating-closed"' in page and 'id="rating-form"' not in page
    tomorrow = cast.client("patient").get(rate_url(cast.visit)).content.decode()
    assert 'id="rating-not-yet"' in tomorrow
    assert cast.client("patient").post(rate_url(old), {"score": "4"}).status_code == 422
    assert not VisitRating.objects.exists()


def test_rate_us_once_then_the_date_of_the_next(cast: Cast) -> None:
    client = cast.client("patient")
    url = reverse("portal:rate_us")
    assert 'id="rate-us-form"' in client.get(url).content.decode()
    assert client.post(url, {"score": "4", "comment": "Wygodne zapisy."}).status_code == 302
    page = client.get(url).content.decode()
    assert 'id="rated-recently"' in page and 'id="rate-us-form"' not in page
    assert client.post(url, {"score": "1"}).status_code == 422
    assert list(NetworkRating.objects.values_list("score", flat=True)) == [4]


def test_the_footer_links_rate_us_for_patients_only(cast: Cast) -> None:
    link = f'href="{reverse("portal:rate_us")}"'
    assert link in cast.client("patient").get(reverse("portal:facilities")).content.decode()
    assert link not in cast.client("anonymous").get(reverse("portal:facilities")).content.decode()
    assert link not in cast.client("coordinator").get(reverse("staff:dashboard")).content.decode()
