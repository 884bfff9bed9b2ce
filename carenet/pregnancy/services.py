"""Pregnancy care use cases (BKG-7): recording where a pregnancy is led and ending it; filing a request for pregnancy
care elsewhere; resolving it with a visit or with a reason. Each takes the acting
:class:`~carenet.accounts.permissions.Actor` and asks the permission table first; a refused call changes nothing.

A request is resolved once: its row is locked (``select_for_update``) and its status checked under the lock. The
patient is told by one SMS (outbox key ``pregnancy-request-resolved:pregnancyrequest:<id>``), written in the
resolution's transaction (SMS-3).

Resolving with a visit: booking sits above this app, so the caller passes the booking as ``book`` (a call of
:func:`carenet.booking.services.appointment_book` under PREGNANCY_REQUEST_RESOLVE) and this service runs it inside
its own transaction. An in-person visit makes its facility one where the pregnancy is led (recorded first, in the
same transaction): the network organised the care there, so the booking rule lets the patient book there from now
on. A refused booking rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.core.phones import phone_or_none
from carenet.core.validation import text_problem
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import City, Clinician, Facility
from carenet.pregnancy import policies
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.pregnancy.policies import RequestProblem
from carenet.pregnancy.selectors import open_care_q
from carenet.pregnancy.sms_wording import request_booked_text, request_declined_text

MESSAGES = {
    RequestProblem.NAME_REQUIRED: _("Give the patient's name."),
    RequestProblem.NAME_TOO_LONG: _("The name can have at most 150 characters."),
    RequestProblem.PHONE_INVALID: _("Give a phone number we can call or text, e.g. 601 234 567."),
    RequestProblem.CITY_REQUIRED: _("Choose the city where the patient wants the visit."),
    RequestProblem.MODE_INVALID: _("Choose a visit in person or by telemedicine."),
    RequestProblem.NOTE_TOO_LONG: _("The note can have at most 500 characters."),
    RequestProblem.REASON_REQUIRED: _("Give the reason: the patient receives it by SMS."),
    RequestProblem.REASON_TOO_LONG: _("The reason can have at most 500 characters."),
    RequestProblem.ALREADY_RESOLVED: _("This request has already been resolved."),
    RequestProblem.ALREADY_OPEN: _(
        "A request for this patient is already waiting for a coordinator; they will call the number given there."
    ),
    RequestProblem.CARE_ALREADY_RECORDED: _("This pregnancy is already recorded as led at this facility."),
    RequestProblem.CARE_ALREADY_ENDED: _("This pregnancy care has already ended."),
    RequestProblem.WRONG_PLACE: _(
        "Choose a visit where the patient asked for it: in person in the wanted city, or by telemedicine."
    ),
}


def refused(problem: RequestProblem) -> ApplicationError:
    """The typed error of a problem: 409 when it lost to the state of things, 422 for bad input."""
    if problem in (
        RequestProblem.ALREADY_RESOLVED,
        RequestProblem.ALREADY_OPEN,
        RequestProblem.CARE_ALREADY_RECORDED,
        RequestProblem.CARE_ALREADY_ENDED,
    ):
        return Conflict(MESSAGES[problem], code=problem.value)
    return ValidationFailed(MESSAGES[problem], code=problem.value)


def _role_not_allowed() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def _patient_not_found() -> NotFound:
    return NotFound(_("No such patient."), code="patient_not_found")


def _request_not_found() -> NotFound:
    return NotFound(_("No such pregnancy-care request."), code="pregnancy_request_not_found")


def _text(value: object) -> str:
    text = value if isinstance(value, str) else ""
    if text_problem(text) is not None:
        raise ValidationFailed(_("The text contains characters that cannot be stored."), code="invalid_text")
    return text.strip()


# --- Where a pregnancy is led ------------------------------------------------------------------------------------


def pregnancy_care_record(
    *,
    actor: Actor,
    patient_id: int,
    facility_id: int,
    clinician_id: int | None = None,
    related: bool = False,
    now: dt.datetime | None = None,
) -> PregnancyCare:
    """BKG-7: record that the patient's pregnancy is led at ``facility_id`` from today — by the clinician leading
    it (``related``: they have a visit with her, the caller asked the database) or a coordinator. 403
    ``role_not_allowed``; 404 ``patient_not_found``, ``facility_not_found``; 409 ``pregnancy_care_already_recorded``.
    """
    if not actor.can(Action.PREGNANCY_CARE_RECORD) or actor.user_id is None:
        raise _role_not_allowed()
    if not actor.reaches(Action.PREGNANCY_CARE_RECORD, patient_id=patient_id, related=related):
        raise _patient_not_found()
    today = clock.local(now or clock.now()).date()
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise _patient_not_found()
        if not Facility.objects.filter(pk=facility_id, is_active=True).exists():
            raise NotFound(_("No such facility."), code="facility_not_found")
        if clinician_id is not None and not Clinician.objects.filter(pk=clinician_id).exists():
            clinician_id = None
        if PregnancyCare.objects.filter(open_care_q(today), patient_id=patient_id, facility_id=facility_id).exists():
            raise refused(RequestProblem.CARE_ALREADY_RECORDED)
        return PregnancyCare.objects.create(
            patient=patient,
            facility_id=facility_id,
            clinician_id=clinician_id,
            started_on=today,
            recorded_by_id=actor.user_id,
        )


def pregnancy_care_end(
    *, actor: Actor, care_id: int, related: bool = False, now: dt.datetime | None = None
) -> PregnancyCare:
    """BKG-7: the pregnancy is no longer led there (from today): the booking rule stops applying to it. 404
    ``pregnancy_care_not_found`` (also for a care the actor may not reach); 409 ``pregnancy_care_ended``."""
    if not actor.can(Action.PREGNANCY_CARE_RECORD):
        raise _role_not_allowed()
    today = clock.local(now or clock.now()).date()
    with transaction.atomic():
        care = PregnancyCare.objects.select_for_update().filter(pk=care_id).first()
        if care is None or not actor.reaches(Action.PREGNANCY_CARE_RECORD, patient_id=care.patient_id, related=related):
            raise NotFound(_("No such record of pregnancy care."), code="pregnancy_care_not_found")
        if not policies.care_is_open(started_on=care.started_on, ended_on=care.ended_on, day=today):
            raise refused(RequestProblem.CARE_ALREADY_ENDED)
        care.ended_on = max(today, care.started_on)
        care.save(update_fields=["ended_on"])
        return care


# --- Requests ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestForm:
    """What the patient or the call centre types (raw; checked by :func:`pregnancy_request_file`)."""

    name: str
    phone: str
    wanted_city_id: int | None
    mode: str
    failed_facility_id: int | None = None
    note: str = ""


def pregnancy_request_file(
    *,
    actor: Actor,
    patient_id: int,
    form: RequestForm,
    door: Channel | None = None,
    now: dt.datetime | None = None,
) -> PregnancyRequest:
    """BKG-7: file a request for pregnancy care elsewhere for the coordinators' queue. 403 ``role_not_allowed``;
    404 ``patient_not_found``; 422 the :class:`RequestProblem` codes, ``invalid_text``; 409
    ``pregnancy_request_already_open`` (one open request per patient at a time)."""
    del now
    if not actor.can(Action.PREGNANCY_REQUEST_FILE) or actor.user_id is None:
        raise _role_not_allowed()
    if not actor.reaches(Action.PREGNANCY_REQUEST_FILE, patient_id=patient_id):
        raise _patient_not_found()
    channel = actor.channel(Action.PREGNANCY_REQUEST_FILE, door=door)
    if channel is None:
        raise _role_not_allowed()
    name, note, mode = _text(form.name), _text(form.note), _text(form.mode)
    phone = phone_or_none(_text(form.phone)) if form.phone else None
    city = City.objects.filter(pk=form.wanted_city_id).first() if form.wanted_city_id is not None else None
    problem = policies.request_problem(
        name=name, phone_valid=phone is not None, city_given=city is not None, mode=mode, note=note
    )
    if problem is not None:
        raise refused(problem)
    assert phone is not None and city is not None  # request_problem refused anything else
    failed = None
    if form.failed_facility_id is not None:
        failed = Facility.objects.filter(pk=form.failed_facility_id).first()
        if failed is None:
            raise NotFound(_("No such facility."), code="facility_not_found")
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise _patient_not_found()
        if PregnancyRequest.objects.filter(patient=patient, status=PregnancyRequest.Status.OPEN).exists():
            raise refused(RequestProblem.ALREADY_OPEN)
        return PregnancyRequest.objects.create(
            patient=patient,
            name=name,
            phone=phone,
            failed_facility=failed,
            wanted_city=city,
            mode=mode,
            note=note,
            channel=channel.value,
            filed_by_id=actor.user_id,
        )


class BookedVisit(Protocol):
    """What this service reads of the visit the booking service made (booking.Appointment)."""

    pk: Any
    slot: Any


@dataclass(frozen=True, slots=True)
class SlotPlace:
    """Where the slot to book is (read by the caller from the slot): its facility, city, clinician and whether the
    visit is remote (phone or video)."""

    facility_id: int | None
    city_id: int | None
    clinician_id: int | None
    remote: bool


def _lock_open_request(actor: Actor, request_id: int) -> PregnancyRequest:
    found = PregnancyRequest.objects.select_for_update().filter(pk=request_id).first()
    if found is None or not actor.reaches(Action.PREGNANCY_REQUEST_RESOLVE, patient_id=found.patient_id):
        raise _request_not_found()
    return found


def _check_resolver(actor: Actor) -> int:
    """The resolving user's id (403 ``role_not_allowed`` for anyone the table does not let resolve)."""
    if not actor.can(Action.PREGNANCY_REQUEST_RESOLVE) or actor.user_id is None:
        raise _role_not_allowed()
    return actor.user_id


