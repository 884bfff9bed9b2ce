"""Reads of appointments (STYLE: every query returning patient data goes through the patient or an access helper).

Visibility of an appointment (:func:`access_appointment`):

* patient — their own and their children's (``Patient.guardian``);
* call-centre operator and administrator — any;
* receptionist — the visits at their facility;
* clinician — the visits in their own slots;
* coordinator — none: coordinators see aggregates (BEY-4), not patients' visits.

Anyone else gets :class:`NotFound`, never a hint that the appointment exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from carenet.accounts.models import Patient, User
from carenet.accounts.selectors import ADULT_AGE, minors_q
from carenet.booking import errors
from carenet.booking.models import Appointment, NoShowBlockLift
from carenet.booking.policies import PATIENT_CHANNELS, ActorProblem
from carenet.core import clock
from carenet.core.dates import age_on
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


def appointments_visible_to(actor: User) -> QuerySet[Appointment]:
    """Every appointment ``actor`` may see (see the module docstring)."""
    base = Appointment.objects.all()
    if not actor.is_authenticated or not actor.is_active:
        return base.none()
    role = actor.role
    if role in (User.Role.CALL_CENTRE, User.Role.ADMIN):
        return base
    if role == User.Role.RECEPTIONIST:
        return base.filter(slot__facility_id=actor.facility_id) if actor.facility_id else base.none()
    if role == User.Role.CLINICIAN:
        return base.filter(slot__clinician__user=actor)
    if role == User.Role.PATIENT:
        patient_id = Patient.objects.filter(user=actor).values_list("pk", flat=True).first()
        if patient_id is None:
            return base.none()
        children = Q(patient__guardian_id=patient_id) & minors_q(today=clock.today(), prefix="patient__")
        return base.filter(Q(patient_id=patient_id) | children)
    return base.none()


def access_appointment(*, actor: User, appointment_id: int) -> Appointment:
    """The appointment if ``actor`` may see it, with what a page shows of it; otherwise :class:`NotFound`."""
    appointment = appointments_visible_to(actor).select_related(*_RELATED).filter(pk=appointment_id).first()
    if appointment is None:
        raise errors.appointment_not_found()
    return appointment


def access_patient(*, actor: User, patient_id: int) -> Patient:
    """The patient if ``actor`` may book for them: themselves or their child (patients); anyone (call centre,
    reception — limited to its facility's slots by the booking rules —, admin). Otherwise :class:`NotFound`."""
    patients = Patient.objects.select_related("guardian")
    if actor.role == User.Role.PATIENT:
        patients = patients.filter(Q(user=actor) | (Q(guardian__user=actor) & minors_q(today=clock.today())))
    elif actor.role not in (User.Role.CALL_CENTRE, User.Role.RECEPTIONIST, User.Role.ADMIN):
        patients = patients.none()
    patient = patients.filter(pk=patient_id).first() if actor.is_authenticated and actor.is_active else None
    if patient is None:
        raise errors.actor_error(ActorProblem.NOT_FOUND)
    return patient


def actor_is_patient_or_guardian(*, actor: User, patient: Patient) -> bool:
    """Whether the user is the patient's own login or their guardian's."""
    if actor.pk is None:
        return False
    if patient.user_id == actor.pk:
        return True
    return (
        patient.guardian_id is not None
        and age_on(patient.birth_date, clock.today()) < ADULT_AGE
        and Patient.objects.filter(pk=patient.guardian_id, user=actor).exists()
    )


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


def appointment_details_load(appointments: Iterable[Appointment]) -> list[Appointment]:
    """The appointments, in their order, with what a visit list shows attached: the slot with its clinician,
    facility (and city), room and specialty; the service; the patient; who booked it (BKG-1).

    At most four queries by primary key whatever the number of appointments — the slots with their details, the
    services, the patients, the users who booked — and none for what is attached already (a list's patient)."""
    rows = list(appointments)
    prefetch_related_objects(
        rows,
        Prefetch("slot", queryset=Slot.objects.select_related(*_SLOT_DETAILS)),
        *(f"slot__{name}" for name in _SLOT_DETAILS),  # only for slots attached without their details
        "service",
        "patient",
        "booked_by",
    )
    return rows


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
    the block in that specialty (staff, with a reason) no longer count.

    One query for what every booking asks (B3): the no-shows come first; the lifts are read only when there are
    no-shows to forget, which for nearly every patient there are not."""
    times = list(
        Appointment.objects.filter(
            patient=patient, status=Status.NO_SHOW, slot__specialty_id=specialty_id, slot__starts_at__gte=since
        )
        .order_by("slot__starts_at")
        .values_list("slot__starts_at", flat=True)
    )
    if not times:
        return ()
    lifted = (
        NoShowBlockLift.objects.filter(patient=patient, specialty_id=specialty_id)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    return tuple(started for started in times if lifted is None or started >= lifted)


def patients_for_phone(*, phone: str) -> list[Patient]:
    """The patients whose own mobile is ``phone`` (E.164)."""
    return list(Patient.objects.filter(mobile=phone).order_by("id")) if phone else []
