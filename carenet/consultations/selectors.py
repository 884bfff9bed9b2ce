"""Reads of online consultations (TEL-2): who may open which consultation, and on which side they take part.

Every door — the portal's pages, the clinician's console, the JSON API and the rooms' sockets — finds a consultation
through :func:`access_consultation`, which asks the permission table: a patient reaches their own consultations and
their children's (``OWN``), a clinician only the consultations they take part in (``RELATED``: the one they took, or
the room of their own booked video visit). Anything else is :class:`NotFound`, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.policies import Feature, feature_allowed
from carenet.consultations import policies
from carenet.consultations.models import ChatMessage, Consultation, Duty, Line, SurveyAnswer
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import NotFound, PermissionDenied
from carenet.core.validation import db_id_valid
from carenet.coverage.selectors import catalogue_services
from carenet.network.models import Service
from carenet.scheduling.models import Mode
from carenet.scheduling.search import MAX_PAGE_SIZE, SlotQuery, SlotRow, slot_search

Status = Consultation.Status
Kind = Consultation.Kind

_RELATED = ("line", "patient", "clinician", "appointment__slot", "requested_by")


def consultation_not_found() -> NotFound:
    return NotFound(_("No such online consultation."), code="consultation_not_found")


def consultations_visible_to(actor: Actor, action: Action = Action.CONSULTATION_VIEW) -> QuerySet[Consultation]:
    """The consultations ``action`` reaches for ``actor`` (none when the table refuses it)."""
    consultations = Consultation.objects.select_related(*_RELATED)
    scope = actor.scope(action)
    if scope is Scope.OWN:
        return consultations.filter(patient_id__in=sorted(actor.family_ids))
    if scope is Scope.RELATED and actor.clinician_id is not None:
        return consultations.filter(clinician_id=actor.clinician_id)
    if scope is Scope.ANY:
        return consultations
    return consultations.none()


def access_consultation(
    *, actor: Actor, consultation_id: int, action: Action = Action.CONSULTATION_VIEW
) -> Consultation:
    """The consultation if ``actor`` may do ``action`` with it; otherwise :class:`NotFound`."""
    if not isinstance(consultation_id, int) or isinstance(consultation_id, bool) or not db_id_valid(consultation_id):
        raise consultation_not_found()
    consultation = consultations_visible_to(actor, action).filter(pk=consultation_id).first()
    if consultation is None:
        raise consultation_not_found()
    return consultation


def side_of(actor: Actor, consultation: Consultation) -> str | None:
    """The side ``actor`` takes part on (``ChatMessage.Side``): the consultation's clinician, or its patient (or the
    guardian acting for a child); ``None`` for anyone else."""
    clinician = actor.clinician_id is not None and actor.clinician_id == consultation.clinician_id
    if clinician and actor.scope(Action.CONSULTATION_JOIN) is Scope.RELATED:
        return ChatMessage.Side.CLINICIAN
    if actor.scope(Action.CONSULTATION_JOIN) is Scope.OWN and consultation.patient_id in actor.family_ids:
        return ChatMessage.Side.PATIENT
    return None


# --- The queue (TEL-2): lines, positions, estimates, the clinician's console ---------------------------------------


@dataclass(frozen=True, slots=True)
class LineOffer:
    """A line as a patient sees it: whether they may start in it now (``refusal``: a :class:`ConsultationCode`
    value when not), how many clinicians are on duty, how many wait, the newcomer's estimated wait."""

    line: Line
    eligible: bool
    refusal: str | None
    on_duty: int
    waiting: int
    wait_minutes: int | None
    state: str


@dataclass(frozen=True, slots=True)
class QueueState:
    position: int
    ahead: int
    wait_minutes: int | None


@dataclass(frozen=True, slots=True)
class LineLoad:
    """A line on the clinician's console (counts only, no patient data)."""

    line: Line
    on_duty: int
    waiting: int
    oldest_wait_minutes: int | None


@dataclass(frozen=True, slots=True)
class ConsoleState:
    duties: list[Duty]
    lines: list[LineLoad]
    #: The clinician's on-demand consultation in progress (one at a time).
    current: Consultation | None

    @property
    def on_duty(self) -> bool:
        return bool(self.duties)

    @property
    def waiting(self) -> int:
        return sum(load.waiting for load in self.lines)


def duties_now(*, now: dt.datetime) -> QuerySet[Duty]:
    """Duties running at ``now`` for active lines."""
    return Duty.objects.filter(starts_at__lte=now, ends_at__gt=now, line__is_active=True)