def pregnancy_request_book(
    *,
    actor: Actor,
    request_id: int,
    place: SlotPlace,
    book: Callable[[Patient], BookedVisit],
    now: dt.datetime | None = None,
) -> PregnancyRequest:
    """BKG-7: resolve the request with a visit — in person in the wanted city, or by telemedicine, as asked. The
    booking's own refusals (BKG-3) and a lost slot propagate and change nothing. 403 ``role_not_allowed``; 404
    ``pregnancy_request_not_found``; 409 ``pregnancy_request_resolved``; 422 ``pregnancy_booking_wrong_place``."""
    user_id = _check_resolver(actor)
    now = now or clock.now()
    with transaction.atomic():
        found = _lock_open_request(actor, request_id)
        if found.status != PregnancyRequest.Status.OPEN:
            raise refused(RequestProblem.ALREADY_RESOLVED)
        problem = policies.booking_place_problem(
            mode=found.mode, wanted_city_id=found.wanted_city_id, slot_city_id=place.city_id, remote=place.remote
        )
        if problem is not None:
            raise refused(problem)
        patient = found.patient
        today = clock.local(now).date()
        if (
            not place.remote
            and place.facility_id is not None
            and not PregnancyCare.objects.filter(
                open_care_q(today), patient=patient, facility_id=place.facility_id
            ).exists()
        ):
            PregnancyCare.objects.create(
                patient=patient,
                facility_id=place.facility_id,
                clinician_id=place.clinician_id,
                started_on=today,
                recorded_by_id=user_id,
            )
        visit = book(patient)
        if visit.slot.facility_id != place.facility_id:
            raise refused(RequestProblem.WRONG_PLACE)  # the caller booked another slot than it described
        found.status = PregnancyRequest.Status.BOOKED
        found.appointment_id = visit.pk
        found.resolved_by_id = actor.user_id
        found.resolved_at = now
        found.save(update_fields=["status", "appointment", "resolved_by", "resolved_at"])
        facility = visit.slot.facility
        where = (
            str(_("telemedicine (we will call you)"))
            if place.remote or facility is None
            else f"{facility.name}, {facility.address}"
        )
        _tell_patient(found, body=request_booked_text(starts_at=visit.slot.starts_at, where=where))
    return found


