"""The coordinators' dashboard page and its CSV (BEY-4, BEY-5): the figures of a hand-built history in Polish and
English, charts with their numbers in tables, the filters, bad input answered without a 500, the CSV for a
spreadsheet, and as many queries for a long history as for a short one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import User
from carenet.accounts.tests.factories import UserFactory
from carenet.booking.models import Appointment
from carenet.insights.tests.factories import NOW, FiguresWorld, build_figures_world

pytestmark = pytest.mark.django_db

S = Appointment.Status
PERIOD = {"period": "dates", "first_day": "2026-03-01", "last_day": "2026-03-10"}


def _at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world() -> FiguresWorld:
    w = build_figures_world()
    w.slot("cardio-waw", NOW + dt.timedelta(days=3))
    completed = w.visit("cardio-waw", _at(2), status=S.COMPLETED, booked_at=_at(1))
    w.visit("cardio-waw", _at(3), status=S.NO_SHOW, booked_at=_at(1))
    w.visit("cardio-waw", _at(4), status=S.CANCELLED, booked_at=_at(1), cancel_channel="sms")
    w.slot("cardio-waw", _at(5))
    w.rate(completed, 4, _at(2, 12))
    return w


@pytest.fixture
def coordinator() -> Client:
    client = Client()
    client.force_login(UserFactory(username="koordynatorka", role=User.Role.COORDINATOR))
    return client


def _url(name: str, language: str = "pl") -> str:
    with translation.override(language):
        return reverse(name)


def test_the_coordinator_sees_every_figure_as_a_chart_with_its_table(world: FiguresWorld, coordinator: Client) -> None:
    page = coordinator.get(_url("staff:dashboard_network"), PERIOD).content.decode()
    for key in ("waiting_now", "waiting_booked", "no_shows", "utilisation", "cancellations", "ratings", "open_cases"):
        assert f'id="figure-{key}"' in page
        assert f"figure={key}&amp;period=dates" in page  # the CSV link keeps the filters
    assert page.count('role="img"') == 7 and 'aria-labelledby="figure-no_shows-title figure-no_shows-desc"' in page
    assert "Okres: 1.03.2026 – 10.03.2026 (10 dni)." in page
    # Utilisation: 2 of 4 slots (completed, no-show; the cancelled one and a free one are not); no-shows 1 of 2.
    assert '<th scope="row">Kardiologia</th><td data-label="Oferowane terminy">4</td>' in page
    assert "50,0 %" in page and "Kardiologia · Warszawa" in page and "3,0 dni" in page
    english = coordinator.get(_url("staff:dashboard_network", "en"), PERIOD).content.decode()
    assert "Network figures" in english and "Cardiology · Warszawa" in english and "3.0 days" in english
    assert "1 of 3 bookings cancelled (33.3 %)." in english


def test_filters_narrow_the_figures_and_a_city_lists_its_facilities(world: FiguresWorld, coordinator: Client) -> None:
    page = coordinator.get(_url("staff:dashboard_network"), {**PERIOD, "city": world.krakow.pk}).content.decode()
    assert 'id="id_facility"' in page and "CareNet Kazimierz" in page and "CareNet Mokotów" not in page
    assert 'id="table-utilisation"' not in page  # nothing happened in Kraków in the period
    default = coordinator.get(_url("staff:dashboard_network")).content.decode()
    assert 'type="hidden" name="facility"' in default and "Okres:" in default  # the last 30 days
    wrong = coordinator.get(
        _url("staff:dashboard_network"), {**PERIOD, "city": world.krakow.pk, "facility": world.mokotow.pk}
    )
    assert wrong.status_code == 200 and "figure-" not in wrong.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"period": "dates", "first_day": "9999-12-31", "last_day": "9999-12-31"},
        {"period": "dates", "first_day": "2026-03-10", "last_day": "2026-03-01"},
        {"period": "dates", "first_day": "2024-01-01", "last_day": "2026-03-01"},
        {"period": "dates"},
        {"period": "365"},
        {"period": "30", "city": "1\x00"},
        {"period": "30", "city": "99999999999999999999999"},
        {"period": "30", "specialty": "😀"},
        {"period": "30", "first_day": "2026-02-30"},
    ],
)
def test_bad_input_is_answered_on_the_page_and_refused_by_the_csv(
    world: FiguresWorld, coordinator: Client, query: dict[str, str]
) -> None:
    page = coordinator.get(_url("staff:dashboard_network"), query)
    assert page.status_code == 200
    body = page.content.decode()
    assert "error-summary" in body and 'id="figure-' not in body
    csv = coordinator.get(_url("staff:dashboard_network_csv"), {**query, "figure": "no_shows"})
    assert csv.status_code == 400 and csv["Content-Type"].startswith("text/plain")


def test_csv_for_a_spreadsheet(world: FiguresWorld, coordinator: Client) -> None:
    answer = coordinator.get(_url("staff:dashboard_network_csv"), {**PERIOD, "figure": "utilisation"})
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == 'attachment; filename="carenet-utilisation-20260301-20260310.csv"'
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert text[1:].splitlines() == ["Specjalność;Oferowane terminy;Zarezerwowane terminy;Wykorzystanie (%)",
                                     "Kardiologia;4;2;50,0"]  # fmt: skip
    with translation.override("en"):
        english = coordinator.get(
            _url("staff:dashboard_network_csv", "en"), {**PERIOD, "figure": "no_shows"}
        ).content.decode("utf-8")
    assert english[1:].splitlines() == ["Specialty;Visits due;No-shows;No-show rate (%)", "Cardiology;2;1;50.0"]
    waits = coordinator.get(_url("staff:dashboard_network_csv"), {**PERIOD, "figure": "waiting_booked"})
    assert waits.content.decode("utf-8")[1:].splitlines()[1] == "Kardiologia;Warszawa;3;2,0"
    unknown = coordinator.get(_url("staff:dashboard_network_csv"), {**PERIOD, "figure": "patients"})
    assert unknown.status_code == 400


def test_the_page_asks_as_many_queries_for_a_long_history(world: FiguresWorld, coordinator: Client) -> None:
    url = _url("staff:dashboard_network")

    def grow(first: int, count: int) -> None:
        for n in range(first, first + count):
            status = (S.COMPLETED, S.NO_SHOW, S.CANCELLED)[n % 3]
            appointment = world.visit("derma-waw", _at(6, 6) + dt.timedelta(minutes=5 * n), status=status)
            if status == S.COMPLETED:
                world.rate(appointment, 1 + n % 5, _at(6, 20))

    grow(0, 10)
    coordinator.get(url, PERIOD)
    with CaptureQueriesContext(connection) as short:
        assert coordinator.get(url, PERIOD).status_code == 200
    grow(10, 90)
    with CaptureQueriesContext(connection) as long:
        assert coordinator.get(url, PERIOD).status_code == 200
    assert len(short) == len(long)


def test_a_name_a_spreadsheet_would_run_is_written_as_text(world: FiguresWorld, coordinator: Client) -> None:
    """BEY-4: a specialty named in the back office like a formula (CSV injection) reaches the CSV as inert text, as
    the roster's export does (PKG-8)."""
    specialty = world.cardiology
    specialty.name = "=1+1 Kardiologia"
    specialty.save(update_fields=["name"])
    answer = coordinator.get(_url("staff:dashboard_network_csv"), {**PERIOD, "figure": "utilisation"})
    assert answer.content.decode("utf-8")[1:].splitlines()[1] == "'=1+1 Kardiologia;4;2;50,0"


