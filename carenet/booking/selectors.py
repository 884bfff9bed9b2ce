"""Reads of appointments (STYLE: every query returning patient data goes through the patient or an access helper).

Who sees which appointment is the permission table's ``APPOINTMENT_VIEW`` (:mod:`carenet.accounts.permissions`):

* a patient — their own and their children's (under 18, ``Patient.guardian``);
* a call-centre operator and an administrator — any;
* a receptionist — the visits at their facility;
* a clinician — the visits of the patients they have a relationship with: a visit with them (CLN-6);
* a coordinator, partner-facility staff, anyone else — none.

Anyone else gets :class:`NotFound`, never a hint that the appointment exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, prefetch_related_objects

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.selectors import actor_for_user, actor_patient, minors_q
from carenet.booking import errors
from carenet.booking.models import Appointment, NoShowBlockLift
from carenet.booking.policies import PATIENT_CHANNELS, ActorProblem
from carenet.core import clock
from carenet.core.baked import BakedQuery, id_values, ids_of
from carenet.network.models import Service
from carenet.scheduling.models import Slot

Status = Appointment.Status

#: Statuses of a visit still to come (a hold is not a visit yet).
UPCOMING_STATUSES = (Status.BOOKED, Status.CHECKED_IN)

_RELATED = (
    "patient",
    "service",
    "slot",
    "slot__clinician",
    "slot__facility",
    "slot__facility__city",
    "slot__room",
    "slot__specialty",
    "booked_by",
)

#: What a visit list shows of the slot beyond its times: loaded with the slots of a page, by primary key.
_SLOT_DETAILS = ("clinician", "facility", "facility__city", "room", "specialty")


#: Statuses that make a relationship between a clinician and a patient (CLN-6): a visit booked, held to, or held —
#: not a hold, an expired hold or a cancelled booking.
RELATIONSHIP_STATUSES = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW, Status.REFUSED_LATE)


def related_patients_q(*, clinician_id: int, prefix: str = "") -> Q:
    """CLN-6: patients (``prefix`` ``"patient__"`` for related rows) who have a visit with this clinician."""
    related = Appointment.objects.filter(slot__clinician_id=clinician_id, status__in=RELATIONSHIP_STATUSES).values(
        "patient_id"
    )
    return Q(**{f"{prefix}pk__in": related})


def clinician_related_to(*, clinician_id: int, patient_id: int) -> bool:
    """CLN-6: whether the clinician has had (or has booked) a visit with the patient."""
    return Appointment.objects.filter(
        slot__clinician_id=clinician_id, patient_id=patient_id, status__in=RELATIONSHIP_STATUSES
    ).exists()


def _scoped(actor: Actor, action: Action) -> Q | None:
    """The appointments ``action`` reaches for ``actor`` as a condition, or ``None`` when it reaches none."""
    scope = actor.scope(action)
    if scope is None:
        return None
    if scope is Scope.ANY:
        return Q()
    if scope is Scope.OWN:
        return Q(patient_id__in=sorted(actor.family_ids))
    if scope is Scope.FACILITY:
        return Q(slot__facility_id=actor.facility_id)
    assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
    return related_patients_q(clinician_id=actor.clinician_id, prefix="patient__")


def appointments_visible_to(actor: User) -> QuerySet[Appointment]:
    """Every appointment ``actor`` may see (see the module docstring)."""
    condition = _scoped(actor_for_user(actor), Action.APPOINTMENT_VIEW)
    return Appointment.objects.none() if condition is None else Appointment.objects.filter(condition)


def appointment_list_visible(
    *, actor: User, patient: Patient, upcoming: bool, now: dt.datetime
) -> QuerySet[Appointment]:
    """:func:`appointment_list_for_patient` narrowed to what ``actor`` may see of this patient's visits: a
    receptionist sees only the visits at their own facility (the service of a visit elsewhere — psychiatry,
    gynaecology — is health data); the call centre all of them."""
    visits = appointment_list_for_patient(patient=patient, upcoming=upcoming, now=now)
    condition = _scoped(actor_for_user(actor), Action.APPOINTMENT_VIEW)
    return visits.none() if condition is None else visits.filter(condition)


def access_appointment(*, actor: User, appointment_id: int) -> Appointment:
    """The appointment if ``actor`` may see it, with what a page shows of it; otherwise :class:`NotFound`."""
    appointment = appointments_visible_to(actor).select_related(*_RELATED).filter(pk=appointment_id).first()
    if appointment is None:
        raise errors.appointment_not_found()
    return appointment


def access_patient(*, actor: User, patient_id: int, action: Action = Action.PATIENT_VIEW) -> Patient:
    """The patient if the table lets ``actor`` do ``action`` for them (by default: open their page): themselves or
    their child (patients); any (call centre, reception — whose visits elsewhere stay hidden —, admin); the
    patients a clinician has a visit with (CLN-6). Otherwise :class:`NotFound`, as for a patient that does not
    exist."""
    who = actor_for_user(actor)
    scope = who.scope(action)
    if scope is Scope.OWN and patient_id == who.patient_id:
        own = actor_patient(actor)  # read with the actor: no second query
        if own is not None:
            return own
    patients = Patient.objects.select_related("guardian")
    if scope is None:
        patients = patients.none()
    elif scope is Scope.OWN:
        patients = patients.filter(pk__in=sorted(who.family_ids))
    elif scope is Scope.RELATED:
        assert who.clinician_id is not None  # Actor.can() guarantees it for RELATED
        patients = patients.filter(related_patients_q(clinician_id=who.clinician_id))
    # FACILITY on a patient: any patient may come to the desk; their visits are narrowed by APPOINTMENT_VIEW.
    patient = patients.filter(pk=patient_id).first()
    if patient is None:
        raise errors.actor_error(ActorProblem.NOT_FOUND)
    return patient


def appointment_list_for_patient(*, patient: Patient, upcoming: bool, now: dt.datetime) -> QuerySet[Appointment]:
    """The patient's visits: upcoming (booked or checked in, not ended yet; earliest first) or the others —
    past, cancelled, missed — latest first. Holds (and expired holds) are not listed (ACC-3, ACC-4).

    The query reads the appointments joined with their slots only (the filter and the order need the slot's
    times): a join of every relation a row shows cost PostgreSQL several times more to plan than to run, on every
    page (issue 5, B4). Count and page this query set, then attach the rest of the rows actually shown with
    :func:`appointment_details_load`. Each row's ``patient`` is ``patient`` itself, attached without a query."""
    coming = Q(status__in=UPCOMING_STATUSES, slot__ends_at__gt=now)
    # The related manager hands ``patient`` to every row it reads (no query, no join for the patient).
    visits = patient.appointments.all()
    if upcoming:
        return visits.filter(coming).order_by("slot__starts_at", "id")
    return visits.exclude(coming).exclude(status__in=[Status.HELD, Status.EXPIRED]).order_by("-slot__starts_at", "-id")


