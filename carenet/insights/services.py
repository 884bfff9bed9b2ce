"""Writing the daily roll-up of the dashboard's figures (BEY-4, PERF): see :mod:`carenet.insights.models`.

:func:`roll_up` rewrites whole Warsaw days that are over — delete, then one ``INSERT … SELECT … GROUP BY`` per family
of figures, the cities' and the network's sums of them, and the days marked rolled — in one transaction, so rolling a
day twice gives the same rows (idempotent) and a reader sees either the old or the new figures of a day.
:func:`roll_up_due` (the periodic task) rolls yesterday, re-rolls the last ``CARENET_INSIGHTS_REROLL_DAYS`` days (a
no-show recorded the next morning, a late cancellation, a rating given days after the visit) and any day back to
``CARENET_INSIGHTS_BACKFILL_DAYS`` days that was never rolled, and counts the days ahead as they stand
(:func:`roll_up_ahead`); :func:`roll_up_today` counts today so far, every few minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from carenet.booking.models import Appointment
from carenet.feedback.models import VisitRating
from carenet.insights.models import BookingWait, BookingWaitPeriod, DailyFigures, FirstFree, RolledDay
from carenet.insights.policies import PRESET_DAYS, WARSAW, Period
from carenet.insights.selectors import (
    BOOKING_STATUSES,
    DUE_STATUSES,
    Filters,
    Status,
    WaitSeconds,
    first_free_sql,
    runs_of_days,
)
from carenet.scheduling.models import Slot

COLUMNS = (
    "offered",
    "booked",
    "due",
    "no_shows",
    "bookings",
    "cancelled",
    "made",
    "wait_seconds",
    "ratings",
    "rating_sum",
)


#: The key of the transaction-level advisory lock that serialises roll-ups on PostgreSQL (SQLite writes one at a time).
ROLL_UP_LOCK = 0x4245_5934  # "BEY4"
Grain = DailyFigures.Grain


class RollUpError(ValueError):
    """A day that is not over yet cannot be rolled up (code ``not_over``)."""

    code = "not_over"


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=WARSAW)


def _families(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[QuerySet[Any]]:
    """One grouped SELECT per family; each selects ``k_day, k_specialty, k_city, k_facility, k_channel`` and some
    of :data:`COLUMNS` by name. A visit is due (and may be a no-show) once it started before ``now`` — every visit of
    a day that is over, the morning's of today."""
    slots = (
        Slot.objects.filter(starts_at__gte=start, starts_at__lt=end, schedule__isnull=False)
        .order_by()
        .values(
            k_day=_day("starts_at"), k_specialty=F("specialty_id"), k_city=F("city_id"), k_facility=F("facility_id")
        )
        .annotate(offered=Count("id"), booked=Count("id", filter=Q(is_free=False)))
    )
    visits = (
        Appointment.objects.filter(slot__starts_at__gte=start, slot__starts_at__lt=end, status__in=BOOKING_STATUSES)
        .order_by()
        .values(
            k_day=_day("slot__starts_at"),
            k_specialty=F("slot__specialty_id"),
            k_city=F("slot__city_id"),
            k_facility=F("slot__facility_id"),
            k_channel=F("cancel_channel"),
        )
        .annotate(
            due=Count("id", filter=Q(status__in=DUE_STATUSES, slot__starts_at__lt=now)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW, slot__starts_at__lt=now)),
            bookings=Count("id"),
            cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
        )
    )
    # Bookings made that day, for visits from that day on (BKG-3: a visit is never booked after it started).
    made = (
        Appointment.objects.filter(created_at__gte=start, created_at__lt=end, status__in=BOOKING_STATUSES)
        .order_by()
        .alias(made_day=_day("created_at"), visit_day=_day("slot__starts_at"))
        .filter(visit_day__gte=F("made_day"))
        .values(
            k_day=_day("created_at"),
            k_specialty=F("slot__specialty_id"),
            k_city=F("slot__city_id"),
            k_facility=F("slot__facility_id"),
        )
        .annotate(made=Count("id"), wait_seconds=Sum(WaitSeconds("slot__starts_at", "created_at")))
    )
    rated = (
        VisitRating.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values(
            k_day=_day("created_at"),
            k_specialty=F("appointment__slot__specialty_id"),
            k_city=F("appointment__slot__city_id"),
            k_facility=F("appointment__slot__facility_id"),
        )
        .annotate(ratings=Count("id"), rating_sum=Sum("score"))
    )
    return [slots, visits, made, rated]