def on_duty_counts(line_ids: Sequence[int], *, now: dt.datetime) -> dict[int, int]:
    """Clinicians on duty now per line: one query."""
    rows = (
        duties_now(now=now)
        .filter(line_id__in=list(line_ids))
        .values("line_id")
        .annotate(clinicians=Count("clinician_id", distinct=True))
        .order_by()
    )
    return {row["line_id"]: row["clinicians"] for row in rows}


def waiting_counts(line_ids: Sequence[int]) -> dict[int, tuple[int, dt.datetime | None]]:
    """Per line: how many wait and since when the oldest waits — one query."""
    rows = (
        Consultation.objects.filter(line_id__in=list(line_ids), status=Status.WAITING, kind=Kind.ON_DEMAND)
        .values("line_id")
        .annotate(waiting=Count("id"), oldest=Min("queued_at"))
        .order_by()
    )
    return {row["line_id"]: (row["waiting"], row["oldest"]) for row in rows}


def typical_minutes_of(lines: Sequence[Line]) -> dict[int, float]:
    """The length each line's wait is estimated with (:func:`policies.typical_minutes`): the median of its last
    ended consultations, read for every line in one query (a window over the latest per line)."""
    if not lines:
        return {}
    latest = (
        Consultation.objects.filter(
            line_id__in=[line.pk for line in lines],
            kind=Kind.ON_DEMAND,
            status=Status.ENDED,
            taken_at__isnull=False,
            ended_at__isnull=False,
        )
        .annotate(
            recent=Window(RowNumber(), partition_by=[F("line_id")], order_by=[F("ended_at").desc(), F("id").desc()])
        )
        .filter(recent__lte=policies.HISTORY_SIZE)
        .values_list("line_id", "taken_at", "ended_at")
    )
    durations: dict[int, list[float]] = {}
    for line_id, taken_at, ended_at in latest:
        if line_id is not None and taken_at is not None and ended_at is not None:
            durations.setdefault(line_id, []).append((ended_at - taken_at).total_seconds() / 60)
    return {line.pk: policies.typical_minutes(durations.get(line.pk, []), default=line.minutes) for line in lines}


def _duty_periods(
    line_ids: Sequence[int], *, now: dt.datetime, until: dt.datetime
) -> dict[int, list[tuple[int, dt.datetime, dt.datetime]]]:
    """Per active line, ``(clinician, starts_at, ends_at)`` of its duties running at some moment of ``[now, until]``."""
    rows = Duty.objects.filter(
        line_id__in=list(line_ids), line__is_active=True, starts_at__lte=until, ends_at__gt=now
    ).values_list("line_id", "clinician_id", "starts_at", "ends_at")
    periods: dict[int, list[tuple[int, dt.datetime, dt.datetime]]] = {}
    for line_id, clinician_id, starts_at, ends_at in rows:
        periods.setdefault(line_id, []).append((clinician_id, starts_at, ends_at))
    return periods


def _on_duty_at(periods: Sequence[tuple[int, dt.datetime, dt.datetime]], at: dt.datetime) -> int:
    """Clinicians on duty at ``at`` (as :func:`duties_now`: from ``starts_at`` inclusive to ``ends_at`` exclusive)."""
    return len({clinician_id for clinician_id, starts_at, ends_at in periods if starts_at <= at < ends_at})


def with_turn(facts: policies.StartFacts, line: Line, *, now: dt.datetime) -> policies.StartFacts:
    """``facts`` with the clinicians on duty for ``line`` when the newcomer's estimated turn comes (one query, when
    someone is on duty now): a duty ending before then serves nobody new (TEL-2)."""
    wait = policies.newcomer_wait(facts)
    if wait is None:
        return facts
    at_turn = on_duty_counts([line.pk], now=now + dt.timedelta(minutes=wait)).get(line.pk, 0)
    return replace(facts, on_duty_at_turn=at_turn)


def max_wait_minutes() -> int:
    return int(settings.CARENET_CONSULTATION_MAX_WAIT_MINUTES)


