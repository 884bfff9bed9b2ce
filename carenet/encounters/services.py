"""The clinician's changes to a visit (CLN-5, TEL-1, CHK-5): complete it, record that the patient did not come,
record a phone consultation's call attempt, and issue documents during it. Each takes the acting user, asks the
permission table (``VISIT_CLOSE``, ``CALL_RECORD``, ``DOCUMENT_ISSUE``) and requires the visit's own clinician;
the rules are :mod:`carenet.encounters.policies`.

Concurrency: each change locks the appointment row and re-reads its status, so a double click acts once and the
second says so."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.arrival import services as arrival
from carenet.booking.errors import appointment_not_found
from carenet.booking.models import Appointment
from carenet.booking.selectors import clinician_related_to
from carenet.core import clock
from carenet.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from carenet.core.validation import text_problem
from carenet.encounters import policies
from carenet.encounters.models import CallAttempt
from carenet.encounters.policies import EncounterCode, VisitFacts
from carenet.encounters.selectors import not_reached_count

Status = Appointment.Status

ENCOUNTER_MESSAGES: dict[EncounterCode, Promise] = {
    EncounterCode.CANCELLED: _("This visit was cancelled."),
    EncounterCode.ALREADY_COMPLETED: _("This visit is already completed; nothing changed."),
    EncounterCode.NO_SHOW: _("This visit is already recorded as a no-show; nothing changed."),
    EncounterCode.NOT_ACTIVE: _("This visit is not booked any more."),
    EncounterCode.TOO_EARLY: _("A visit can be closed from 15 minutes before its start."),
    EncounterCode.NOT_PHONE: _("This is not a phone consultation."),
    EncounterCode.CALL_DAY_OVER: _("Calls are recorded until the end of the visit's day."),
    EncounterCode.NOT_REACHED_TOO_FEW: _(
        "A phone consultation is closed as a no-show after the patient was not reached twice."
    ),
    EncounterCode.ISSUE_TOO_EARLY: _("Documents can be issued from 30 minutes before the visit."),
    EncounterCode.ISSUE_TOO_LATE: _("Documents of this visit could be issued until the end of the next day."),
}
NOTE_MAX = 300


class EncounterRefused(ApplicationError):
    """The clinician's action breaks a rule; ``code`` is an :class:`EncounterCode`."""

    status_code = 409
    default_code = "encounter_refused"

    @classmethod
    def of(cls, code: EncounterCode) -> EncounterRefused:
        return cls(ENCOUNTER_MESSAGES[code], code=code.value)


def facts_of(appointment: Appointment, now: dt.datetime) -> VisitFacts:
    """The facts the rules of :mod:`carenet.encounters.policies` decide on (pages ask them to offer a button)."""
    slot = appointment.slot
    return VisitFacts(
        status=appointment.status,
        starts_at=slot.starts_at,
        local_day=clock.local(slot.starts_at).date(),
        now=now,
        today=clock.local(now).date(),
        mode=slot.mode,
    )


def _lock(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=appointment_id).first()
    )
    if appointment is None:
        raise appointment_not_found()
    return appointment


def _check_own(actor: User, appointment: Appointment, action: Action) -> None:
    """The table grants ``action`` and the actor is the clinician of the visit. A clinician without a relationship
    to the patient does not see the visit (404); a related one may read it but not act (403); others 403."""
    who = actor_for_user(actor)
    if not who.can(action):
        raise PermissionDenied(_("Only the clinician of this visit records how it went."), code="forbidden")
    if who.clinician_id is not None and who.clinician_id == appointment.slot.clinician_id:
        return
    if who.clinician_id is not None and clinician_related_to(
        clinician_id=who.clinician_id, patient_id=appointment.patient_id
    ):
        raise PermissionDenied(_("Only the clinician of this visit records how it went."), code="forbidden")
    raise appointment_not_found()


def visit_complete(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> Appointment:
    """The clinician marks their visit completed — in person (checked in or not), phone or video — from 15 minutes
    before its start. A second time changes nothing and is refused with ``already_completed``."""
    now = now or clock.now()
    with transaction.atomic():
        appointment = _lock(appointment_id)
        _check_own(actor, appointment, Action.VISIT_CLOSE)
        problem = policies.complete_refusal(facts_of(appointment, now))
        if problem is not None:
            raise EncounterRefused.of(problem)
        appointment.status = Status.COMPLETED
        appointment.outcome_recorded_at = now
        appointment.outcome_recorded_by = actor
        appointment.save(update_fields=["status", "outcome_recorded_at", "outcome_recorded_by"])
        return appointment


def visit_no_show(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> Appointment:
    """CHK-5: the clinician records that the patient did not come (or, TEL-1, was not reached twice on the phone):
    the arrival service records it, as reception's no-show (it counts for BKG-5)."""
    now = now or clock.now()
    appointment = Appointment.objects.select_related("slot").filter(pk=appointment_id).first()
    if appointment is None:
        raise appointment_not_found()
    _check_own(actor, appointment, Action.VISIT_CLOSE)
    if appointment.status == Status.BOOKED:
        problem = policies.phone_no_show_refusal(
            mode=appointment.slot.mode, not_reached=not_reached_count(appointment_id=appointment.pk)
        )
        if problem is not None:
            raise EncounterRefused.of(problem)
    try:
        return arrival.appointment_mark_no_show(actor=actor, appointment_id=appointment.pk, now=now)
    except arrival.ArrivalRefused as refusal:
        if refusal.code == "appointment_no_show":
            raise EncounterRefused.of(EncounterCode.NO_SHOW) from refusal
        if refusal.code == "already_checked_in":
            raise EncounterRefused(
                _("The patient is checked in: complete the visit instead."), code="already_checked_in"
            ) from refusal
        raise EncounterRefused(refusal.message, code=refusal.code) from refusal


def call_record(
    *, actor: User, appointment_id: int, outcome: str, note: str = "", now: dt.datetime | None = None
) -> CallAttempt:
    """TEL-1: record one try to call the patient of the clinician's phone consultation. "Called" completes the
    visit."""
    now = now or clock.now()
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationFailed(_("Choose how the call went."), code="invalid_outcome")
    note = note.strip()
    if len(note) > NOTE_MAX or text_problem(note):
        raise ValidationFailed(_("The note is too long or contains characters that cannot be stored."), code="note")
    with transaction.atomic():
        appointment = _lock(appointment_id)
        _check_own(actor, appointment, Action.CALL_RECORD)
        problem = policies.call_refusal(facts_of(appointment, now))
        if problem is not None:
            raise EncounterRefused.of(problem)
        attempt = CallAttempt.objects.create(appointment=appointment, outcome=outcome, at=now, by=actor, note=note)
        if outcome == CallAttempt.Outcome.CALLED:
            appointment.status = Status.COMPLETED
            appointment.outcome_recorded_at = now
            appointment.outcome_recorded_by = actor
            appointment.save(update_fields=["status", "outcome_recorded_at", "outcome_recorded_by"])
        return attempt