def appointment_past_page(*, patient: Patient, now: dt.datetime, offset: int, limit: int) -> list[Appointment]:
    """A page of :func:`appointment_list_for_patient`'s past visits (``[offset:offset + limit]``), each with
    ``patient`` attached: the same rows in the same order, the statement compiled once per process and page ("Moje
    wizyty" reads one on every request, issue 16; count them with :func:`appointment_list_for_patient`)."""
    if limit <= 0:
        return []
    visits = _PAST_PAGE.all(shape=(offset, limit), patient_id=patient.pk, now=now)
    for visit in visits:
        visit.patient = patient
    return visits


def _past_page(shape: tuple[int, int], *, patient_id: int, now: dt.datetime) -> QuerySet[Appointment]:
    offset, limit = shape
    coming = Q(status__in=UPCOMING_STATUSES, slot__ends_at__gt=now)
    return (
        Appointment.objects.filter(patient_id=patient_id)
        .exclude(coming)
        .exclude(status__in=[Status.HELD, Status.EXPIRED])
        .order_by("-slot__starts_at", "-id")[offset : offset + limit]
    )


#: The page's offset and size are written into the SQL as numbers: a statement per page asked (kept: 32).
_PAST_PAGE = BakedQuery(Appointment, _past_page, kept_shapes=32)