def roll_up(first_day: dt.date, last_day: dt.date, *, now: dt.datetime, periods: bool = True) -> int:
    """Rewrite the roll-up of the days ``first_day`` … ``last_day`` (all over by ``now``), then the preset periods'
    booking waits (:func:`write_booking_waits`; ``periods=False``: left to the caller); the rows written."""
    today = now.astimezone(WARSAW).date()
    if last_day >= today:
        raise RollUpError(f"{last_day} is not over yet")
    with transaction.atomic():
        return _write(first_day, last_day, now=now) + (write_booking_waits(now=now) if periods else 0)


def write_booking_waits(*, now: dt.datetime) -> int:
    """Rewrite :class:`~carenet.insights.models.BookingWait`: for each preset period (the last 7, 30, 90 days), the
    bookings made over its whole past days summed per specialty × city from the cities' daily rows — only when every
    one of those days is rolled up whole (else the period is read day by day); the rows written."""
    yesterday = now.astimezone(WARSAW).date() - dt.timedelta(days=1)
    table = connection.ops.quote_name(DailyFigures._meta.db_table)
    target = connection.ops.quote_name(BookingWait._meta.db_table)
    longest = yesterday - dt.timedelta(days=max(PRESET_DAYS) - 2)
    rolled_at = dict(RolledDay.objects.filter(day__gte=longest, day__lte=yesterday).values_list("day", "rolled_at"))
    written = 0
    with transaction.atomic():
        BookingWait.objects.all().delete()
        BookingWaitPeriod.objects.all().delete()
        with connection.cursor() as cursor:
            for days in PRESET_DAYS:
                first = yesterday - dt.timedelta(days=days - 2)
                span = [first + dt.timedelta(days=n) for n in range(days - 1)]
                if not all(day in rolled_at and rolled_at[day] >= Period(day, day).bounds()[1] for day in span):
                    continue
                cursor.execute(
                    f"""
                    INSERT INTO {target} (days, through_day, specialty_id, city_id, made, wait_seconds)
                    SELECT %s, %s, specialty_id, city_id, SUM(made), SUM(wait_seconds) FROM {table}
                    WHERE grain = %s AND day >= %s AND day <= %s AND made > 0 GROUP BY specialty_id, city_id
                    """,  # noqa: S608 - identifiers from _meta, values as parameters
                    [days, yesterday, Grain.CITY, first, yesterday],
                )
                written += max(cursor.rowcount, 0)
                BookingWaitPeriod.objects.create(days=days, through_day=yesterday)
    return written


def roll_up_ahead(*, now: dt.datetime) -> int:
    """Rewrite the figures of the next ``CARENET_INSIGHTS_AHEAD_DAYS`` days as they stand (slots offered and booked,
    bookings and cancellations of their visits) — part of the hourly :func:`roll_up_due`; the dashboard reads them
    while younger than two of its runs. The rows written."""
    tomorrow = now.astimezone(WARSAW).date() + dt.timedelta(days=1)
    return _write(tomorrow, tomorrow + dt.timedelta(days=settings.CARENET_INSIGHTS_AHEAD_DAYS - 1), now=now)


def roll_up_today(*, now: dt.datetime) -> int:
    """Rewrite today's figures so far (the periodic task ``roll-up-today``, every ``CARENET_INSIGHTS_TODAY_SECONDS``):
    the day's slots, its visits that started before ``now``, the bookings and ratings made by ``now``. The dashboard
    reads them while they are fresh (:func:`carenet.insights.selectors.counted_at`) instead of reading every
    slot and booking of the day on each view; the rows written."""
    today = now.astimezone(WARSAW).date()
    with transaction.atomic():
        return _write(today, today, now=now) + count_first_free(now=now)


def count_first_free(*, now: dt.datetime) -> int:
    """Count the earliest free slot of every specialty × city pair as of ``now`` (the dashboard's "waiting now",
    read while fresh): the old count replaced in one transaction, one ``INSERT … SELECT``; the pairs written."""
    table = connection.ops.quote_name(FirstFree._meta.db_table)
    inner, params = first_free_sql(Filters(period=Period(now.date(), now.date())), now)
    with transaction.atomic():
        FirstFree.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (specialty_id, city_id, first_free, counted_at) "  # noqa: S608
                f"SELECT x.specialty_id, x.city_id, x.first_free, %s FROM ({inner}) x",
                [connection.ops.adapt_datetimefield_value(now), *params],
            )
            return max(cursor.rowcount, 0)


