"""The daily roll-up (BEY-4, PERF): the dashboard's figures read from the roll-up for whole past days and live for
the rest EQUAL the all-live computation (the reference: ``rollup=False``), on SQLite and PostgreSQL; rolling up is
idempotent; a late change to a past day is picked up by the periodic re-roll; the query count stays flat."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from carenet.booking.models import Appointment
from carenet.core import periodic
from carenet.insights import selectors, services
from carenet.insights.models import BookingWait, BookingWaitPeriod, DailyFigures, FirstFree, RolledDay
from carenet.insights.policies import Period, preset_period
from carenet.insights.selectors import Filters
from carenet.insights.tests.factories import NOW, PERIOD, TODAY, FiguresWorld
from carenet.insights.tests.test_selectors import _at, _grow, world  # noqa: F401 - the hand-built history
from carenet.scheduling.models import Slot

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


def _rows(last: dt.date = TODAY) -> list[tuple[Any, ...]]:
    """The roll-up's rows up to ``last`` (by default, of the days before today)."""
    fields = [f.attname for f in DailyFigures._meta.fields if f.name != "id"]
    return sorted(DailyFigures.objects.filter(day__lt=last).values_list(*fields))


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
    assert services.roll_up(dt.date(2026, 2, 1), dt.date(2026, 3, 9), now=NOW, periods=False) == len(first)
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


def test_each_filter_reads_the_coarsest_grain_it_allows(world: FiguresWorld) -> None:  # noqa: F811
    """BEY-4, PERF: the network-wide figures read the network's rows, a city's the cities' rows, a facility's its
    own rows — each grain summed from the one below, so all three equal the live figures (test above); here each
    grain is taken away in turn and only the figures that read it change."""
    services.roll_up(dt.date(2026, 2, 1), TODAY - dt.timedelta(days=1), now=NOW)
    grain = DailyFigures.Grain
    assert set(DailyFigures.objects.values_list("grain", flat=True)) == {grain.FACILITY, grain.CITY, grain.NETWORK}
    network = Filters(period=PERIOD)
    city = Filters(period=PERIOD, city_id=world.warsaw.pk)
    facility = Filters(period=PERIOD, facility_id=world.mokotow.pk)
    live = {f: _figures(f, rollup=False) for f in (network, city, facility)}
    DailyFigures.objects.filter(grain=grain.NETWORK).delete()
    assert _figures(network, rollup=True)["utilisation"] != live[network]["utilisation"]
    assert _figures(city, rollup=True) == live[city]
    assert _figures(network, rollup=True)["waiting of bookings"] == live[network]["waiting of bookings"]  # per city
    DailyFigures.objects.filter(grain=grain.CITY).delete()
    assert _figures(city, rollup=True)["utilisation"] != live[city]["utilisation"]
    assert _figures(facility, rollup=True) == live[facility]


def _figures_at(filters: Filters, now: dt.datetime, *, rollup: bool) -> dict[str, Any]:
    return {
        "waiting of bookings": selectors.waiting_booked(filters=filters, now=now, rollup=rollup),
        "no-shows": selectors.no_shows(filters=filters, now=now, rollup=rollup),
        "utilisation": selectors.utilisation(filters=filters, now=now, rollup=rollup),
        "cancellations": selectors.cancellations(filters=filters, now=now, rollup=rollup),
        "ratings": selectors.ratings(filters=filters, now=now, rollup=rollup),
    }