def pregnancy_request_decline(
    *, actor: Actor, request_id: int, reason: str, now: dt.datetime | None = None
) -> PregnancyRequest:
    """BKG-7: resolve the request with a reason the patient receives by SMS. 403 ``role_not_allowed``; 404
    ``pregnancy_request_not_found``; 409 ``pregnancy_request_resolved``; 422 ``pregnancy_reason_required``,
    ``pregnancy_reason_too_long``, ``invalid_text``."""
    _check_resolver(actor)
    reason = _text(reason)
    now = now or clock.now()
    with transaction.atomic():
        found = _lock_open_request(actor, request_id)
        problem = policies.decline_problem(status=found.status, reason=reason)
        if problem is not None:
            raise refused(problem)
        found.status = PregnancyRequest.Status.DECLINED
        found.reason = reason
        found.resolved_by_id = actor.user_id
        found.resolved_at = now
        found.save(update_fields=["status", "reason", "resolved_by", "resolved_at"])
        _tell_patient(found, body=request_declined_text(reason=reason))
    return found


def _tell_patient(found: PregnancyRequest, *, body: str) -> None:
    """One SMS to the phone given in the request, exactly once (SMS-3)."""
    outbox_enqueue(
        key=f"pregnancy-request-resolved:pregnancyrequest:{found.pk}",
        purpose="pregnancy_request_resolved",
        channel=MessageChannel.SMS,
        recipient=found.phone,
        body=body,
        patient=found.patient,
    )
