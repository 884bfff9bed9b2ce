"""Reads of closures (NET-3): the coordinator's list and figures, the call centre's list, a patient's cancelled
visits and their alternatives — the same service at the nearest open facilities and by telemedicine, earliest
first. Counts are computed by the database (one aggregate per list), never by loading the notices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, CharField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment
from carenet.closures import errors
from carenet.closures.models import ClosureNotice
from carenet.closures.policies import Place, distance_km, nearest_first
from carenet.core.baked import BakedQuery, id_values, ids_of
from carenet.messaging.models import OutboundMessage
from carenet.network.models import Facility, FacilityClosure
from carenet.network.selectors import closures_of_slot
from carenet.scheduling.models import Mode, Slot

#: How far ahead alternatives are looked for, how many facilities and how many times each.
HORIZON = dt.timedelta(days=60)
NEAREST_FACILITIES = 3
TIMES_PER_FACILITY = 3
REMOTE_TIMES = 5
#: Facilities considered by distance before their times are read (a city's centres, the next city's …).
FACILITY_CANDIDATES = 400

_NOTICE_RELATED = (
    "closure",
    "closure__facility",
    "closure__facility__city",
    "closure__clinician",
    "patient",
    "patient__guardian",
    "appointment",
    "appointment__service",
    "appointment__service__specialty",
    "appointment__slot",
    "appointment__slot__clinician",
    "appointment__slot__facility",
    "appointment__slot__facility__city",
    "rebooked",
    "rebooked__slot",
    "rebooked__slot__facility",
    "called_by",
)


def _with_progress(closures: QuerySet[FacilityClosure]) -> QuerySet[FacilityClosure]:
    """The figures of the coordinator's page: visits moved, rebooked, still to call (not rebooked, not called)."""
    return closures.annotate(
        moved=Count("notices"),
        rebooked=Count("notices", filter=Q(notices__rebooked__isnull=False)),
        to_call=Count("notices", filter=Q(notices__rebooked__isnull=True, notices__called_at__isnull=True)),
        called=Count("notices", filter=Q(notices__rebooked__isnull=True, notices__called_at__isnull=False)),
    )


def closure_list(*, limit: int = 100) -> list[FacilityClosure]:
    closures = FacilityClosure.objects.select_related("facility", "facility__city", "clinician", "created_by")
    return list(_with_progress(closures).order_by("-starts_at", "-pk")[:limit])


def closure_detail(*, closure_id: int) -> FacilityClosure:
    closures = FacilityClosure.objects.select_related(
        "facility", "facility__city", "clinician", "created_by", "reopened_by"
    )
    closure = _with_progress(closures).filter(pk=closure_id).first()
    if closure is None:
        raise errors.closure_not_found()
    return closure


def closure_notices(*, closure_id: int, limit: int = 500) -> list[ClosureNotice]:
    """The closure's moved visits, those still to call first, then by the time of the cancelled visit."""
    notices = ClosureNotice.objects.filter(closure_id=closure_id).select_related(*_NOTICE_RELATED)
    return list(notices.order_by("rebooked_id", "called_at", "appointment__slot__starts_at", "pk")[:limit])


def _closure_sms_on_its_way() -> Exists:
    """The notice's patient has the closure's SMS (keyed ``closure:<closure>:patient:<patient>``), not failed."""
    key = Concat(
        Value("closure:"),
        Cast(OuterRef("closure_id"), CharField()),
        Value(":patient:"),
        Cast(OuterRef("patient_id"), CharField()),
        output_field=CharField(),
    )
    return Exists(
        OutboundMessage.objects.filter(key=key).exclude(
            status__in=(OutboundMessage.Status.FAILED, OutboundMessage.Status.UNDELIVERED)
        )
    )


def call_list(*, now: dt.datetime, limit: int = 300) -> list[ClosureNotice]:
    """NET-3: the moved patients who did not rebook within a day (``CARENET_CLOSURE_CALL_AFTER_HOURS``) — and, at
    once, those no SMS reached (no mobile, nor a guardian's; the message failed): the call is their only notice —
    those not called yet first, then those called (with the note), oldest first."""
    due = now - dt.timedelta(hours=settings.CARENET_CLOSURE_CALL_AFTER_HOURS)
    notices = ClosureNotice.objects.filter(
        Q(created_at__lte=due) | ~_closure_sms_on_its_way(), rebooked__isnull=True
    ).select_related(*_NOTICE_RELATED)
    # Those still to call first in the database's order, so that called patients (they stay on the list until they
    # rebook) never push them off the page.
    still_to_call = ExpressionWrapper(Q(called_at__isnull=True), output_field=BooleanField())
    return list(notices.order_by(still_to_call.desc(), "created_at", "pk")[:limit])


def notice_for_follow_up(*, notice_id: int) -> ClosureNotice:
    notice = ClosureNotice.objects.filter(pk=notice_id, rebooked__isnull=True).first()
    if notice is None:
        raise errors.notice_not_found()
    return notice


