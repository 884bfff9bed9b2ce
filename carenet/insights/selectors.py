"""The network's figures for the coordinators' dashboard (BEY-4), each ONE set-based query: the database groups and
counts; Python only turns the few result rows (one per specialty, city or channel) into records. No patient data
leaves here: counts, rates, averages and dates.

Every figure takes :class:`Filters` — a period (:class:`~carenet.insights.policies.Period`) and optionally a city, a
specialty and a facility. What "in the period" means is said per figure:

* waiting now — from ``now`` to the earliest free slot, per specialty × city (the period does not apply);
* waiting of bookings — the AVERAGE days between making a booking and its visit, for bookings made in the period;
* no-shows — among the visits of the period that should have happened (started before ``now``, not cancelled);
* utilisation — booked slots of the period among the slots offered in it;
* cancellations — among the bookings of visits in the period, by the channel they were cancelled through;
* ratings — the visit ratings given in the period;
* open cases — complaints, pregnancy-care requests and insurance claims open now (and filed in the period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, FloatField, Func, Min, Q, QuerySet, Sum
from django.utils.dateparse import parse_datetime

from carenet.booking.models import Appointment
from carenet.complaints.models import Claim, Complaint
from carenet.core import clock
from carenet.feedback.models import VisitRating
from carenet.insights.models import BookingWait, BookingWaitPeriod, DailyFigures, FirstFree, RolledDay
from carenet.insights.policies import PRESET_DAYS, WARSAW, Period, days_between, rate
from carenet.network.models import City, Facility, Specialty
from carenet.pregnancy.models import PregnancyRequest
from carenet.scheduling.models import Schedule, Slot

Status = Appointment.Status
#: Bookings that were really made (a hold that expired never was one).
BOOKING_STATUSES = (
    Status.BOOKED,
    Status.CHECKED_IN,
    Status.COMPLETED,
    Status.CANCELLED,
    Status.NO_SHOW,
    Status.REFUSED_LATE,
)
#: Visits that should have happened once their time has come (CHK-5: not checked in by the end is a no-show).
DUE_STATUSES = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW, Status.REFUSED_LATE)
OPEN_COMPLAINT_STATUSES = (Complaint.Status.RECEIVED, Complaint.Status.IN_PROGRESS)
WAITING_CLAIM_STATUSES = (Claim.Status.SUBMITTED, Claim.Status.UNDER_REVIEW)


@dataclass(frozen=True)
class Filters:
    period: Period
    city_id: int | None = None
    specialty_id: int | None = None
    facility_id: int | None = None


@dataclass(frozen=True)
class Name:
    """A catalogue name with its English twin (``carenet.core.catalogue.localized`` picks one)."""

    name: str
    name_en: str = ""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class WaitingNow:
    specialty: Name
    city: str | None  # None: by phone or video, nationwide
    first_free: dt.datetime | None  # None: no free slot ahead
    days: float | None


@dataclass(frozen=True)
class WaitingBooked:
    specialty: Name
    city: str | None
    bookings: int
    average_days: float


@dataclass(frozen=True)
class NoShows:
    specialty: Name
    due: int
    no_shows: int
    rate: float | None


@dataclass(frozen=True)
class Utilisation:
    specialty: Name
    offered: int
    booked: int
    rate: float | None


@dataclass(frozen=True)
class Cancellations:
    channel: str  # Channel value
    cancelled: int
    rate: float | None


@dataclass(frozen=True)
class CancellationSummary:
    bookings: int
    cancelled: int
    rate: float | None
    by_channel: list[Cancellations]


@dataclass(frozen=True)
class Ratings:
    specialty: Name
    count: int
    average: float


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None
    by_specialty: list[Ratings]


@dataclass(frozen=True)
class OpenCases:
    complaints_open: int
    complaints_overdue: int
    complaints_filed: int
    pregnancy_open: int
    pregnancy_oldest: dt.datetime | None
    pregnancy_filed: int
    claims_waiting: int
    claims_oldest: dt.datetime | None
    claims_filed: int


def _slot_filter(filters: Filters, prefix: str = "") -> Q:
    """The slots of the chosen city, specialty and facility. A city is also given as its facilities: the same slots
    (a slot's city is its facility's), but it lets the database walk the index of slots by facility and start
    (``slot_facility_day``) instead of reading every slot of the period; with a specialty too, the index
    ``slot_specialty_city_start`` reads just that specialty's slots in the city (B8)."""
    q = Q()
    if filters.city_id is not None:
        q &= Q(**{f"{prefix}city_id": filters.city_id})
        q &= Q(**{f"{prefix}facility_id__in": Facility.objects.filter(city_id=filters.city_id).values("pk")})
    if filters.specialty_id is not None:
        q &= Q(**{f"{prefix}specialty_id": filters.specialty_id})
    if filters.facility_id is not None:
        q &= Q(**{f"{prefix}facility_id": filters.facility_id})
    return q