def appointment_past_count(*, patient: Patient, now: dt.datetime) -> int:
    """How many past visits :func:`appointment_past_page` pages through (``appointment_list_for_patient(...,
    upcoming=False).count()``), the statement compiled once per process (issue 16: "Moje wizyty" counts them on
    every request)."""
    found = _PAST_COUNT.rows(patient_id=patient.pk, now=now)
    return int(found[0][0]) if found else 0


def _past_count(_shape: None, *, patient_id: int, now: dt.datetime) -> QuerySet[Appointment, Any]:
    # The past page's rows counted, grouped by the one patient: one row, or none when there are none.
    return (
        Appointment.objects.filter(patient_id=patient_id)
        .exclude(Q(status__in=UPCOMING_STATUSES, slot__ends_at__gt=now))
        .exclude(status__in=[Status.HELD, Status.EXPIRED])
        .order_by()
        .values("patient_id")
        .annotate(visits=Count("id"))
        .values_list("visits")
    )


_PAST_COUNT = BakedQuery(Appointment, _past_count)


def appointment_next_for_family(*, family: list[Patient], now: dt.datetime) -> tuple[Appointment | None, int]:
    """The family's next visit (as :func:`appointment_list_for_patient` orders the upcoming ones: earliest first,
    then by id), with its ``patient`` attached, and how many of the family have an upcoming visit (the dashboard).

    One query for one patient, two for a family, whatever its size; attach what the visit shows with
    :func:`appointment_details_load`."""
    by_id = {person.pk: person for person in family}
    if not by_id:
        return None, 0
    size, ids = id_values(by_id, prefix="patient")
    visit = _NEXT_FOR_FAMILY.first(shape=size, now=now, **ids)
    if visit is None:
        return None, 0
    visit.patient = by_id[visit.patient_id]
    if len(by_id) == 1:
        return visit, 1
    coming = Appointment.objects.filter(
        patient_id__in=sorted(by_id), status__in=UPCOMING_STATUSES, slot__ends_at__gt=now
    )
    return visit, coming.values("patient_id").distinct().count()


def _next_for_family(size: int, *, now: dt.datetime, **patient_ids: int) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        patient_id__in=ids_of(size, patient_ids, prefix="patient"), status__in=UPCOMING_STATUSES, slot__ends_at__gt=now
    ).order_by("slot__starts_at", "id")[:1]


#: PERF (issue 16): the dashboard's next visit, compiled once per process and family size (a power of two).
_NEXT_FOR_FAMILY = BakedQuery(Appointment, _next_for_family)


def appointment_planned_for_patient(*, patient: Patient, now: dt.datetime) -> list[Appointment]:
    """:func:`appointment_list_for_patient`'s upcoming visits as a list, each with ``patient`` attached: the same
    rows in the same order, the statement compiled once per process ("Moje wizyty" asks it for each of the family
    on every page, issue 16)."""
    visits = _PLANNED.all(patient_id=patient.pk, now=now)
    for visit in visits:
        visit.patient = patient
    return visits


def _planned(_shape: None, *, patient_id: int, now: dt.datetime) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        patient_id=patient_id, status__in=UPCOMING_STATUSES, slot__ends_at__gt=now
    ).order_by("slot__starts_at", "id")


_PLANNED = BakedQuery(Appointment, _planned)


