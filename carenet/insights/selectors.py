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
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, Min, Q, QuerySet
from django.utils.dateparse import parse_datetime

from carenet.booking.models import Appointment
from carenet.complaints.models import Claim, Complaint
from carenet.feedback.models import VisitRating
from carenet.insights.policies import Period, days_between, rate
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


def _visits_in_period(filters: Filters) -> QuerySet[Appointment]:
    start, end = filters.period.bounds()
    return Appointment.objects.filter(
        _slot_filter(filters, "slot__"), slot__starts_at__gte=start, slot__starts_at__lt=end
    ).order_by()


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


def waiting_now(*, filters: Filters, now: dt.datetime) -> list[WaitingNow]:
    """Days from ``now`` to the earliest free slot, per specialty × city (the wait patients feel), longest first;
    phone and video slots (no city) are one row per specialty, nationwide — left out when a facility is chosen.

    The pairs are the specialties × cities of the schedules still running (a few thousand at the benchmark's scale);
    each pair's earliest free slot is one probe of the partial index of free slots (``slot_free_by_city`` for a
    city, ``slot_free_by_specialty`` for remote slots, ``slot_facility_day`` for one facility), so the query reads a
    row per pair, not the millions of free slots a ``GROUP BY`` over them would read."""
    quote = connection.ops.quote_name
    slot, schedule, facility = (
        quote(Slot._meta.db_table),
        quote(Schedule._meta.db_table),
        quote(Facility._meta.db_table),
    )
    specialty, city = quote(Specialty._meta.db_table), quote(City._meta.db_table)
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
        SELECT sp.name, sp.name_en, c.name,
               CASE WHEN p.city_id IS NULL
                    THEN (SELECT MIN(s.starts_at) FROM {slot} s WHERE {slots} AND s.city_id IS NULL)
                    ELSE (SELECT MIN(s.starts_at) FROM {slot} s WHERE {slots} AND s.city_id = p.city_id)
               END AS first_free
        FROM (
            SELECT DISTINCT sc.specialty_id AS specialty_id, f.city_id AS city_id
            FROM {schedule} sc LEFT JOIN {facility} f ON f.id = sc.facility_id
            WHERE {" AND ".join(pair_where)}
        ) p
        JOIN {specialty} sp ON sp.id = p.specialty_id
        LEFT JOIN {city} c ON c.id = p.city_id
    """  # noqa: S608 - identifiers from the models' _meta, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*slot_params, *slot_params, *pair_params])
        rows = cursor.fetchall()
    result = []
    for name, name_en, city_name, first in rows:
        first_free = _aware(first)
        days = days_between(now, first_free) if first_free is not None else None
        result.append(WaitingNow(Name(name, name_en or ""), city_name, first_free, days))
    # Longest first; "no free slot" is the longest of all.
    result.sort(key=lambda r: (r.days is not None, -(r.days or 0.0), r.specialty.name, r.city or ""))
    return result


def waiting_booked(*, filters: Filters) -> list[WaitingBooked]:
    """The AVERAGE days between making a booking and its visit, for the bookings made in the period, per specialty ×
    city (phone and video: no city), longest first."""
    start, end = filters.period.bounds()
    rows = (
        Appointment.objects.filter(
            _slot_filter(filters, "slot__"),
            created_at__gte=start,
            created_at__lt=end,
            status__in=BOOKING_STATUSES,
            # A visit is never booked after it started (BKG-3): the bound lets a city's or facility's slots be read
            # by their index from the period's start on.
            slot__starts_at__gte=start,
        )
        .order_by()
        .values(
            specialty_name=F("slot__specialty__name"),
            specialty_name_en=F("slot__specialty__name_en"),
            city_name=F("slot__city__name"),
        )
        .annotate(bookings=Count("id"), wait=Avg(F("slot__starts_at") - F("created_at")))
        .order_by("-wait", "specialty_name", "city_name")
    )
    return [
        WaitingBooked(
            specialty=_name(row),
            city=row["city_name"],
            bookings=row["bookings"],
            average_days=max(0.0, round(_duration(row["wait"]).total_seconds() / 86400, 1)),
        )
        for row in rows
    ]


def _duration(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(value or 0))


def no_shows(*, filters: Filters, now: dt.datetime) -> list[NoShows]:
    """No-shows among the visits of the period that should have happened (started before ``now``, not cancelled),
    per specialty, highest rate first."""
    rows = (
        _visits_in_period(filters)
        .filter(slot__starts_at__lt=now, status__in=DUE_STATUSES)
        .values(specialty_name=F("slot__specialty__name"), specialty_name_en=F("slot__specialty__name_en"))
        .annotate(due=Count("id"), missed=Count("id", filter=Q(status=Status.NO_SHOW)))
        .order_by("specialty_name")
    )
    result = [NoShows(_name(row), row["due"], row["missed"], rate(row["missed"], row["due"])) for row in rows]
    result.sort(key=lambda r: (-(r.rate or 0.0), r.specialty.name))
    return result


def utilisation(*, filters: Filters) -> list[Utilisation]:
    """Booked slots among the slots offered in the period (from schedules: the on-demand consultations' slots are
    never offered), per specialty, highest first. A slot counts as booked while it is taken (booked, checked in,
    completed, a no-show); a cancelled booking frees it."""
    start, end = filters.period.bounds()
    rows = (
        Slot.objects.filter(_slot_filter(filters), starts_at__gte=start, starts_at__lt=end, schedule__isnull=False)
        .order_by()
        .values(specialty_name=F("specialty__name"), specialty_name_en=F("specialty__name_en"))
        .annotate(offered=Count("id"), booked=Count("id", filter=Q(is_free=False)))
        .order_by("specialty_name")
    )
    result = [
        Utilisation(_name(row), row["offered"], row["booked"], rate(row["booked"], row["offered"])) for row in rows
    ]
    result.sort(key=lambda r: (-(r.rate or 0.0), r.specialty.name))
    return result


def cancellations(*, filters: Filters) -> CancellationSummary:
    """Cancelled bookings among the bookings of the period's visits, by the channel of the cancellation."""
    rows = list(
        _visits_in_period(filters)
        .filter(status__in=BOOKING_STATUSES)
        .values("cancel_channel")
        .annotate(bookings=Count("id"), cancelled=Count("id", filter=Q(status=Status.CANCELLED)))
        .order_by("cancel_channel")
    )
    bookings = sum(row["bookings"] for row in rows)
    by_channel = [
        Cancellations(row["cancel_channel"], row["cancelled"], rate(row["cancelled"], bookings))
        for row in rows
        if row["cancelled"]
    ]
    by_channel.sort(key=lambda r: (-r.cancelled, r.channel))
    cancelled = sum(r.cancelled for r in by_channel)
    return CancellationSummary(bookings, cancelled, rate(cancelled, bookings), by_channel)


def ratings(*, filters: Filters) -> RatingSummary:
    """The visit ratings (1–5) given in the period: count and average per specialty of the visit, lowest first."""
    start, end = filters.period.bounds()
    rows = list(
        VisitRating.objects.filter(
            _slot_filter(filters, "appointment__slot__"), created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .values(
            specialty_name=F("appointment__slot__specialty__name"),
            specialty_name_en=F("appointment__slot__specialty__name_en"),
        )
        .annotate(count=Count("id"), average=Avg("score"))
        .order_by("average", "specialty_name")
    )
    by_specialty = [Ratings(_name(row), row["count"], round(float(row["average"]), 2)) for row in rows]
    count = sum(row["count"] for row in rows)
    total = sum(float(row["average"]) * row["count"] for row in rows)
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