class WaitSeconds(Func):
    """Seconds from the second instant to the first, as a float, on PostgreSQL and SQLite alike."""

    arity = 2
    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))",
                           arg_joiner=" - ", **extra)  # fmt: skip

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)  # fmt: skip


_SPECIALTY_PATHS = {"specialty_name": "specialty__name", "specialty_name_en": "specialty__name_en"}
_SPECIALTY = {key: F(path) for key, path in _SPECIALTY_PATHS.items()}
_SPECIALTY_OF_SLOT = {key: F(f"slot__{path}") for key, path in _SPECIALTY_PATHS.items()}
Ranges = list[tuple[dt.datetime, dt.datetime]]


def runs_of_days(first: dt.date, last: dt.date, keep: Callable[[dt.date], bool]) -> list[tuple[dt.date, dt.date]]:
    """The runs of consecutive days from ``first`` to ``last`` that ``keep`` keeps, as (first, last) pairs."""
    runs: list[tuple[dt.date, dt.date]] = []
    day = first
    while day <= last:
        if keep(day):
            if runs and runs[-1][1] == day - dt.timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += dt.timedelta(days=1)
    return runs


def _split(
    period: Period, today: dt.date | None, rollup: bool, now: dt.datetime | None = None
) -> tuple[list[tuple[dt.date, dt.date]], Ranges]:
    """Where a period's figures come from: the runs of days the roll-up holds (read from it; one small query of the
    rolled days) — a past day rolled up after it was over, today and the days ahead while their roll-up is fresh (see
    :func:`counted_at`) — and the instants of every other day (a past day not rolled up yet, a day too far ahead)
    computed live. ``rollup=False``: everything live (the reference the roll-up is tested against)."""
    if not rollup:
        return [], [period.bounds()]
    now = now or clock.now()
    today = today or now.astimezone(WARSAW).date()
    rolled_at = dict(
        RolledDay.objects.filter(day__gte=period.first_day, day__lte=period.last_day).values_list("day", "rolled_at")
    )
    today_since, ahead_since = _fresh_since(now)

    def whole(day: dt.date) -> bool:
        at = rolled_at.get(day)
        if at is None:
            return False
        if day < today:
            return at >= Period(day, day).bounds()[1]
        return at >= (today_since if day == today else ahead_since)

    rolled = runs_of_days(period.first_day, period.last_day, whole)
    live = [Period(a, b).bounds() for a, b in runs_of_days(period.first_day, period.last_day, lambda d: not whole(d))]
    return rolled, live