def appointment_details_load(appointments: Iterable[Appointment], *, booked_by: bool = True) -> list[Appointment]:
    """The appointments, in their order, with what a visit list shows attached: the slot with its clinician,
    facility (and city), room and specialty; the service; the patient; who booked it (BKG-1) unless ``booked_by``
    is false (the patient's pages do not show it).

    At most four queries by primary key whatever the number of appointments — the slots with their details, the
    services, the patients, the users who booked — and none for what is attached already (a list's patient). The
    slots' and the services' statements are compiled once per process (issue 16: every visit list and the
    dashboard ask them)."""
    rows = list(appointments)
    slot_field, service_field = _SLOT_FIELD, _SERVICE_FIELD
    without_slot = [row for row in rows if not slot_field.is_cached(row)]
    with_slot = [row for row in rows if slot_field.is_cached(row)]
    if without_slot:
        size, values = id_values((row.slot_id for row in without_slot), prefix="slot")
        slots = {slot.pk: slot for slot in _SLOTS_WITH_DETAILS.all(shape=size, **values)}
        for row in without_slot:
            slot_field.set_cached_value(row, slots.get(row.slot_id))
    if with_slot:  # slots attached by the caller, perhaps without their details
        prefetch_related_objects(with_slot, *(f"slot__{name}" for name in _SLOT_DETAILS))
    without_service = [row for row in rows if not service_field.is_cached(row)]
    if without_service:
        size, values = id_values((row.service_id for row in without_service), prefix="service")
        services = {service.pk: service for service in _SERVICES.all(shape=size, **values)}
        for row in without_service:
            service_field.set_cached_value(row, services.get(row.service_id))
    prefetch_related_objects(rows, "patient", *(["booked_by"] if booked_by else []))
    return rows


def _slots_with_details(size: int, **slot_ids: int) -> QuerySet[Slot]:
    return Slot.objects.filter(pk__in=ids_of(size, slot_ids, prefix="slot")).select_related(*_SLOT_DETAILS).order_by()


def _services(size: int, **service_ids: int) -> QuerySet[Service]:
    return Service.objects.filter(pk__in=ids_of(size, service_ids, prefix="service")).order_by()


#: What the ORM's prefetch asks of a row: whether its slot and its service are attached already.
_SLOT_FIELD = Appointment._meta.get_field("slot")
_SERVICE_FIELD = Appointment._meta.get_field("service")
#: PERF (issue 16): the visits' slots with their details and their services by primary key, compiled once per
#: process and number of ids (a power of two: :func:`carenet.core.baked.id_values`).
_SLOTS_WITH_DETAILS = BakedQuery(Slot, _slots_with_details)
_SERVICES = BakedQuery(Service, _services)


def upcoming_for_sms_cancel(*, patient: Patient, now: dt.datetime) -> list[Appointment]:
    """CXL-2: the booked visits a NIE from this patient's phone may cancel, earliest first: the patient's own and
    those of their children who have no mobile of their own (their messages go to this phone). The query joins
    only what it filters on; the rest is attached by :func:`appointment_details_load`."""
    children = Q(patient__guardian=patient, patient__mobile="") & minors_q(
        today=clock.local(now).date(), prefix="patient__"
    )
    whose = Q(patient=patient) | children
    return appointment_details_load(
        Appointment.objects.filter(whose, status=Status.BOOKED, slot__starts_at__gt=now).order_by(
            "slot__starts_at", "id"
        )
    )


def active_portal_bookings_count(*, patient: Patient, now: dt.datetime, exclude_ids: tuple[int, ...] = ()) -> int:
    """ACC-3: the patient's held or booked visits still to come that were made in the portal or the mobile app."""
    return (
        Appointment.objects.filter(
            patient=patient,
            channel__in=[str(channel) for channel in PATIENT_CHANNELS],
            slot__ends_at__gt=now,
        )
        .filter(Q(status__in=UPCOMING_STATUSES) | Q(status=Status.HELD, hold_expires_at__gt=now))
        .exclude(pk__in=exclude_ids)
        .count()
    )