def test_today_s_figures_so_far_are_read_from_their_roll_up_while_fresh(world: FiguresWorld, settings: Any) -> None:  # noqa: F811
    """BEY-4, PERF: the task ``roll-up-figures-today`` counts today so far; the dashboard reads it (and says when it
    was counted) while it is younger than two runs of the task, then counts today live again."""
    settings.CARENET_INSIGHTS_TODAY_SECONDS = 300
    # This morning: a no-show at 8:00, a visit at 9:00 (UTC) cancelled through the portal, a visit booked at 3:00 for
    # this afternoon (in the world); the rest of the day is ahead.
    world.visit("cardio-waw", dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC), status=S.NO_SHOW, booked_at=_at(9))
    world.visit("derma-waw", dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), status=S.CANCELLED, booked_at=_at(8),
                cancel_channel="portal")  # fmt: skip
    services.roll_up(dt.date(2026, 2, 1), TODAY - dt.timedelta(days=1), now=NOW)
    assert selectors.counted_at(period=PERIOD, now=NOW).today is None
    services.roll_up_today(now=NOW)
    assert RolledDay.objects.get(day=TODAY).rolled_at == NOW
    for filters in _shapes(world):
        assert _figures_at(filters, NOW, rollup=True) == _figures_at(filters, NOW, rollup=False), filters
    network = Filters(period=PERIOD)
    assert sum(r.no_shows for r in selectors.no_shows(filters=network, now=NOW)) == 3  # 3 and 6 March, this morning
    # Read from the roll-up: a change to today's rows shows until it is recounted, as long as it is fresh.
    DailyFigures.objects.filter(day=TODAY, offered__gt=0).update(offered=F("offered") + 100)
    soon = NOW + dt.timedelta(seconds=599)
    assert selectors.counted_at(period=PERIOD, now=soon).today == NOW
    rolled, live = _figures_at(network, soon, rollup=True), _figures_at(network, soon, rollup=False)
    assert rolled["utilisation"] != live["utilisation"]
    later = NOW + dt.timedelta(seconds=601)
    assert selectors.counted_at(period=PERIOD, now=later).today is None
    assert _figures_at(network, later, rollup=True) == _figures_at(network, later, rollup=False)


def test_a_day_counted_while_it_ran_is_live_until_rolled_up_whole(world: FiguresWorld) -> None:  # noqa: F811
    """Yesterday's figures counted at 15:00 yesterday are not read today (nor added to the live count): the day is
    counted live until the roll-up of whole days rewrites it."""
    services.roll_up(dt.date(2026, 2, 1), TODAY - dt.timedelta(days=2), now=NOW)
    world.visit("cardio-waw", dt.datetime(2026, 3, 9, 17, tzinfo=dt.UTC), status=S.NO_SHOW, booked_at=_at(9, 6))
    services.roll_up_today(now=dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC))
    assert DailyFigures.objects.filter(day=TODAY - dt.timedelta(days=1)).exists()
    for filters in _shapes(world):
        assert _figures_at(filters, NOW, rollup=True) == _figures_at(filters, NOW, rollup=False), filters
    services.roll_up(TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=1), now=NOW)
    DailyFigures.objects.filter(day=TODAY - dt.timedelta(days=1), due__gt=0).update(due=F("due") + 100)
    assert (
        _figures_at(Filters(period=PERIOD), NOW, rollup=True)["no-shows"]
        != _figures_at(Filters(period=PERIOD), NOW, rollup=False)["no-shows"]
    )  # now whole: read from the roll-up


def test_today_s_roll_up_is_a_periodic_job() -> None:
    assert "roll-up-figures-today" in {job.name for job in periodic.jobs()}


def test_the_days_ahead_are_read_as_counted_by_the_hourly_roll_up_while_fresh(
    world: FiguresWorld,  # noqa: F811
    settings: Any,
) -> None:
    """BEY-4, PERF: the hourly roll-up also counts the next ``CARENET_INSIGHTS_AHEAD_DAYS`` days as they stand (the
    slots offered and booked, the bookings and cancellations of their visits); a period reaching into them reads
    that count while it is younger than two runs, then counts them live again."""
    settings.CARENET_INSIGHTS_ROLLUP_SECONDS = 3600
    settings.CARENET_INSIGHTS_AHEAD_DAYS = 7
    world.visit("derma-waw", NOW + dt.timedelta(days=4), status=S.CANCELLED, booked_at=_at(9), cancel_channel="sms")
    services.roll_up_due(now=NOW)
    assert RolledDay.objects.filter(day__gt=TODAY).count() == 7
    ahead = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 20))  # to 17 March from the roll-up, then live
    for place in ({}, {"city_id": world.warsaw.pk}, {"facility_id": world.mokotow.pk}):
        filters = Filters(period=ahead, **place)
        assert _figures_at(filters, NOW, rollup=True) == _figures_at(filters, NOW, rollup=False), filters
    assert selectors.counted_at(period=ahead, now=NOW) == selectors.CountedAt(None, NOW)
    assert selectors.counted_at(period=PERIOD, now=NOW).ahead is None  # the period ends today
    DailyFigures.objects.filter(day__gt=TODAY, offered__gt=0).update(offered=F("offered") + 100)
    network = Filters(period=ahead)
    soon = NOW + dt.timedelta(hours=1, minutes=59)
    rolled, live = _figures_at(network, soon, rollup=True), _figures_at(network, soon, rollup=False)
    assert rolled["utilisation"] != live["utilisation"] and rolled["cancellations"] == live["cancellations"]
    later = NOW + dt.timedelta(hours=2, minutes=1)
    assert selectors.counted_at(period=ahead, now=later).ahead is None
    assert _figures_at(network, later, rollup=True) == _figures_at(network, later, rollup=False)