def _fresh_since(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today's roll-up so far counts while it is younger than two runs of the task ``roll-up-figures-today``; the days
    ahead while younger than two runs of ``roll-up-figures``."""
    return (
        now - dt.timedelta(seconds=2 * settings.CARENET_INSIGHTS_TODAY_SECONDS),
        now - dt.timedelta(seconds=2 * settings.CARENET_INSIGHTS_ROLLUP_SECONDS),
    )


@dataclass(frozen=True)
class CountedAt:
    """When the figures of today and of the days ahead that the dashboard shows were counted (``None``: live)."""

    today: dt.datetime | None
    ahead: dt.datetime | None


def counted_at(*, period: Period, now: dt.datetime | None = None) -> CountedAt:
    """When the period's figures of today and of the days ahead were counted: the time of their roll-up while fresh
    (for the days ahead, the oldest one read), ``None`` when they are counted live on each view (one query)."""
    now = now or clock.now()
    today = now.astimezone(WARSAW).date()
    if period.last_day < today:
        return CountedAt(None, None)
    first = max(period.first_day, today)
    rows = dict(RolledDay.objects.filter(day__gte=first, day__lte=period.last_day).values_list("day", "rolled_at"))
    today_since, ahead_since = _fresh_since(now)
    at_today = rows.get(today)
    ahead = [at for day, at in rows.items() if day > today and at >= ahead_since]
    return CountedAt(
        at_today if at_today is not None and period.first_day <= today and at_today >= today_since else None,
        min(ahead) if ahead else None,
    )


def _until(ranges: Ranges, now: dt.datetime | None) -> Ranges:
    """The ranges cut at ``now``: what is made (a booking, a rating) is never made later, so the days ahead of a
    period are not read for it (no query part at all when nothing is left)."""
    now = now or clock.now()
    return [(start, min(end, now)) for start, end in ranges if start < now]


def _ranges(field: str, ranges: Ranges) -> Q:
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def _visits(filters: Filters, ranges: Ranges) -> QuerySet[Appointment]:
    return Appointment.objects.filter(_slot_filter(filters, "slot__"), _ranges("slot__starts_at", ranges)).order_by()


def _rolled(
    filters: Filters, days: list[tuple[dt.date, dt.date]], *, by_city: bool = False, **nonzero: int
) -> QuerySet[DailyFigures]:
    """The roll-up's rows of the chosen place and specialty over ``days`` (only rolled days have rows) that carry
    the figure (``nonzero``: its count above 0, so a place without it gives no row, as live), of the coarsest grain
    the filters allow: a facility's rows for one facility, the cities' for a city (or a figure per city:
    ``by_city``), else the network's — a network-wide month reads a few thousand rows, not every facility's."""
    if filters.facility_id is not None:
        grain = DailyFigures.Grain.FACILITY
    elif filters.city_id is not None or by_city:
        grain = DailyFigures.Grain.CITY
    else:
        grain = DailyFigures.Grain.NETWORK
    runs = Q()
    for first, last in days:
        runs |= Q(day__gte=first, day__lte=last)
    q = Q(runs, grain=grain, **nonzero)
    if filters.city_id is not None:
        q &= Q(city_id=filters.city_id)
    if filters.specialty_id is not None:
        q &= Q(specialty_id=filters.specialty_id)
    if filters.facility_id is not None:
        q &= Q(facility_id=filters.facility_id)
    return DailyFigures.objects.filter(q).order_by()


def _summed(parts: list[QuerySet[Any]], keys: list[str], sums: list[str]) -> list[dict[str, Any]]:
    """The grouped rows of ``parts`` (the live and the rolled-up part, each ``.values(*keys).annotate(*sums)`` in
    that order) summed per key in the database: ``SELECT keys, SUM(..) FROM (a UNION ALL b) GROUP BY keys``."""
    quote = connection.ops.quote_name
    sqls: list[str] = []
    params: list[Any] = []
    for part in parts:
        sql, part_params = part.query.sql_with_params()
        sqls.append(sql)
        params.extend(part_params)
    key_list = ", ".join(quote(k) for k in keys)
    sum_list = ", ".join(f"SUM({quote(s)}) AS {quote(s)}" for s in sums)
    sql = f"SELECT {key_list}, {sum_list} FROM ({' UNION ALL '.join(sqls)}) u GROUP BY {key_list}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _name(row: dict[str, Any], prefix: str = "specialty") -> Name:
    return Name(row[f"{prefix}_name"] or "", row.get(f"{prefix}_name_en") or "")


def _aware(value: Any) -> dt.datetime | None:
    """A raw cursor's datetime: PostgreSQL gives it aware; SQLite gives text in UTC."""
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def first_free_sql(filters: Filters, now: dt.datetime) -> tuple[str, list[Any]]:
    """``SELECT specialty_id, city_id, first_free`` — the earliest free slot from ``now`` of each specialty × city pair
    of the schedules still running (city NULL: by phone or video, nationwide; left out when a facility is chosen).

    The pairs number a few thousand at the benchmark's scale; each pair's earliest free slot is one probe of the
    partial index of free slots (``slot_free_by_city`` for a city, ``slot_free_by_specialty`` for remote slots,
    ``slot_facility_day`` for one facility), so the query reads a row per pair, not the millions of free slots a
    ``GROUP BY`` over them would read."""
    quote = connection.ops.quote_name
    slot, schedule, facility = (
        quote(Slot._meta.db_table),
        quote(Schedule._meta.db_table),
        quote(Facility._meta.db_table),
    )
    pair_where = ["sc.valid_until >= %s"]
    pair_params: list[Any] = [now.date() - dt.timedelta(days=1)]
    slot_where = ["s.is_free", "s.specialty_id = p.specialty_id", "s.starts_at >= %s"]
    if filters.specialty_id is not None:
        pair_where.append("sc.specialty_id = %s")
        pair_params.append(filters.specialty_id)
    if filters.city_id is not None:
        pair_where.append("(f.city_id = %s OR sc.facility_id IS NULL)")
        pair_params.append(filters.city_id)
    if filters.facility_id is not None:
        pair_where.append("sc.facility_id = %s")
        pair_params.append(filters.facility_id)
        slot_where.append("s.facility_id = %s")
    slot_params: list[Any] = [now] + ([filters.facility_id] if filters.facility_id is not None else [])
    slots = " AND ".join(slot_where)
    sql = f"""
        SELECT p.specialty_id AS specialty_id, p.city_id AS city_id,
               CASE WHEN p.city_id IS NULL
                    THEN (SELECT MIN(s.starts_at) FROM {slot} s WHERE {slots} AND s.city_id IS NULL)
                    ELSE (SELECT MIN(s.starts_at) FROM {slot} s WHERE {slots} AND s.city_id = p.city_id)
               END AS first_free
        FROM (
            SELECT DISTINCT sc.specialty_id AS specialty_id, f.city_id AS city_id
            FROM {schedule} sc LEFT JOIN {facility} f ON f.id = sc.facility_id
            WHERE {" AND ".join(pair_where)}
        ) p
    """  # noqa: S608 - identifiers from the models' _meta, values as parameters
    return sql, [*slot_params, *slot_params, *pair_params]


def waiting_now(*, filters: Filters, now: dt.datetime, rollup: bool = True) -> list[WaitingNow]:
    """Days to the earliest free slot, per specialty × city (the wait patients feel), longest first; phone and video
    slots (no city) are one row per specialty, nationwide — left out when a facility is chosen.

    Read from the count of the task ``roll-up-figures-today`` (:class:`~carenet.insights.models.FirstFree`; the days
    from the time of the count) while it is fresh — unless one facility is chosen — else probed live from ``now``
    (:func:`first_free_sql`); ``rollup=False``: always live."""
    if rollup and filters.facility_id is None:
        counted = _first_free_counted(filters, now)
        if counted is not None:
            return _longest_first(counted)
    inner, params = first_free_sql(filters, now)
    quote = connection.ops.quote_name
    specialty, city = quote(Specialty._meta.db_table), quote(City._meta.db_table)
    sql = f"""
        SELECT sp.name, sp.name_en, c.name, x.first_free FROM ({inner}) x
        JOIN {specialty} sp ON sp.id = x.specialty_id LEFT JOIN {city} c ON c.id = x.city_id
    """  # noqa: S608 - identifiers from the models' _meta, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for name, name_en, city_name, first in rows:
        first_free = _aware(first)
        days = days_between(now, first_free) if first_free is not None else None
        result.append(WaitingNow(Name(name, name_en or ""), city_name, first_free, days))
    return _longest_first(result)


def _booking_wait_period(
    filters: Filters, today: dt.date | None, now: dt.datetime | None
) -> tuple[int, dt.date] | None:
    """(days, today) when the period is a preset one (the last 7, 30 or 90 days up to today), no facility is chosen
    and :func:`carenet.insights.services.write_booking_waits` summed its past days up to yesterday; else ``None``."""
    now = now or clock.now()
    today = today or now.astimezone(WARSAW).date()
    period = filters.period
    if filters.facility_id is not None or period.last_day != today or period.days not in PRESET_DAYS:
        return None
    if not BookingWaitPeriod.objects.filter(days=period.days, through_day=today - dt.timedelta(days=1)).exists():
        return None
    return period.days, today


def _first_free_counted(filters: Filters, now: dt.datetime) -> list[WaitingNow] | None:
    """The fresh count's pairs of the chosen city and specialty (``None``: no fresh count). Every pair of a count has
    its time (one transaction writes them all), read once."""
    since = _fresh_since(now)[0]
    counted = FirstFree.objects.values_list("counted_at", flat=True).first()
    if counted is None or not since <= counted <= now:
        return None
    q = Q()
    if filters.specialty_id is not None:
        q &= Q(specialty_id=filters.specialty_id)
    if filters.city_id is not None:
        q &= Q(city_id=filters.city_id) | Q(city__isnull=True)
    rows = FirstFree.objects.filter(q).values_list("specialty__name", "specialty__name_en", "city__name", "first_free")
    return [
        WaitingNow(Name(name, name_en or ""), city, first, days_between(counted, first) if first is not None else None)
        for name, name_en, city, first in rows
    ]


def _longest_first(result: list[WaitingNow]) -> list[WaitingNow]:
    """Longest first; "no free slot" is the longest of all."""
    result.sort(key=lambda r: (r.days is not None, -(r.days or 0.0), r.specialty.name, r.city or ""))
    return result


def waiting_booked(
    *, filters: Filters, today: dt.date | None = None, now: dt.datetime | None = None, rollup: bool = True
) -> list[WaitingBooked]:
    """The AVERAGE days between making a booking and its visit, for the bookings made in the period, per specialty ×
    city (phone and video: no city), longest first."""
    start, _end = filters.period.bounds()
    keys = {"specialty_name": "specialty__name", "specialty_name_en": "specialty__name_en", "city_name": "city__name"}
    whole_period = _booking_wait_period(filters, today, now) if rollup else None
    parts: list[QuerySet[Any]] = []
    if whole_period is not None:  # the preset period's past days summed once per pair; today read as any period's
        days, today = whole_period
        q = Q(days=days, through_day=today - dt.timedelta(days=1))
        if filters.city_id is not None:
            q &= Q(city_id=filters.city_id)
        if filters.specialty_id is not None:
            q &= Q(specialty_id=filters.specialty_id)
        parts.append(
            BookingWait.objects.filter(q)
            .order_by()
            .values(**{key: F(path) for key, path in keys.items()})
            .annotate(n_made=Sum("made"), n_wait_seconds=Sum("wait_seconds"))
        )
        rolled, live = _split(Period(today, today), today, rollup, now)
    else:
        rolled, live = _split(filters.period, today, rollup, now)
    live = _until(live, now)
    if live:
        parts.append(
            Appointment.objects.filter(
                _slot_filter(filters, "slot__"),
                _ranges("created_at", live),
                status__in=BOOKING_STATUSES,
                # A visit is never booked after it started (BKG-3): the bound lets a city's or facility's slots be
                # read by their index from the period's start on.
                slot__starts_at__gte=start,
            )
            .order_by()
            .values(**{key: F(f"slot__{path}") for key, path in keys.items()})
            .annotate(n_made=Count("id"), n_wait_seconds=Sum(WaitSeconds("slot__starts_at", "created_at")))
        )
    if rolled:
        parts.append(
            _rolled(filters, rolled, by_city=True, made__gt=0)
            .values(**{key: F(path) for key, path in keys.items()})
            .annotate(n_made=Sum("made"), n_wait_seconds=Sum("wait_seconds"))
        )
    rows = _summed(parts, list(keys), ["n_made", "n_wait_seconds"])
    result = [
        WaitingBooked(
            specialty=_name(row),
            city=row["city_name"],
            bookings=int(row["n_made"]),
            average_days=max(0.0, round(float(row["n_wait_seconds"] or 0) / int(row["n_made"]) / 86400, 1)),
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-r.average_days, r.specialty.name, r.city or ""))
    return result


def no_shows(*, filters: Filters, now: dt.datetime, rollup: bool = True) -> list[NoShows]:
    """No-shows among the visits of the period that should have happened (started before ``now``, not cancelled),
    per specialty, highest rate first."""
    rolled, live = _split(filters.period, now.astimezone(WARSAW).date(), rollup, now)
    parts: list[QuerySet[Any]] = []
    if live:
        parts.append(
            _visits(filters, live)
            .filter(slot__starts_at__lt=now, status__in=DUE_STATUSES)
            .values(**_SPECIALTY_OF_SLOT)
            .annotate(n_due=Count("id"), n_no_shows=Count("id", filter=Q(status=Status.NO_SHOW)))
        )
    if rolled:
        parts.append(
            _rolled(filters, rolled, due__gt=0)
            .values(**_SPECIALTY)
            .annotate(n_due=Sum("due"), n_no_shows=Sum("no_shows"))
        )
    rows = _summed(parts, list(_SPECIALTY), ["n_due", "n_no_shows"])
    result = [
        NoShows(_name(row), int(row["n_due"]), int(row["n_no_shows"]), rate(int(row["n_no_shows"]), int(row["n_due"])))
        for row in rows
    ]
    result.sort(key=lambda r: (-(r.rate or 0.0), r.specialty.name))
    return result


def utilisation(
    *, filters: Filters, today: dt.date | None = None, now: dt.datetime | None = None, rollup: bool = True
) -> list[Utilisation]:
    """Booked slots among the slots offered in the period (from schedules: the on-demand consultations' slots are
    never offered), per specialty, highest first. A slot counts as booked while it is taken (booked, checked in,
    completed, a no-show); a cancelled booking frees it."""
    rolled, live = _split(filters.period, today, rollup, now)
    parts: list[QuerySet[Any]] = []
    if live:
        parts.append(
            Slot.objects.filter(_slot_filter(filters), _ranges("starts_at", live), schedule__isnull=False)
            .order_by()
            .values(**_SPECIALTY)
            .annotate(n_offered=Count("id"), n_booked=Count("id", filter=Q(is_free=False)))
        )
    if rolled:
        parts.append(
            _rolled(filters, rolled, offered__gt=0)
            .values(**_SPECIALTY)
            .annotate(n_offered=Sum("offered"), n_booked=Sum("booked"))
        )
    rows = _summed(parts, list(_SPECIALTY), ["n_offered", "n_booked"])
    result = [
        Utilisation(
            _name(row), int(row["n_offered"]), int(row["n_booked"]), rate(int(row["n_booked"]), int(row["n_offered"]))
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-(r.rate or 0.0), r.specialty.name))
    return result


def cancellations(
    *, filters: Filters, today: dt.date | None = None, now: dt.datetime | None = None, rollup: bool = True
) -> CancellationSummary:
    """Cancelled bookings among the bookings of the period's visits, by the channel of the cancellation."""
    rolled, live = _split(filters.period, today, rollup, now)
    parts: list[QuerySet[Any]] = []
    if live:
        parts.append(
            _visits(filters, live)
            .filter(status__in=BOOKING_STATUSES)
            .values(via=F("cancel_channel"))
            .annotate(n_bookings=Count("id"), n_cancelled=Count("id", filter=Q(status=Status.CANCELLED)))
        )
    if rolled:
        parts.append(
            _rolled(filters, rolled, bookings__gt=0)
            .values(via=F("channel"))
            .annotate(n_bookings=Sum("bookings"), n_cancelled=Sum("cancelled"))
        )
    rows = _summed(parts, ["via"], ["n_bookings", "n_cancelled"])
    bookings = sum(int(row["n_bookings"]) for row in rows)
    by_channel = [
        Cancellations(row["via"], int(row["n_cancelled"]), rate(int(row["n_cancelled"]), bookings))
        for row in rows
        if row["n_cancelled"]
    ]
    by_channel.sort(key=lambda r: (-r.cancelled, r.channel))
    cancelled = sum(r.cancelled for r in by_channel)
    return CancellationSummary(bookings, cancelled, rate(cancelled, bookings), by_channel)


def ratings(
    *, filters: Filters, today: dt.date | None = None, now: dt.datetime | None = None, rollup: bool = True
) -> RatingSummary:
    """The visit ratings (1–5) given in the period: count and average per specialty of the visit, lowest first."""
    rolled, live = _split(filters.period, today, rollup, now)
    live = _until(live, now)
    parts: list[QuerySet[Any]] = []
    if live:
        parts.append(
            VisitRating.objects.filter(_slot_filter(filters, "appointment__slot__"), _ranges("created_at", live))
            .order_by()
            .values(**{key: F(f"appointment__slot__{path}") for key, path in _SPECIALTY_PATHS.items()})
            .annotate(n_ratings=Count("id"), n_rating_sum=Sum("score"))
        )
    if rolled:
        parts.append(
            _rolled(filters, rolled, ratings__gt=0)
            .values(**_SPECIALTY)
            .annotate(n_ratings=Sum("ratings"), n_rating_sum=Sum("rating_sum"))
        )
    rows = _summed(parts, list(_SPECIALTY), ["n_ratings", "n_rating_sum"])
    by_specialty = [
        Ratings(_name(row), int(row["n_ratings"]), round(int(row["n_rating_sum"]) / int(row["n_ratings"]), 2))
        for row in rows
    ]
    by_specialty.sort(key=lambda r: (r.average, r.specialty.name))
    count = sum(int(row["n_ratings"]) for row in rows)
    total = sum(int(row["n_rating_sum"]) for row in rows)
    return RatingSummary(count, round(total / count, 2) if count else None, by_specialty)


def open_cases(*, filters: Filters, today: dt.date) -> OpenCases:
    """Complaints open now (and those past the date they must be answered by), pregnancy-care requests waiting for a
    coordinator, insurance claims waiting for a decision; and how many of each were filed in the period. A city or a
    facility narrows complaints (their facility) and pregnancy requests (the wanted city, the facility that could
    not help); a specialty does not apply; claims name no place. Three queries, one per kind."""
    start, end = filters.period.bounds()
    complaint_q, request_q = Q(), Q()
    if filters.city_id is not None:
        complaint_q &= Q(facility__city_id=filters.city_id)
        request_q &= Q(wanted_city_id=filters.city_id)
    if filters.facility_id is not None:
        complaint_q &= Q(facility_id=filters.facility_id)
        request_q &= Q(failed_facility_id=filters.facility_id)
    is_open = Q(status__in=OPEN_COMPLAINT_STATUSES)
    complaints = Complaint.objects.filter(complaint_q).aggregate(
        open=Count("id", filter=is_open),
        overdue=Count("id", filter=is_open & Q(answer_due_on__lt=today)),
        filed=Count("id", filter=Q(filed_at__gte=start, filed_at__lt=end)),
    )
    waiting = Q(status=PregnancyRequest.Status.OPEN)
    requests = PregnancyRequest.objects.filter(request_q).aggregate(
        open=Count("id", filter=waiting),
        oldest=Min("created_at", filter=waiting),
        filed=Count("id", filter=Q(created_at__gte=start, created_at__lt=end)),
    )
    undecided = Q(status__in=WAITING_CLAIM_STATUSES)
    claims = Claim.objects.aggregate(
        waiting=Count("id", filter=undecided),
        oldest=Min("filed_at", filter=undecided),
        filed=Count("id", filter=Q(filed_at__gte=start, filed_at__lt=end)),
    )
    return OpenCases(
        complaints_open=complaints["open"],
        complaints_overdue=complaints["overdue"],
        complaints_filed=complaints["filed"],
        pregnancy_open=requests["open"],
        pregnancy_oldest=requests["oldest"],
        pregnancy_filed=requests["filed"],
        claims_waiting=claims["waiting"],
        claims_oldest=claims["oldest"],
        claims_filed=claims["filed"],
    )
