"""Reads of feedback (FBK-1): the visits a patient may rate now, the state of one visit's rating, of "Oceń nas",
and the coordinators' summary — averages per facility and specialty computed by the database, and the latest
comments without anyone's name (ratings are anonymous to coordinators).

Every read of a patient's visits goes through the patient ids the caller's actor may see (``Actor.family_ids``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet

from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.baked import BakedQuery, id_values, ids_of
from carenet.feedback import policies
from carenet.feedback.models import NetworkRating, SurveyInvitation, VisitRating

#: At most this many rows in a list.
LIST_LIMIT = 50
_VISIT_DETAILS = ("patient", "service", "service__specialty", "slot", "slot__clinician", "slot__facility")


@dataclass
class RatableVisit:
    visit: Appointment
    rate_until: dt.datetime


def ratable_visits(*, patient_ids: Collection[int], now: dt.datetime, limit: int = LIST_LIMIT) -> list[RatableVisit]:
    """FBK-1: the visits of these patients that may be rated now (took place, not rated, within their window),
    latest first, each with the last moment it may be rated; at most ``limit`` (the dashboard shows three).

    The candidates are read as rows (with their invitation), the rule decides on them, and only the visits shown
    are read with what a row shows: one query when none may be rated, two otherwise."""
    # Nothing older than the longest window can be ratable: the visit's 7 days, or 7 days after an invitation.
    horizon = now - dt.timedelta(days=policies.RATE_DAYS + 2)
    size, ids = id_values(patient_ids, prefix="patient")
    if not size:
        return []
    candidates = _CANDIDATES.rows(shape=size, now=now, horizon=horizon, **ids)
    until: dict[int, dt.datetime] = {}
    for pk, status, ends_at, invited_at in candidates:
        refusal = policies.visit_rating_refusal(
            status=status, ends_at=ends_at, invited_at=invited_at, rated=False, now=now, tz=clock.WARSAW
        )
        if refusal is None:
            until[pk] = policies.rate_until(ends_at=ends_at, invited_at=invited_at, tz=clock.WARSAW)
            if len(until) == limit:
                break
    if not until:
        return []
    size, ids = id_values(until, prefix="visit")
    visits = {visit.pk: visit for visit in _SHOWN.all(shape=size, **ids)}
    return [RatableVisit(visit=visits[pk], rate_until=rate_until) for pk, rate_until in until.items() if pk in visits]


def _candidates(size: int, *, now: dt.datetime, horizon: dt.datetime, **patient_ids: int) -> QuerySet[Appointment, Any]:
    """The visits of these patients that took place and are not rated, within the longest window (FBK-1)."""
    return (
        Appointment.objects.filter(
            patient_id__in=ids_of(size, patient_ids, prefix="patient"),
            status__in=(Appointment.Status.COMPLETED, Appointment.Status.CHECKED_IN),
            slot__ends_at__lte=now,
            consultation__isnull=True,
            rating__isnull=True,
        )
        .filter(Q(slot__ends_at__gte=horizon) | Q(survey_invitation__sent_at__gte=horizon))
        .order_by("-slot__starts_at", "-pk")
        .values_list("pk", "status", "slot__ends_at", "survey_invitation__sent_at")[:LIST_LIMIT]
    )


def _shown(size: int, **visit_ids: int) -> QuerySet[Appointment]:
    return Appointment.objects.filter(pk__in=ids_of(size, visit_ids, prefix="visit")).select_related(*_VISIT_DETAILS)


#: PERF (issue 16): the dashboard asks for the visits to rate on every request; both statements are compiled once
#: per process and number of ids (a power of two: :func:`carenet.core.baked.id_values`).
_CANDIDATES = BakedQuery(Appointment, _candidates)
_SHOWN = BakedQuery(Appointment, _shown)


def ratable_among(*, visits: Collection[Appointment], now: dt.datetime) -> dict[int, dt.datetime]:
    """FBK-1 for visits already read with their slots (a page of "Moje wizyty"): visit id → the last moment it may
    be rated, for those that may be rated now. One query by primary key, whatever the number of visits."""
    candidates = {visit.pk: visit for visit in visits}
    if not candidates:
        return {}
    size, ids = id_values(candidates, prefix="visit")
    facts = _RATING_FACTS.rows(shape=size, **ids)
    ratable = {}
    for pk, rating_id, invited_at, consultation_id in facts:
        visit = candidates[pk]
        refusal = policies.visit_rating_refusal(
            status=visit.status,
            ends_at=visit.slot.ends_at,
            invited_at=invited_at,
            rated=rating_id is not None or consultation_id is not None,
            now=now,
            tz=clock.WARSAW,
        )
        if refusal is None:
            ratable[pk] = policies.rate_until(ends_at=visit.slot.ends_at, invited_at=invited_at, tz=clock.WARSAW)
    return ratable


def _rating_facts(size: int, **visit_ids: int) -> QuerySet[Appointment, Any]:
    return Appointment.objects.filter(pk__in=ids_of(size, visit_ids, prefix="visit")).values_list(
        "pk", "rating__id", "survey_invitation__sent_at", "consultation__id"
    )


#: PERF (issue 16): asked on every page of "Moje wizyty", compiled once per process and number of visits.
_RATING_FACTS = BakedQuery(Appointment, _rating_facts)


@dataclass
class VisitRatingState:
    """One visit's rating as its page shows it: the rating given, or whether (and until when) it may be rated."""

    rating: VisitRating | None
    can_rate: bool
    rate_until: dt.datetime | None
    refusal: policies.RatingCode | None