def lines_for(*, actor: Actor, patient_id: int, now: dt.datetime) -> list[LineOffer]:
    """TEL-2: the active lines for a patient (the actor themself or their child), each with its state now and
    whether this patient may start in it (level II, the line's ages; coverage is decided when they start, as for a
    booking). Five queries whatever the number of lines and of patients waiting. Someone else's patient:
    :class:`NotFound`."""
    if not actor.reaches(Action.CONSULTATION_START, patient_id=patient_id):
        raise NotFound(_("No such patient."), code="patient_not_found")
    patient = Patient.objects.filter(pk=patient_id).only("pk", "birth_date").first()
    if patient is None:
        raise NotFound(_("No such patient."), code="patient_not_found")
    lines = list(Line.objects.filter(is_active=True).select_related("specialty", "service"))
    ids = [line.pk for line in lines]
    # The duties running now or starting within the longest wait allowed: who is on duty now, and when a newcomer's
    # turn comes (one query).
    periods = _duty_periods(ids, now=now, until=now + dt.timedelta(minutes=max_wait_minutes()))
    waiting, typical = waiting_counts(ids), typical_minutes_of(lines)
    level_allowed = feature_allowed(Feature.ONLINE_CONSULTATIONS, level=actor.level or 0)
    age = age_on(patient.birth_date, clock.local(now).date()) if patient.birth_date <= clock.local(now).date() else 0
    offers = []
    for line in lines:
        facts = policies.StartFacts(
            level_allowed=level_allowed,
            age=age,
            min_age=line.min_age,
            below_age=line.below_age,
            on_duty=_on_duty_at(periods.get(line.pk, []), now),
            waiting=waiting.get(line.pk, (0, None))[0],
            typical=typical[line.pk],
            max_wait=max_wait_minutes(),
        )
        wait = policies.newcomer_wait(facts)
        if wait is not None:
            at_turn = now + dt.timedelta(minutes=wait)
            facts = replace(facts, on_duty_at_turn=_on_duty_at(periods.get(line.pk, []), at_turn))
        refusal = policies.start_refusal(facts)
        offers.append(
            LineOffer(
                line=line,
                eligible=refusal is None,
                refusal=refusal.value if refusal is not None else None,
                on_duty=facts.on_duty,
                waiting=facts.waiting,
                wait_minutes=wait,
                state=policies.line_state_for(facts).value,
            )
        )
    return offers


def queue_state(consultation: Consultation, *, now: dt.datetime) -> QueueState | None:
    """TEL-2: a waiting consultation's place in its line (1-based), how many are ahead, and the estimated wait;
    ``None`` when it is not waiting. Three small queries."""
    if consultation.status != Status.WAITING or consultation.line_id is None:
        return None
    ahead = (
        Consultation.objects.filter(line_id=consultation.line_id, status=Status.WAITING, kind=Kind.ON_DEMAND)
        .filter(Q(queued_at__lt=consultation.queued_at) | Q(queued_at=consultation.queued_at, id__lt=consultation.pk))
        .count()
    )
    line = consultation.line
    assert line is not None
    on_duty = on_duty_counts([line.pk], now=now).get(line.pk, 0)
    typical = typical_minutes_of([line])[line.pk]
    return QueueState(
        position=ahead + 1,
        ahead=ahead,
        wait_minutes=policies.estimated_wait(position=ahead + 1, typical=typical, on_duty=on_duty),
    )


def _clinician_name(consultation: Consultation) -> str | None:
    return str(consultation.clinician) if consultation.clinician_id is not None else None


def state_json(consultation: Consultation, *, now: dt.datetime) -> dict[str, Any]:
    """What the socket and the API send as ``state`` (no medical data): status, form, place and wait while waiting,
    the clinician's name once taken, the outcome once ended."""
    place = queue_state(consultation, now=now)
    return {
        "type": "state",
        "id": consultation.pk,
        "status": consultation.status,
        "mode": consultation.mode,
        "position": place.position if place is not None else None,
        "wait_minutes": place.wait_minutes if place is not None else None,
        "clinician": _clinician_name(consultation),
        "outcome": consultation.outcome or None,
    }


def line_states(line: Line, *, now: dt.datetime) -> list[dict[str, Any]]:
    """The ``state`` of every consultation waiting in ``line`` (their positions and waits), for publishing after a
    change of the line: three queries whatever the number waiting."""
    waiting = list(
        Consultation.objects.filter(line_id=line.pk, status=Status.WAITING, kind=Kind.ON_DEMAND)
        .order_by("queued_at", "id")
        .values_list("id", "mode")
    )
    if not waiting:
        return []
    on_duty = on_duty_counts([line.pk], now=now).get(line.pk, 0)
    typical = typical_minutes_of([line])[line.pk]
    return [
        {
            "type": "state",
            "id": consultation_id,
            "status": Status.WAITING.value,
            "mode": mode,
            "position": position,
            "wait_minutes": policies.estimated_wait(position=position, typical=typical, on_duty=on_duty),
            "clinician": None,
            "outcome": None,
        }
        for position, (consultation_id, mode) in enumerate(waiting, start=1)
    ]