def access_notice(*, actor: User, notice_id: int) -> ClosureNotice:
    """The cancelled visit if ``actor`` may book for its patient (the patient, a parent; the call centre);
    otherwise :class:`NotFound`, as for one that does not exist."""
    notice = ClosureNotice.objects.select_related(*_NOTICE_RELATED).filter(pk=notice_id).first()
    if notice is None or not actor_for_user(actor).reaches(
        Action.APPOINTMENT_BOOK, patient_id=notice.patient_id, facility_id=notice.closure.facility_id
    ):
        raise errors.notice_not_found()
    return notice


def notices_for_patients(*, patient_ids: list[int], limit: int = 50) -> list[ClosureNotice]:
    """A patient's (and their children's) visits cancelled by closures, those not rebooked first, latest first."""
    notices = ClosureNotice.objects.filter(patient_id__in=patient_ids).select_related(*_NOTICE_RELATED)
    found = list(notices.order_by("-created_at", "-pk")[:limit])
    return [n for n in found if n.rebooked_id is None] + [n for n in found if n.rebooked_id is not None]


def open_notices_for_patients(*, patient_ids: list[int], since: dt.datetime, limit: int = 50) -> list[ClosureNotice]:
    """A patient's (and their children's) visits cancelled by closures since ``since`` and not rebooked, latest first.
    Asked on every "Moje wizyty" and dashboard (issue 16): the notices' ids come first from the notices alone, and
    their details (nine tables) are read by primary key only when there are any — the usual answer, none, costs
    one narrow query."""
    size, values = id_values(patient_ids, prefix="patient")
    if not size:
        return []
    ids = [row[0] for row in _OPEN_NOTICE_IDS.rows(shape=(size, limit), since=since, **values)]
    if not ids:
        return []
    return list(
        ClosureNotice.objects.filter(pk__in=ids).select_related(*_NOTICE_RELATED).order_by("-created_at", "-pk")
    )


def _open_notice_ids(shape: tuple[int, int], *, since: dt.datetime, **patient_ids: int) -> QuerySet[ClosureNotice, Any]:
    size, limit = shape
    return (
        ClosureNotice.objects.filter(
            patient_id__in=ids_of(size, patient_ids, prefix="patient"), rebooked__isnull=True, created_at__gte=since
        )
        .order_by("-created_at", "-pk")
        .values_list("pk")[:limit]
    )


#: PERF (issue 16): asked on every "Moje wizyty" and dashboard, compiled once per process and family size.
_OPEN_NOTICE_IDS = BakedQuery(ClosureNotice, _open_notice_ids)


@dataclass(frozen=True, slots=True)
class Alternative:
    slot: Slot
    distance_km: float | None = None


@dataclass(slots=True)
class Alternatives:
    """NET-3: in person at the nearest open facilities (nearest first, each earliest first), and by telemedicine."""

    in_person: list[Alternative] = field(default_factory=list)
    remote: list[Alternative] = field(default_factory=list)


def _free_open(now: dt.datetime) -> QuerySet[Slot]:
    return (
        Slot.objects.filter(is_free=True, starts_at__gt=now, starts_at__lt=now + HORIZON, schedule__isnull=False)
        .exclude(Exists(closures_of_slot()))
        .select_related("facility", "facility__city", "clinician", "specialty", "room")
    )


def alternatives(*, notice: ClosureNotice, now: dt.datetime) -> Alternatives:
    cancelled: Appointment = notice.appointment
    service = cancelled.service
    closed = notice.closure.facility
    found = Alternatives()
    in_person = _free_open(now).filter(
        mode=Mode.IN_PERSON,
        schedule__services=service,
        facility__kind=Facility.Kind.OWN,
        facility__is_active=True,
    )
    facility_ids = list(in_person.order_by().values_list("facility_id", flat=True).distinct()[:FACILITY_CANDIDATES])
    if facility_ids:
        origin = Place(closed.latitude or closed.city.latitude, closed.longitude or closed.city.longitude)
        places = Facility.objects.filter(pk__in=facility_ids).select_related("city")
        distances = {
            place.pk: distance_km(
                origin, Place(place.latitude or place.city.latitude, place.longitude or place.city.longitude)
            )
            for place in places
        }
        for facility_id in nearest_first(distances)[:NEAREST_FACILITIES]:
            for slot in in_person.filter(facility_id=facility_id).order_by("starts_at", "pk")[:TIMES_PER_FACILITY]:
                found.in_person.append(Alternative(slot=slot, distance_km=distances[facility_id]))
    if service.specialty_id is not None:
        remote = _free_open(now).filter(mode__in=[Mode.PHONE, Mode.VIDEO], specialty_id=service.specialty_id)
        found.remote = [Alternative(slot=slot) for slot in remote.order_by("starts_at", "pk")[:REMOTE_TIMES]]
    return found