def test_the_page_says_when_today_s_figures_were_counted(world: FiguresWorld, coordinator: Client) -> None:
    """BEY-4, PERF: today's figures are read from their roll-up of a few minutes ago; the page says when it was."""
    from carenet.insights import services

    url = _url("staff:dashboard_network")
    assert "Dzisiejsze liczby" not in coordinator.get(url, PERIOD).content.decode()  # counted live
    services.roll_up_today(now=NOW - dt.timedelta(minutes=3))
    page = coordinator.get(url, PERIOD).content.decode()
    assert "Dzisiejsze liczby policzone o 10:57 (przeliczane co kilka minut)." in page  # 9:57 UTC, Warsaw time
    english = coordinator.get(_url("staff:dashboard_network", "en"), PERIOD).content.decode()
    assert "Today's figures as counted at 10:57 (recounted every few minutes)." in english
    past = {"period": "dates", "first_day": "2026-03-01", "last_day": "2026-03-09"}
    assert "Dzisiejsze liczby" not in coordinator.get(url, past).content.decode()  # today is not in the period


def test_the_page_says_when_the_coming_days_figures_were_counted(world: FiguresWorld, coordinator: Client) -> None:
    """BEY-4, PERF: a period reaching into the days ahead reads them as the hourly roll-up counted them."""
    from carenet.insights import services

    ahead = {"period": "dates", "first_day": "2026-03-01", "last_day": "2026-03-20"}
    url = _url("staff:dashboard_network")
    assert "Liczby najbliższych dni" not in coordinator.get(url, ahead).content.decode()
    services.roll_up_due(now=NOW - dt.timedelta(minutes=30))
    page = coordinator.get(url, ahead).content.decode()
    assert "Liczby najbliższych dni policzone o 10:30 (przeliczane co godzinę)." in page
    assert "Liczby najbliższych dni" not in coordinator.get(url, PERIOD).content.decode()  # the period ends today