def line_json(line: Line, *, now: dt.datetime) -> dict[str, Any]:
    """What the consoles watching a line are told (``events.publish_line``): counts only, no patient data."""
    waiting, oldest = waiting_counts([line.pk]).get(line.pk, (0, None))
    return {
        "type": "line",
        "line": line.code,
        "id": line.pk,
        "waiting": waiting,
        "on_duty": on_duty_counts([line.pk], now=now).get(line.pk, 0),
        "oldest_wait_minutes": _minutes_since(oldest, now),
    }


def _minutes_since(moment: dt.datetime | None, now: dt.datetime) -> int | None:
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds() // 60))


def alternatives(*, patient_id: int, line: Line, now: dt.datetime, limit: int = 5) -> list[SlotRow]:
    """TEL-2: when a line is closed or its wait too long — the nearest free phone and video slots of the line's
    specialty (nationwide, SCH-3), earliest first, that the patient can book through the ordinary booking (which
    decides coverage and every rule again when they tap one). Slots of a schedule that does not offer the line's
    service to the patient's age are left out."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    found: list[SlotRow] = []
    for mode in (Mode.PHONE, Mode.VIDEO):
        query = SlotQuery(specialty=line.specialty.code, mode=mode.value, page_size=MAX_PAGE_SIZE)
        found.extend(slot_search(query=query, now=now).slots)
    patient = Patient.objects.filter(pk=patient_id).only("pk", "birth_date").first()
    if patient is not None and patient.birth_date <= clock.local(now).date():
        age = age_on(patient.birth_date, clock.local(now).date())
        catalogue = catalogue_services({pk for slot in found for pk in slot.service_ids})
        found = [slot for slot in found if _slot_fits_age(slot, age, catalogue)]
    found.sort(key=lambda slot: (slot.starts_at, slot.pk))
    return found[:limit]


def _slot_fits_age(slot: SlotRow, age: int, catalogue: Mapping[int, Service]) -> bool:
    """Whether a slot's schedule offers a service the patient's age allows (PKG-4: the service's age range)."""
    services = [catalogue[pk] for pk in slot.service_ids if pk in catalogue]
    if not services:
        return True
    return any(_service_age_fits(service, age) for service in services)


def _service_age_fits(service: Service, age: int) -> bool:
    return (service.min_age is None or age >= service.min_age) and (service.max_age is None or age < service.max_age)


def open_consultation(*, actor: Actor) -> Consultation | None:
    """The patient's family's on-demand consultation under way (waiting or in progress), the latest; ``None``
    for staff and for a family with none."""
    family = actor.family_ids
    if not family or actor.scope(Action.CONSULTATION_VIEW) is not Scope.OWN:
        return None
    return (
        Consultation.objects.select_related(*_RELATED)
        .filter(patient_id__in=sorted(family), kind=Kind.ON_DEMAND, status__in=Consultation.OPEN_STATUSES)
        .order_by("-queued_at", "-id")
        .first()
    )


def console_state(*, actor: Actor, now: dt.datetime) -> ConsoleState:
    """TEL-2: the clinician's duties now and, for each of their lines, how many wait and how long the oldest has
    waited (counts only); their on-demand consultation in progress. Coordinators and administrators (queue view,
    no duties of their own) see every active line. Four queries whatever the number waiting."""
    if not actor.can(Action.CONSULTATION_QUEUE_VIEW):
        raise PermissionDenied(_("Your role does not watch the online consultation queues."), code="forbidden")
    duties: list[Duty] = []
    current = None
    if actor.clinician_id is not None:
        duties = list(
            duties_now(now=now).filter(clinician_id=actor.clinician_id).select_related("line").order_by("line__order")
        )
        lines = list({duty.line_id: duty.line for duty in duties}.values())
        current = (
            Consultation.objects.select_related(*_RELATED)
            .filter(clinician_id=actor.clinician_id, kind=Kind.ON_DEMAND, status=Status.IN_PROGRESS)
            .first()
        )
    else:
        lines = list(Line.objects.filter(is_active=True))
    ids = [line.pk for line in lines]
    on_duty, waiting = on_duty_counts(ids, now=now), waiting_counts(ids)
    loads = [
        LineLoad(
            line=line,
            on_duty=on_duty.get(line.pk, 0),
            waiting=waiting.get(line.pk, (0, None))[0],
            oldest_wait_minutes=_minutes_since(waiting.get(line.pk, (0, None))[1], now),
        )
        for line in lines
    ]
    return ConsoleState(duties=duties, lines=loads, current=current)


_LEFT_REASONS = frozenset(
    {policies.ConsultationCode.DUTY_ENDED.value, policies.ConsultationCode.NOT_COVERED_ANY_MORE.value}
)


def left_reason(consultation: Consultation) -> str | None:
    """Why a consultation left the queue without the patient leaving it: ``"duty_ended"`` when the sweep let it go
    because every duty of its line had ended, ``"not_covered_any_more"`` when its coverage, decided again as the
    clinician took it, had changed while it waited (``errors.MESSAGES`` has the patient's message); ``None``
    otherwise."""
    if consultation.status == Status.LEFT and consultation.outcome_note in _LEFT_REASONS:
        return consultation.outcome_note
    return None


@dataclass(frozen=True, slots=True)
class SurveyState:
    """FBK-1: a consultation's survey as a door shows it: the answer (if any) and whether ``actor`` may answer now."""

    answer: SurveyAnswer | None
    open: bool


def survey_state(consultation: Consultation, *, actor: Actor, now: dt.datetime) -> SurveyState:
    """FBK-1: the survey's answer — no query when it was read with the consultation (``select_related("survey")``)
    — and whether ``actor`` may answer it now: once, for 7 days after a consultation that took place, by the patient
    side (the table's ``CONSULTATION_SURVEY``)."""
    try:
        answer: SurveyAnswer | None = consultation.survey
    except SurveyAnswer.DoesNotExist:
        answer = None
    may_answer = policies.survey_open(
        status=consultation.status,
        outcome=consultation.outcome,
        ended_at=consultation.ended_at,
        answered=answer is not None,
        now=now,
    ) and actor.reaches(Action.CONSULTATION_SURVEY, patient_id=consultation.patient_id)
    return SurveyState(answer=answer, open=may_answer)


# --- The survey's answers for coordinators (FBK-1, issue 15) ---------------------------------------------------


@dataclass(frozen=True)
class SurveyLine:
    """One on-demand line's survey answers over a period: how many, the mean rating, how many said resolved."""

    name: str
    name_en: str
    count: int
    average: float | None
    resolved: int


@dataclass(frozen=True)
class SurveyComment:
    """A survey comment as coordinators read it: the day, the rating, the line — never who wrote it."""

    day: dt.date
    rating: int
    resolved: str
    text: str
    name: str
    name_en: str


def survey_summary(
    *, since: dt.date, until: dt.date, comments: int = 20
) -> tuple[list[SurveyLine], list[SurveyComment]]:
    """FBK-1: the answers to the survey after online consultations between ``since`` and ``until`` (Warsaw days,
    inclusive) per line (GROUP BY in the database) and the latest ``comments`` comments, without names."""
    answers = SurveyAnswer.objects.filter(
        answered_at__gte=clock.at_warsaw(since, dt.time.min),
        answered_at__lt=clock.at_warsaw(until + dt.timedelta(days=1), dt.time.min),
    )
    lines = [
        SurveyLine(
            name=row["consultation__line__name"] or "",
            name_en=row["consultation__line__name_en"] or "",
            count=row["count"],
            average=round(float(row["average"]), 2) if row["average"] is not None else None,
            resolved=row["resolved_count"],
        )
        for row in answers.values("consultation__line__name", "consultation__line__name_en")
        .annotate(
            count=Count("pk"),
            average=Avg("rating"),
            resolved_count=Count("pk", filter=Q(resolved=SurveyAnswer.Resolved.YES)),
        )
        .order_by("consultation__line__name")
    ]
    latest = [
        SurveyComment(
            day=clock.local(row["answered_at"]).date(),
            rating=row["rating"],
            resolved=row["resolved"],
            text=row["comment"],
            name=row["consultation__line__name"] or "",
            name_en=row["consultation__line__name_en"] or "",
        )
        for row in answers.exclude(comment="")
        .order_by("-answered_at", "-pk")
        .values(
            "answered_at", "rating", "resolved", "comment", "consultation__line__name", "consultation__line__name_en"
        )[:comments]
    ]
    return lines, latest
