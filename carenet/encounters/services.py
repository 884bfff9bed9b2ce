"""The clinician's changes to a visit (CLN-5, TEL-1, CHK-5): complete it, record that the patient did not come,
record a phone consultation's call attempt, and issue documents during it. Each takes the acting user, asks the
permission table (``VISIT_CLOSE``, ``CALL_RECORD``, ``DOCUMENT_ISSUE``) and requires the visit's own clinician;
the rules are :mod:`carenet.encounters.policies`.

Concurrency: each change locks the appointment row and re-reads its status, so a double click acts once and the
second says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

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
from carenet.clinical import services as clinical
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, SickLeave
from carenet.core import clock
from carenet.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from carenet.core.validation import text_problem
from carenet.encounters import policies
from carenet.encounters.models import CallAttempt
from carenet.encounters.policies import EncounterCode, VisitFacts
from carenet.encounters.selectors import EXAM_KINDS, issuing_facility, not_reached_count
from carenet.network.models import Clinician, Facility, Service, Specialty

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

_Doc = TypeVar("_Doc", Referral, Prescription, SickLeave, Recommendation)


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


# --- CLN-5: documents issued during the visit --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Issuing:
    appointment: Appointment
    clinician: Clinician
    facility: Facility


def _issuing(actor: User, appointment_id: int, now: dt.datetime) -> _Issuing:
    """The visit's own clinician (``DOCUMENT_ISSUE``), within the issuing window; the facility the documents name:
    the visit's, or for a phone or video consultation the clinician's own network facility."""
    appointment = (
        Appointment.objects.select_related("slot", "slot__facility", "slot__clinician", "patient")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise appointment_not_found()
    _check_own(actor, appointment, Action.DOCUMENT_ISSUE)
    problem = policies.issue_refusal(facts_of(appointment, now))
    if problem is not None:
        raise EncounterRefused.of(problem)
    clinician = appointment.slot.clinician
    facility = appointment.slot.facility or issuing_facility(clinician_id=clinician.pk)
    if facility is None:
        raise ValidationFailed(
            _("The clinician works at no network facility to issue documents from."), code="facility"
        )
    return _Issuing(appointment=appointment, clinician=clinician, facility=facility)


def _earlier(model: type[_Doc], supersedes_id: int | None, appointment: Appointment) -> _Doc | None:
    """The version a correction replaces: one of this patient's documents of the same kind, or a refusal."""
    if supersedes_id is None:
        return None
    found = model.objects.filter(pk=supersedes_id, patient_id=appointment.patient_id).first()
    if found is None:
        raise ValidationFailed(_("There is no such document of this patient to correct."), code="correction_not_found")
    return found


def visit_issue_referral(
    *,
    actor: User,
    appointment_id: int,
    service_id: int,
    valid_until: dt.date | None = None,
    note: str = "",
    supersedes_id: int | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """CLN-1, CLN-5: an e-referral issued during the visit to a bookable service."""
    now = now or clock.now()
    issuing = _issuing(actor, appointment_id, now)
    service = Service.objects.filter(pk=service_id, is_bookable=True).first()
    if service is None:
        raise ValidationFailed(_("Choose a service to refer to."), code="referral_service")
    return clinical.referral_issue(
        clinician=issuing.clinician,
        patient=issuing.appointment.patient,
        service=service,
        facility=issuing.facility,
        appointment_id=issuing.appointment.pk,
        valid_until=valid_until,
        note=note,
        supersedes=_earlier(Referral, supersedes_id, issuing.appointment),
        now=now,
    )


def visit_issue_prescription(
    *,
    actor: User,
    appointment_id: int,
    drug_id: int,
    dose: str,
    quantity: int,
    reimbursement: str,
    supersedes_id: int | None = None,
    now: dt.datetime | None = None,
) -> Prescription:
    """CLN-5, SMS-1: an e-prescription issued during the visit (the patient gets its code by SMS)."""
    now = now or clock.now()
    issuing = _issuing(actor, appointment_id, now)
    drug = Drug.objects.filter(pk=drug_id).first()
    if drug is None:
        raise ValidationFailed(_("Choose a drug from the catalogue."), code="prescription_drug")
    return clinical.prescription_issue(
        clinician=issuing.clinician,
        patient=issuing.appointment.patient,
        facility=issuing.facility,
        drug=drug,
        dose=dose,
        quantity=quantity,
        reimbursement=reimbursement,
        appointment_id=issuing.appointment.pk,
        supersedes=_earlier(Prescription, supersedes_id, issuing.appointment),
        now=now,
    )


def visit_issue_sick_leave(
    *,
    actor: User,
    appointment_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    employer_nip: str,
    reason_code: str = "",
    indication: str = "2",
    diagnosis_code: str = "",
    supersedes_id: int | None = None,
    now: dt.datetime | None = None,
) -> SickLeave:
    """CLN-5: a sick leave (e-ZLA) issued during the visit."""
    now = now or clock.now()
    issuing = _issuing(actor, appointment_id, now)
    return clinical.sick_leave_issue(
        clinician=issuing.clinician,
        patient=issuing.appointment.patient,
        facility=issuing.facility,
        starts_on=starts_on,
        ends_on=ends_on,
        employer_nip=employer_nip,
        reason_code=reason_code,
        indication=indication,
        diagnosis_code=diagnosis_code,
        appointment_id=issuing.appointment.pk,
        supersedes=_earlier(SickLeave, supersedes_id, issuing.appointment),
        now=now,
    )


def visit_issue_recommendation(
    *,
    actor: User,
    appointment_id: int,
    text: str,
    in_person_visit: bool = False,
    in_person_specialty_id: int | None = None,
    exam_ids: Iterable[int] = (),
    supersedes_id: int | None = None,
    now: dt.datetime | None = None,
) -> Recommendation:
    """CLN-5, CLN-3: a recommendation issued during the visit — text, an in-person visit in a specialty, exams."""
    now = now or clock.now()
    issuing = _issuing(actor, appointment_id, now)
    specialty = None
    if in_person_specialty_id is not None:
        specialty = Specialty.objects.filter(pk=in_person_specialty_id).first()
        if specialty is None:
            raise ValidationFailed(_("Choose a specialty."), code="recommendation_specialty")
    wanted = sorted(set(exam_ids))
    exams = list(Service.objects.filter(pk__in=wanted, kind__in=EXAM_KINDS))
    if len(exams) != len(wanted):
        raise ValidationFailed(_("Choose exams from the list."), code="recommendation_exams")
    return clinical.recommendation_issue(
        clinician=issuing.clinician,
        patient=issuing.appointment.patient,
        facility=issuing.facility,
        text=text,
        in_person_visit=in_person_visit,
        in_person_specialty=specialty,
        exams=exams,
        appointment_id=issuing.appointment.pk,
        supersedes=_earlier(Recommendation, supersedes_id, issuing.appointment),
        now=now,
    )