def test_waiting_now_is_read_from_the_count_of_a_few_minutes_ago_while_fresh(
    world: FiguresWorld,  # noqa: F811
    settings: Any,
) -> None:
    """BEY-4, PERF: ``roll-up-figures-today`` also counts the earliest free slot of every specialty × city; "waiting
    now" reads that count (days from the time of the count) while it is fresh — not for one facility — then probes
    the slots live again."""
    settings.CARENET_INSIGHTS_TODAY_SECONDS = 300
    shapes = [
        {},
        {"city_id": world.krakow.pk},
        {"specialty_id": world.cardiology.pk},
        {"facility_id": world.mokotow.pk},
    ]
    live = {str(p): selectors.waiting_now(filters=Filters(period=PERIOD, **p), now=NOW, rollup=False) for p in shapes}
    assert FirstFree.objects.count() == 0
    services.roll_up_today(now=NOW)
    assert FirstFree.objects.count() == len(live["{}"]) > 0
    for place in shapes:
        assert selectors.waiting_now(filters=Filters(period=PERIOD, **place), now=NOW) == live[str(place)], place
    # Read from the count: the first free slot in Kraków is booked; the count shows it until recounted.
    Slot.objects.filter(city=world.krakow, is_free=True).update(is_free=False)
    soon = NOW + dt.timedelta(minutes=9)
    counted = selectors.waiting_now(filters=Filters(period=PERIOD, city_id=world.krakow.pk), now=soon)
    assert [r.days for r in counted] == [r.days for r in live[str({"city_id": world.krakow.pk})]]  # days from NOW
    later = NOW + dt.timedelta(minutes=11)
    assert selectors.waiting_now(filters=Filters(period=PERIOD), now=later) == selectors.waiting_now(
        filters=Filters(period=PERIOD), now=later, rollup=False
    )
    services.roll_up_today(now=soon)  # the next count replaces the last
    assert set(FirstFree.objects.values_list("counted_at", flat=True)) == {soon}


def test_a_preset_period_s_booking_waits_are_summed_once_for_the_whole_network(world: FiguresWorld) -> None:  # noqa: F811
    """BEY-4, PERF: "waiting of bookings" of the last 7 or 30 days reads the preset period's past days summed per
    specialty × city (``BookingWait``, rewritten with every roll-up of past days) and today as any period does — equal
    to the live figure — and only when every past day of the period is rolled up whole."""
    _grow(world, 40)
    world.visit("cardio-krk", NOW + dt.timedelta(days=9), booked_at=_at(6, 7))
    services.roll_up(dt.date(2026, 1, 1), TODAY - dt.timedelta(days=1), now=NOW)
    assert set(BookingWaitPeriod.objects.values_list("days", flat=True)) == {7, 30}  # 90 days back are not all rolled
    for days in (7, 30, 90):
        for place in ({}, {"city_id": world.krakow.pk}, {"specialty_id": world.cardiology.pk}):
            filters = Filters(period=preset_period(days, today=TODAY), **place)
            rolled = selectors.waiting_booked(filters=filters, now=NOW)
            assert rolled == selectors.waiting_booked(filters=filters, now=NOW, rollup=False), (days, place)
    week = Filters(period=preset_period(7, today=TODAY))
    assert selectors.waiting_booked(filters=week, now=NOW)
    BookingWait.objects.filter(days=7).update(made=F("made") * 2)  # read from the period's sums
    assert selectors.waiting_booked(filters=week, now=NOW) != selectors.waiting_booked(
        filters=week, now=NOW, rollup=False
    )
    RolledDay.objects.filter(day=TODAY - dt.timedelta(days=2)).delete()  # a day of the week no longer whole
    services.write_booking_waits(now=NOW)
    assert not BookingWaitPeriod.objects.filter(days=7).exists()
    assert selectors.waiting_booked(filters=week, now=NOW) == selectors.waiting_booked(
        filters=week, now=NOW, rollup=False
    )