def _write(first_day: dt.date, last_day: dt.date, *, now: dt.datetime) -> int:
    if last_day < first_day:
        return 0
    start, end = Period(first_day, last_day).bounds()
    quote = connection.ops.quote_name
    table = quote(DailyFigures._meta.db_table)
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":  # two roll-ups at once (the task, the command) take turns
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLL_UP_LOCK])
        DailyFigures.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        with connection.cursor() as cursor:
            for family in _families(start, end, now):
                inner, params = family.query.sql_with_params()
                names = set(family.query.annotation_select)
                channel = "u.k_channel" if "k_channel" in names else "''"
                values = ", ".join(f"u.{c}" if c in names else ("0.0" if c == "wait_seconds" else "0") for c in COLUMNS)
                sql = f"""
                    INSERT INTO {table} (grain, day, specialty_id, city_id, facility_id, channel, {", ".join(COLUMNS)})
                    SELECT %s, u.k_day, u.k_specialty, u.k_city, u.k_facility, {channel}, {values} FROM ({inner}) u
                """  # noqa: S608 - identifiers from _meta and constants, values as parameters
                cursor.execute(sql, [Grain.FACILITY, *params])
                written += max(cursor.rowcount, 0)
            written += _sum_grains(cursor, table, first_day, last_day)
        days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
        RolledDay.objects.filter(day__in=days).delete()
        RolledDay.objects.bulk_create([RolledDay(day=day, rolled_at=now) for day in days])
    return written


def _sum_grains(cursor: Any, table: str, first_day: dt.date, last_day: dt.date) -> int:
    """The city's rows summed from its facilities' rows, then the network's from the cities' (per day, specialty and
    channel); the rows written."""
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    written = 0
    for grain, source, city in ((Grain.CITY, Grain.FACILITY, "city_id"), (Grain.NETWORK, Grain.CITY, "NULL")):
        group = "day, specialty_id, channel" + (", city_id" if city != "NULL" else "")
        cursor.execute(
            f"""
            INSERT INTO {table} (grain, day, specialty_id, city_id, facility_id, channel, {", ".join(COLUMNS)})
            SELECT %s, day, specialty_id, {city}, NULL, channel, {sums} FROM {table}
            WHERE grain = %s AND day >= %s AND day <= %s GROUP BY {group}
            """,  # noqa: S608 - identifiers from _meta and constants, values as parameters
            [grain, source, first_day, last_day],
        )
        written += max(cursor.rowcount, 0)
    return written


def days_due(*, now: dt.datetime) -> list[tuple[dt.date, dt.date]]:
    """The runs of days the periodic roll-up rewrites: the last ``CARENET_INSIGHTS_REROLL_DAYS`` days up to
    yesterday, and every day never rolled back to ``CARENET_INSIGHTS_BACKFILL_DAYS`` days ago."""
    yesterday = now.astimezone(WARSAW).date() - dt.timedelta(days=1)
    reroll_from = yesterday - dt.timedelta(days=max(settings.CARENET_INSIGHTS_REROLL_DAYS, 1) - 1)
    earliest = yesterday - dt.timedelta(days=settings.CARENET_INSIGHTS_BACKFILL_DAYS - 1)
    rolled = set(RolledDay.objects.filter(day__gte=earliest, day__lt=reroll_from).values_list("day", flat=True))
    missing = runs_of_days(earliest, reroll_from - dt.timedelta(days=1), lambda day: day not in rolled)
    return [*missing, (max(reroll_from, earliest), yesterday)] if yesterday >= earliest else missing


def roll_up_due(*, now: dt.datetime) -> int:
    """The periodic roll-up (see :func:`days_due`), and the days ahead as they stand (:func:`roll_up_ahead`); the
    rows written."""
    with transaction.atomic():
        days = sum(roll_up(first, last, now=now, periods=False) for first, last in days_due(now=now))
        return days + write_booking_waits(now=now) + roll_up_ahead(now=now)