def visit_rating_state(*, visit: Appointment, now: dt.datetime) -> VisitRatingState:
    """FBK-1 for a visit read with its slot (two queries)."""
    rating = VisitRating.objects.filter(appointment_id=visit.pk).first()
    invited = SurveyInvitation.objects.filter(appointment_id=visit.pk).values_list("sent_at", flat=True).first()
    online = Appointment.objects.filter(pk=visit.pk, consultation__isnull=False).exists()
    refusal = (
        policies.RatingCode.VISIT_NOT_COMPLETED
        if online
        else policies.visit_rating_refusal(
            status=visit.status,
            ends_at=visit.slot.ends_at,
            invited_at=invited,
            rated=rating is not None,
            now=now,
            tz=clock.WARSAW,
        )
    )
    until = policies.rate_until(ends_at=visit.slot.ends_at, invited_at=invited, tz=clock.WARSAW)
    return VisitRatingState(rating=rating, can_rate=refusal is None, rate_until=until, refusal=refusal)


@dataclass
class NetworkRatingState:
    last: NetworkRating | None
    next_at: dt.datetime | None  # None: may rate now
    interval_days: int


def network_rating_state(*, patient_id: int, now: dt.datetime) -> NetworkRatingState:
    """ "Oceń nas": the patient's last rating of the network and when they may rate again."""
    last = NetworkRating.objects.filter(patient_id=patient_id).order_by("-created_at", "-pk").first()
    interval = settings.CARENET_RATE_US_DAYS
    next_at = policies.next_network_rating_at(last_rated_at=last.created_at if last else None, interval_days=interval)
    return NetworkRatingState(last=last, next_at=next_at if next_at and next_at > now else None, interval_days=interval)


# --- The coordinators' summary (FBK-1) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Average:
    """One group's ratings: its name, how many, the mean score (``None`` when none)."""

    name: str
    name_en: str
    count: int
    average: float | None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment as coordinators read it: when (the day), the score, where and for what — never who."""

    day: dt.date
    score: int
    text: str
    facility: str = ""
    specialty: str = ""
    specialty_en: str = ""


@dataclass
class RatingsSummary:
    since: dt.date
    until: dt.date
    visits: Average
    network: Average
    by_facility: list[Average] = field(default_factory=list)
    by_specialty: list[Average] = field(default_factory=list)
    visit_comments: list[Comment] = field(default_factory=list)
    network_comments: list[Comment] = field(default_factory=list)


def _period(since: dt.date, until: dt.date) -> Q:
    start = clock.at_warsaw(since, dt.time.min)
    end = clock.at_warsaw(until + dt.timedelta(days=1), dt.time.min)
    return Q(created_at__gte=start, created_at__lt=end)


def _average(row: dict[str, object], name: str = "", name_en: str = "") -> Average:
    count = row.get("count")
    average = row.get("average")
    return Average(
        name=name,
        name_en=name_en,
        count=int(count) if isinstance(count, int) else 0,
        # PostgreSQL answers AVG of integers as a Decimal, SQLite as a float.
        average=round(float(average), 2) if isinstance(average, int | float | Decimal) else None,
    )


def ratings_summary(*, since: dt.date, until: dt.date, comments: int = 20) -> RatingsSummary:
    """FBK-1: the ratings given between ``since`` and ``until`` (Warsaw days, inclusive): the mean of the visits'
    and of the network's, per facility and per specialty (GROUP BY in the database: a fixed number of queries
    whatever the number of ratings; a remote visit has no facility and is grouped as such), and the latest
    ``comments`` comments of each kind. No patient is named."""
    period = _period(since, until)
    visit_ratings = VisitRating.objects.filter(period)
    totals = visit_ratings.aggregate(count=Count("pk"), average=Avg("score"))
    network = NetworkRating.objects.filter(period).aggregate(count=Count("pk"), average=Avg("score"))
    by_facility = [
        _average(row, name=row["appointment__slot__facility__name"] or "")
        for row in visit_ratings.values("appointment__slot__facility__name")
        .annotate(count=Count("pk"), average=Avg("score"))
        .order_by("appointment__slot__facility__name")
    ]
    by_specialty = [
        _average(
            row, name=row["appointment__slot__specialty__name"], name_en=row["appointment__slot__specialty__name_en"]
        )
        for row in visit_ratings.values("appointment__slot__specialty__name", "appointment__slot__specialty__name_en")
        .annotate(count=Count("pk"), average=Avg("score"))
        .order_by("appointment__slot__specialty__name")
    ]
    visit_comments = [
        Comment(
            day=clock.local(row["created_at"]).date(),
            score=row["score"],
            text=row["comment"],
            facility=row["appointment__slot__facility__name"] or "",
            specialty=row["appointment__slot__specialty__name"],
            specialty_en=row["appointment__slot__specialty__name_en"],
        )
        for row in visit_ratings.exclude(comment="")
        .order_by("-created_at", "-pk")
        .values(
            "created_at",
            "score",
            "comment",
            "appointment__slot__facility__name",
            "appointment__slot__specialty__name",
            "appointment__slot__specialty__name_en",
        )[:comments]
    ]
    network_comments = [
        Comment(day=clock.local(row["created_at"]).date(), score=row["score"], text=row["comment"])
        for row in NetworkRating.objects.filter(period)
        .exclude(comment="")
        .order_by("-created_at", "-pk")
        .values("created_at", "score", "comment")[:comments]
    ]
    return RatingsSummary(
        since=since,
        until=until,
        visits=_average(totals),
        network=_average(network),
        by_facility=by_facility,
        by_specialty=by_specialty,
        visit_comments=visit_comments,
        network_comments=network_comments,
    )
