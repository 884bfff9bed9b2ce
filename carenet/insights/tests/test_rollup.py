"""The daily roll-up (BEY-4, PERF): the dashboard's figures read from the roll-up for whole past days and live for
the rest EQUAL the all-live computation (the reference: ``rollup=False``), on SQLite and PostgreSQL; rolling up is
idempotent; a late change to a past day is picked up by the periodic re-roll; the query count stays flat."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.booking.models import Appointment
from carenet.core import periodic
from carenet.insights import selectors, services
from carenet.insights.models import DailyFigures, RolledDay
from carenet.insights.policies import Period
from carenet.insights.selectors import Filters
from carenet.insights.tests.factories import NOW, PERIOD, TODAY, FiguresWorld
from carenet.insights.tests.test_selectors import _grow, world  # noqa: F401 - the hand-built history

pytestmark = pytest.mark.django_db
S = Appointment.Status


def _figures(filters: Filters, *, rollup: bool) -> dict[str, Any]:
    return {
        "waiting of bookings": selectors.waiting_booked(filters=filters, today=TODAY, rollup=rollup),
        "no-shows": selectors.no_shows(filters=filters, now=NOW, rollup=rollup),
        "utilisation": selectors.utilisation(filters=filters, today=TODAY, rollup=rollup),
        "cancellations": selectors.cancellations(filters=filters, today=TODAY, rollup=rollup),
        "ratings": selectors.ratings(filters=filters, today=TODAY, rollup=rollup),
    }


def _shapes(w: FiguresWorld) -> list[Filters]:
    longer = Period(dt.date(2026, 2, 1), dt.date(2026, 3, 20))  # reaches past the roll-up and into the days ahead
    return [
        Filters(period=period, **place)
        for period in (PERIOD, longer)
        for place in (
            {},
            {"city_id": w.warsaw.pk},
            {"city_id": w.krakow.pk, "specialty_id": w.cardiology.pk},
            {"specialty_id": w.dermatology.pk},
            {"facility_id": w.mokotow.pk},
        )
    ]


def _rows() -> list[tuple[Any, ...]]:
    return sorted(DailyFigures.objects.values_list(*[f.attname for f in DailyFigures._meta.fields if f.name != "id"]))


def test_rolled_up_figures_equal_the_live_ones(world: FiguresWorld) -> None:  # noqa: F811
    _grow(world, 40)
    services.roll_up(dt.date(2026, 2, 1), TODAY - dt.timedelta(days=1), now=NOW)
    assert DailyFigures.objects.exists()
    for filters in _shapes(world):
        assert _figures(filters, rollup=True) == _figures(filters, rollup=False), filters
    everything = _figures(Filters(period=PERIOD), rollup=True)
    assert everything["cancellations"].cancelled > 0 and everything["ratings"].count > 0
    assert everything["no-shows"] and everything["utilisation"] and everything["waiting of bookings"]


def test_the_figures_read_the_roll_up_of_past_days(world: FiguresWorld) -> None:  # noqa: F811
    services.roll_up(dt.date(2026, 2, 1), TODAY - dt.timedelta(days=1), now=NOW)
    # Rows changed behind the roll-up's back: the dashboard shows the rolled-up figures until the day is re-rolled.
    DailyFigures.objects.filter(due__gt=0).update(due=0, no_shows=0)
    assert selectors.no_shows(filters=Filters(period=PERIOD), now=NOW) == []
    assert selectors.no_shows(filters=Filters(period=PERIOD), now=NOW, rollup=False) != []


def test_rolling_up_twice_writes_the_same_rows(world: FiguresWorld) -> None:  # noqa: F811
    services.roll_up(dt.date(2026, 2, 1), dt.date(2026, 3, 9), now=NOW)
    first = _rows()
    assert services.roll_up(dt.date(2026, 2, 1), dt.date(2026, 3, 9), now=NOW) == len(first)
    services.roll_up_due(now=NOW)
    assert _rows() == first
    assert RolledDay.objects.filter(day__gte=dt.date(2026, 2, 1), day__lte=dt.date(2026, 3, 9)).count() == 37
    with pytest.raises(services.RollUpError):
        services.roll_up(TODAY, TODAY, now=NOW)  # today is not over


def test_a_late_change_is_picked_up_by_the_re_roll(world: FiguresWorld, settings: Any) -> None:  # noqa: F811
    settings.CARENET_INSIGHTS_REROLL_DAYS = 7
    settings.CARENET_INSIGHTS_BACKFILL_DAYS = 60
    services.roll_up_due(now=NOW - dt.timedelta(days=1))  # the night of 9 March: days up to 8 March
    assert not RolledDay.objects.filter(day=TODAY - dt.timedelta(days=1)).exists()
    # The next morning: the visit of 4 March is recorded a no-show, one of 2 March is cancelled through the call
    # centre; 9 March is over.
    Appointment.objects.filter(slot__starts_at__date=dt.date(2026, 3, 4)).update(status=S.NO_SHOW)
    Appointment.objects.filter(slot__starts_at__date=dt.date(2026, 3, 2)).update(
        status=S.CANCELLED, cancel_channel="call_centre"
    )
    stale = _figures(Filters(period=PERIOD), rollup=True)
    assert stale != _figures(Filters(period=PERIOD), rollup=False)
    assert services.days_due(now=NOW) == [(dt.date(2026, 3, 3), dt.date(2026, 3, 9))]  # 2 March is not re-rolled
    services.roll_up_due(now=NOW)
    fresh, live = _figures(Filters(period=PERIOD), rollup=True), _figures(Filters(period=PERIOD), rollup=False)
    assert [r.no_shows for r in fresh["no-shows"]] == [r.no_shows for r in live["no-shows"]]  # 4 March re-rolled
    assert [r.no_shows for r in stale["no-shows"]] != [r.no_shows for r in live["no-shows"]]
    assert fresh["cancellations"] != live["cancellations"]  # 2 March is older than the re-rolled days
    settings.CARENET_INSIGHTS_REROLL_DAYS = 10
    services.roll_up_due(now=NOW)
    assert _figures(Filters(period=PERIOD), rollup=True) == _figures(Filters(period=PERIOD), rollup=False)


def test_a_missing_day_is_rolled_up_and_meanwhile_computed_live(world: FiguresWorld, settings: Any) -> None:  # noqa: F811
    settings.CARENET_INSIGHTS_REROLL_DAYS = 2
    settings.CARENET_INSIGHTS_BACKFILL_DAYS = 30
    services.roll_up(dt.date(2026, 2, 8), dt.date(2026, 3, 9), now=NOW)
    RolledDay.objects.filter(day__in=[dt.date(2026, 3, 4), dt.date(2026, 3, 5)]).delete()
    DailyFigures.objects.filter(day__in=[dt.date(2026, 3, 4), dt.date(2026, 3, 5)]).delete()
    assert _figures(Filters(period=PERIOD), rollup=True) == _figures(Filters(period=PERIOD), rollup=False)
    assert services.days_due(now=NOW) == [
        (dt.date(2026, 3, 4), dt.date(2026, 3, 5)),
        (dt.date(2026, 3, 8), dt.date(2026, 3, 9)),
    ]
    services.roll_up_due(now=NOW)
    assert RolledDay.objects.filter(day__in=[dt.date(2026, 3, 4), dt.date(2026, 3, 5)]).count() == 2


def test_query_count_is_flat_with_the_roll_up(world: FiguresWorld) -> None:  # noqa: F811
    services.roll_up(dt.date(2026, 2, 1), dt.date(2026, 3, 9), now=NOW)
    filters = dataclasses.replace(Filters(period=PERIOD))
    with CaptureQueriesContext(connection) as small:
        _figures(filters, rollup=True)
    _grow(world, 60)
    services.roll_up(dt.date(2026, 2, 1), dt.date(2026, 3, 9), now=NOW)
    with CaptureQueriesContext(connection) as large:
        _figures(filters, rollup=True)
    assert len(small) == len(large) == 10  # per figure: the rolled days, then roll-up + live summed in one query


def test_the_roll_up_is_a_periodic_job() -> None:
    assert "roll-up-figures" in {job.name for job in periodic.jobs()}


@pytest.mark.parametrize("days", [30, 90])
def test_the_demo_builder_rolls_up_its_history_and_the_figures_equal_the_live_ones(days: int, settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from carenet.insights.policies import WARSAW, preset_period
    from carenet.network.models import City

    settings.DEBUG = True  # the demo runs with CARENET_DEBUG on
    today = dt.date(2026, 3, 16)
    call_command("seed_demo", "--small", "--today", today.isoformat(), stdout=StringIO())
    assert RolledDay.objects.filter(day=today - dt.timedelta(days=1)).exists()
    assert not RolledDay.objects.filter(day=today).exists()
    now = dt.datetime.combine(today, dt.time(12), tzinfo=WARSAW)
    city = City.objects.filter(facilities__isnull=False).order_by("pk").first()
    assert city is not None
    for filters in (Filters(period=preset_period(days, today=today)),
                    Filters(period=preset_period(days, today=today), city_id=city.pk)):  # fmt: skip
        rolled = {
            "waiting": selectors.waiting_booked(filters=filters, today=today),
            "no-shows": selectors.no_shows(filters=filters, now=now),
            "utilisation": selectors.utilisation(filters=filters, today=today),
            "cancellations": selectors.cancellations(filters=filters, today=today),
            "ratings": selectors.ratings(filters=filters, today=today),
        }
        live = {
            "waiting": selectors.waiting_booked(filters=filters, today=today, rollup=False),
            "no-shows": selectors.no_shows(filters=filters, now=now, rollup=False),
            "utilisation": selectors.utilisation(filters=filters, today=today, rollup=False),
            "cancellations": selectors.cancellations(filters=filters, today=today, rollup=False),
            "ratings": selectors.ratings(filters=filters, today=today, rollup=False),
        }
        assert rolled == live
        assert rolled["no-shows"] and rolled["utilisation"] and rolled["cancellations"].bookings