def no_show_times(*, patient: Patient, specialty_id: int, since: dt.datetime) -> tuple[dt.datetime, ...]:
    """BKG-5: the starts of the patient's no-shows in a specialty since ``since``; those before the latest lift of
    the block in that specialty (staff, with a reason) no longer count, and neither do on-demand online
    consultations without contact (TEL-2: their slot has no schedule).

    One query for what every booking asks (B3): the no-shows come first; the lifts are read only when there are
    no-shows to forget, which for nearly every patient there are not."""
    times = [row[0] for row in _NO_SHOWS.rows(patient_id=patient.pk, specialty_id=specialty_id, since=since)]
    if not times:
        return ()
    lifted = (
        NoShowBlockLift.objects.filter(patient=patient, specialty_id=specialty_id)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    return tuple(started for started in times if lifted is None or started >= lifted)


def _no_shows(_shape: None, *, patient_id: int, specialty_id: int, since: dt.datetime) -> QuerySet[Appointment, Any]:
    return (
        Appointment.objects.filter(
            patient_id=patient_id,
            status=Status.NO_SHOW,
            slot__specialty_id=specialty_id,
            slot__starts_at__gte=since,
            # TEL-2: an on-demand online consultation (a slot of no schedule) ended with no contact is not a missed
            # booking: a patient whose connection failed is not blocked from booking.
            slot__schedule__isnull=False,
        )
        .order_by("slot__starts_at")
        .values_list("slot__starts_at")
    )


#: Every booking asks for the no-shows (BKG-5): the statement is compiled once per process (issue 16).
_NO_SHOWS = BakedQuery(Appointment, _no_shows)


def patients_for_phone(*, phone: str) -> list[Patient]:
    """The patients whose own mobile is ``phone`` (E.164)."""
    return list(Patient.objects.filter(mobile=phone).order_by("id")) if phone else []


# --- What the patient's search remembers (issue 14, SCH-2) -----------------------------------------------------

#: Visits that say where and what the patient books: booked ones, kept, missed, or moved — not holds.
_BOOKED_STATUSES = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW, Status.REFUSED_LATE)


def city_of_last_booking(*, patient: Patient) -> int | None:
    """SCH-2: the city of the patient's latest booked visit at a facility (remote ones have no city), or ``None``."""
    found = _CITY_OF_LAST_BOOKING.rows(patient_id=patient.pk)
    return found[0][0] if found else None


def _city_of_last_booking(_shape: None, *, patient_id: int) -> QuerySet[Appointment, Any]:
    return (
        Appointment.objects.filter(
            patient_id=patient_id, status__in=(*_BOOKED_STATUSES, Status.CANCELLED), slot__facility__isnull=False
        )
        .order_by("-created_at", "-id")
        .values_list("slot__facility__city_id")[:1]
    )


#: PERF (issue 16): asked by the dashboard and the search form on every request; compiled once per process.
_CITY_OF_LAST_BOOKING = BakedQuery(Appointment, _city_of_last_booking)


#: "Your recent choices" on the search form are counted over this many of the patient's latest bookings.
RECENT_BOOKINGS = 50


def specialty_codes_most_booked(*, patient: Patient, limit: int = 4) -> list[str]:
    """SCH-2: the codes of the specialties the patient booked most among their latest :data:`RECENT_BOOKINGS`
    bookings (ties: the latest first), at most ``limit`` — the search form's "Your recent choices". Counting the
    latest bookings only keeps the question as cheap for a long history as for a short one (issue 16: the whole
    history of B4's patient with 200 visits took 0.8 ms of PostgreSQL on every search form)."""
    return [row[0] for row in _MOST_BOOKED.rows(shape=limit, patient_id=patient.pk)]


def _most_booked(limit: int, *, patient_id: int) -> QuerySet[Appointment, Any]:
    # The latest bookings by the (patient, -created_at, -id) index; grouped and ordered by the counts, which are not
    # selected: the rows are the codes alone (a values_list() query without annotations in its answer: baked).
    latest = (
        Appointment.objects.filter(patient_id=patient_id, status__in=_BOOKED_STATUSES)
        .order_by("-created_at", "-id")
        .values("pk")[:RECENT_BOOKINGS]
    )
    return (
        Appointment.objects.filter(pk__in=latest)
        .values("slot__specialty__code")
        .annotate(visits=Count("id"), latest=Max("created_at"))
        .order_by("-visits", "-latest")
        .values_list("slot__specialty__code")[:limit]
    )


#: PERF (issue 16): asked by the dashboard and the search form on every request; compiled once per process.
_MOST_BOOKED = BakedQuery(Appointment, _most_booked)
