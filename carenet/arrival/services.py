"""Arrival use cases (CHK-1..5, CHK-3 SMS question, CHK-4 check-in page, BKG-5 lifting). Every front door — the
reception day list, the SMS reply TAK, the "jestem" page — calls these.

Concurrency: each change locks the appointment row (``select_for_update``; on SQLite the IMMEDIATE transaction
queues writers) and re-reads its status, so a double check-in, or a check-in racing the no-show sweep, acts once.
The sweep itself is a conditional UPDATE on ``status='booked'``: it never touches a visit checked in, refused or
cancelled in the meantime. The SMS question is sent once per visit: a conditional UPDATE of ``checkin_asked_at``
decides who sends it, and its outbox key (``checkin-question:appointment:<id>``) makes a second send impossible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import ConsentKind, Patient, User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user, consent_refused_patients
from carenet.arrival import policies as checkin_policies
from carenet.arrival import selectors
from carenet.arrival.policies import ArrivalCode, CheckInChannel, VisitFacts
from carenet.booking import errors
from carenet.booking.models import Appointment, CheckInAttempt, CheckInUndo, NoShowBlockLift
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from carenet.core.phones import InvalidPhoneNumber, normalize_phone
from carenet.core.validation import text_problem
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Facility, Specialty
from carenet.scheduling.models import Mode

Status = Appointment.Status

ARRIVAL_MESSAGES: dict[ArrivalCode, Promise] = {
    ArrivalCode.ALREADY_CHECKED_IN: _("This visit is already checked in."),
    ArrivalCode.CANCELLED: _("This visit was cancelled."),
    ArrivalCode.NO_SHOW: _("This visit is already recorded as a no-show."),
    ArrivalCode.NOT_ACTIVE: _("This visit is not booked any more."),
    ArrivalCode.WINDOW_NOT_OPEN: _("Arrival can be confirmed from 15 minutes before the visit."),
    ArrivalCode.WINDOW_CLOSED: _("The visit has started; please go to reception."),
    ArrivalCode.NOT_VISIT_DAY: _("Reception checks patients in on the day of their visit."),
    ArrivalCode.VISIT_ENDED: _("The visit time has ended."),
    ArrivalCode.NOT_LATE_YET: _("'Refused: late' can be recorded only 10 or more minutes after the start."),
    ArrivalCode.NOT_STARTED: _("A no-show can be recorded only after the visit has started."),
    ArrivalCode.NOT_AT_FACILITY: _("This visit does not take place at a facility."),
    ArrivalCode.NOT_CHECKED_IN: _("This visit is not checked in (any more): there is no check-in to undo."),
    ArrivalCode.UNDO_NOT_AT_RECEPTION: _("The patient confirmed this arrival themself; reception cannot undo it."),
    ArrivalCode.UNDO_TOO_LATE: _("A check-in can be undone only within a few minutes of it; that time has passed."),
}


class ArrivalRefused(ApplicationError):
    """CHK-1..5: the arrival action breaks a rule; ``code`` is an :class:`ArrivalCode`."""

    status_code = 409
    default_code = "arrival_refused"

    @classmethod
    def of(cls, code: ArrivalCode) -> ArrivalRefused:
        return cls(ARRIVAL_MESSAGES[code], code=code.value)


def premises_secret() -> bytes:
    return str(settings.CARENET_PREMISES_CODE_SECRET).encode()


def _facts(appointment: Appointment, now: dt.datetime) -> VisitFacts:
    slot = appointment.slot
    return VisitFacts(
        status=appointment.status,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        now=now,
        in_person=slot.mode == Mode.IN_PERSON and slot.facility_id is not None,
    )


def _lock(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=appointment_id).first()
    )
    if appointment is None:
        raise errors.appointment_not_found()
    return appointment


def _check_desk(actor: User, appointment: Appointment) -> None:
    """Reception actions: a receptionist at the visit's facility, or an administrator. A receptionist of another
    facility does not see the visit (404); other roles are refused (403)."""
    who = actor_for_user(actor)
    if not who.is_authenticated:
        raise errors.appointment_not_found()
    if who.reaches(Action.ARRIVAL_RECORD, facility_id=appointment.slot.facility_id):
        return
    if who.can(Action.ARRIVAL_RECORD):  # a desk of another facility does not see the visit
        raise errors.appointment_not_found()
    raise PermissionDenied(_("Only reception records arrivals."), code="forbidden")


def _check_closer(actor: User, appointment: Appointment) -> bool:
    """A no-show: reception (as :func:`_check_desk`), or the visit's own clinician (``VISIT_CLOSE``, CHK-5, TEL-1).
    Returns whether the clinician of the visit records it."""
    who = actor_for_user(actor)
    if (
        who.is_authenticated
        and who.can(Action.VISIT_CLOSE)
        and who.clinician_id is not None
        and who.clinician_id == appointment.slot.clinician_id
    ):
        return True
    if who.can(Action.VISIT_CLOSE):  # another clinician: only the visit's own closes it
        raise PermissionDenied(_("Only the clinician of this visit records how it went."), code="forbidden")
    _check_desk(actor, appointment)
    return False


def _record(appointment: Appointment, **fields: Any) -> Appointment:
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.save(update_fields=list(fields))
    return appointment


# --- Check in, refuse, no-show (CHK-1, CHK-2, CHK-5) -------------------------------------------------------------


def appointment_check_in(
    *,
    appointment_id: int,
    channel: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """CHK-2: confirm the patient's arrival. Reception (``actor`` a receptionist of the facility or an
    administrator) on the visit day until the slot ends; SMS and the check-in page — whose callers have matched
    the patient's phone (and PESEL and premises) — only within the window. Refused with :class:`ArrivalRefused`."""
    now = now or clock.now()
    if channel not in {member.value for member in CheckInChannel}:
        raise ValidationFailed(gettext("Unknown check-in channel."), code="invalid_channel")
    with transaction.atomic():
        appointment = _lock(appointment_id)
        if channel == CheckInChannel.RECEPTION:
            if actor is None:
                raise PermissionDenied(_("Only reception records arrivals."), code="forbidden")
            _check_desk(actor, appointment)
        problem = checkin_policies.check_in_refusal(
            _facts(appointment, now),
            channel=channel,
            local_day_of=clock.local(appointment.slot.starts_at).date(),
            today=clock.local(now).date(),
        )
        if problem is not None:
            raise ArrivalRefused.of(problem)
        return _record(
            appointment,
            status=Status.CHECKED_IN,
            checked_in_at=now,
            checked_in_by=actor,
            check_in_channel=channel,
        )


def appointment_refuse_late(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> Appointment:
    """CHK-1: reception records "refused: late" — 10 or more minutes after the start."""
    now = now or clock.now()
    with transaction.atomic():
        appointment = _lock(appointment_id)
        _check_desk(actor, appointment)
        problem = checkin_policies.refuse_late_refusal(_facts(appointment, now))
        if problem is not None:
            raise ArrivalRefused.of(problem)
        return _record(appointment, status=Status.REFUSED_LATE, outcome_recorded_at=now, outcome_recorded_by=actor)


def appointment_mark_no_show(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> Appointment:
    """CHK-5: reception — or the visit's own clinician — records a no-show once the visit has started (it counts
    for BKG-5); the clinician also for a phone or video consultation (TEL-1)."""
    now = now or clock.now()
    with transaction.atomic():
        appointment = _lock(appointment_id)
        by_clinician = _check_closer(actor, appointment)
        problem = checkin_policies.mark_no_show_refusal(_facts(appointment, now), by_clinician=by_clinician)
        if problem is not None:
            raise ArrivalRefused.of(problem)
        return _record(appointment, status=Status.NO_SHOW, outcome_recorded_at=now, outcome_recorded_by=actor)


def undo_window() -> dt.timedelta:
    """Issue 14: how long after a check-in reception may undo it (``CARENET_CHECK_IN_UNDO_MINUTES``)."""
    return dt.timedelta(minutes=settings.CARENET_CHECK_IN_UNDO_MINUTES)


def check_in_undo_refusal(appointment: Appointment, *, now: dt.datetime) -> ArrivalCode | None:
    """Whether a check-in may be undone now (pages ask it to offer the action; :func:`appointment_check_in_undo`
    asks it again under the row lock)."""
    return checkin_policies.undo_check_in_refusal(
        status=appointment.status,
        channel=appointment.check_in_channel,
        checked_in_at=appointment.checked_in_at,
        now=now,
        window=undo_window(),
    )


def appointment_check_in_undo(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> CheckInUndo:
    """Issue 14 (CHK-2): reception undoes a wrong check-in within ``CARENET_CHECK_IN_UNDO_MINUTES``: the visit is
    booked again, as before the check-in, and the undo is recorded (who, when, and the check-in it undid). Only a
    receptionist of the visit's facility (another facility's desk does not see the visit: 404; other roles 403).

    Concurrency: the row is locked and its status read again, so an undo racing the clinician completing the visit
    (or a second undo, or the no-show sweep) ends in one consistent state — whichever came first wins and the other
    is refused (or, the sweep, finds the visit checked in and leaves it)."""
    now = now or clock.now()
    with transaction.atomic():
        appointment = _lock(appointment_id)
        who = actor_for_user(actor)
        if not (who.is_authenticated and who.reaches(Action.CHECK_IN_UNDO, facility_id=appointment.slot.facility_id)):
            if who.can(Action.CHECK_IN_UNDO):
                raise errors.appointment_not_found()
            raise PermissionDenied(_("Only the facility's reception undoes a check-in."), code="forbidden")
        problem = check_in_undo_refusal(appointment, now=now)
        checked_in_at = appointment.checked_in_at
        if problem is not None or checked_in_at is None:
            raise ArrivalRefused.of(problem or ArrivalCode.NOT_CHECKED_IN)
        undo = CheckInUndo.objects.create(
            appointment=appointment,
            undone_by=actor,
            undone_at=now,
            checked_in_at=checked_in_at,
            checked_in_by_id=appointment.checked_in_by_id,
        )
        _record(appointment, status=Status.BOOKED, checked_in_at=None, checked_in_by=None, check_in_channel="")
        return undo


def no_shows_record(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """CHK-5: every in-person visit still booked when its slot has ended becomes a no-show (the periodic sweep;
    :func:`checkin_policies.no_show_due`). A conditional UPDATE on ``status='booked'``: a visit checked in or
    refused meanwhile is never touched, a second run finds nothing. Returns how many were recorded."""
    now = now or clock.now()
    total = 0
    due = Appointment.objects.filter(
        status=Status.BOOKED, slot__ends_at__lte=now, slot__mode=Mode.IN_PERSON, slot__facility__isnull=False
    )
    while True:
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        with transaction.atomic():
            changed = Appointment.objects.filter(pk__in=ids, status=Status.BOOKED).update(
                status=Status.NO_SHOW, outcome_recorded_at=now
            )
        total += changed
        if len(ids) < batch_size:
            return total


# --- CHK-3: the SMS question and the answer TAK ------------------------------------------------------------------


def _question_facts(appointment: Appointment) -> checkin_policies.QuestionFacts:
    slot = appointment.slot
    return checkin_policies.QuestionFacts(
        status=appointment.status,
        service_kind=appointment.service.kind,
        clinician_kind=slot.clinician.kind,
        self_check_in=appointment.service.self_check_in,
        price=appointment.price,
        birth_date=appointment.patient.birth_date,
        visit_day=clock.local(slot.starts_at).date(),
        in_person=slot.mode == Mode.IN_PERSON,
        at_facility=slot.facility_id is not None,
        has_mobile=bool(appointment.patient.mobile),
    )


def checkin_question_text(appointment: Appointment) -> str:
    slot = appointment.slot
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: your visit %(service)s starts at %(time)s at %(facility)s. Are you here? Reply TAK to confirm "
            "your arrival."
        ) % {
            "service": appointment.service.name,
            "time": clock.local(slot.starts_at).strftime("%H:%M"),
            "facility": slot.facility.name if slot.facility is not None else "",
        }


def checkin_questions_enqueue(*, now: dt.datetime | None = None) -> int:
    """CHK-3: ask every eligible visit starting within 15 minutes (and not started) to confirm by replying TAK —
    unless its patient withdrew the SMS-notices consent (ACC-8: they check in at reception or on the page).
    Exactly once per visit even when two runs overlap: a conditional UPDATE of ``checkin_asked_at`` picks the run
    that sends, and the keyed outbox row could not be written twice anyway. Returns how many were asked."""
    now = now or clock.now()
    candidates = (
        Appointment.objects.filter(
            status=Status.BOOKED,
            checkin_asked_at__isnull=True,
            price__lte=0,
            slot__mode=Mode.IN_PERSON,
            slot__facility__isnull=False,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + checkin_policies.CHECK_IN_LEAD,
        )
        .exclude(patient__mobile="")
        .select_related("patient", "service", "slot", "slot__clinician", "slot__facility")
        .order_by("slot__starts_at", "id")
    )
    asked = 0
    due = list(candidates)
    # ACC-8: the question is a notice: not for a patient who withdrew the SMS-notices consent (one query).
    refused = consent_refused_patients(
        patients={visit.patient_id: visit.patient for visit in due}.values(), kind=ConsentKind.SMS_NOTICES
    )
    for appointment in due:
        if appointment.patient_id in refused:
            continue
        if not checkin_policies.question_due(appointment.slot.starts_at, now):
            continue
        if not checkin_policies.checkin_question_eligible(_question_facts(appointment)):
            continue
        with transaction.atomic():
            won = Appointment.objects.filter(
                pk=appointment.pk, status=Status.BOOKED, checkin_asked_at__isnull=True
            ).update(checkin_asked_at=now)
            if not won:
                continue
            outbox_enqueue(
                key=f"checkin-question:appointment:{appointment.pk}",
                purpose="checkin-question",
                channel=MessageChannel.SMS,
                recipient=appointment.patient.mobile,
                body=checkin_question_text(appointment),
                patient=appointment.patient,
            )
        asked += 1
    return asked


def room_answer(appointment: Appointment) -> str:
    """CHK-3, CHK-4: where to go: the slot's room, or reception when it has none (Polish, for SMS and pages)."""
    slot = appointment.slot
    room = slot.room if slot.room_id else None
    if room is not None:
        return gettext("Please go to room %(room)s.") % {"room": room.number}
    return gettext("Please go to reception.")


class SmsAnswer(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already_checked_in"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    NOTHING = "nothing_to_confirm"


@dataclass(frozen=True)
class SmsArrival:
    answer: SmsAnswer
    appointment: Appointment | None = None
    patient: Patient | None = None


def sms_confirm_arrival(*, phone: str, now: dt.datetime | None = None) -> SmsArrival:
    """CHK-3: the reply TAK from ``phone``: check in the visit that was asked and whose window is open (the
    earliest). Otherwise say what is the case (already confirmed, too early, too late) or that nothing waits for a
    confirmation — and change nothing."""
    now = now or clock.now()
    visits = selectors.checkin_visits_for_phone(
        phone=phone, since=now - dt.timedelta(hours=2), until=now + checkin_policies.CHECK_IN_LEAD * 2
    )
    open_visits = [
        visit
        for visit in visits
        if visit.status == Status.BOOKED and checkin_policies.window_open(visit.slot.starts_at, now)
    ]
    for visit in open_visits:
        try:
            confirmed = appointment_check_in(appointment_id=visit.pk, channel=CheckInChannel.SMS, now=now)
        except ArrivalRefused:
            continue  # lost to reception or the sweep: try the next one
        visit.status, visit.checked_in_at = confirmed.status, confirmed.checked_in_at
        return SmsArrival(SmsAnswer.CHECKED_IN, visit, visit.patient)
    # Nothing to check in: say why, about the nearest visit that was asked.
    for visit in visits:
        if visit.status == Status.CHECKED_IN and visit.slot.ends_at > now:
            return SmsArrival(SmsAnswer.ALREADY, visit, visit.patient)
    for visit in visits:
        if visit.status == Status.BOOKED and visit.slot.starts_at < now <= visit.slot.ends_at + dt.timedelta(hours=1):
            return SmsArrival(SmsAnswer.TOO_LATE, visit, visit.patient)
    for visit in visits:
        if visit.status == Status.BOOKED and now < visit.slot.starts_at:
            return SmsArrival(SmsAnswer.TOO_EARLY, visit, visit.patient)
    return SmsArrival(SmsAnswer.NOTHING)


# --- CHK-4: the check-in page "jestem" ------------------------------------------------------------------------


class PageAnswer(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already_checked_in"
    OUTSIDE_WINDOW = "outside_window"
    NO_VISIT = "no_visit"  # also: phone and PESEL match nobody (the same answer: nothing leaks)
    WRONG_CODE = "wrong_code"
    TOO_MANY = "too_many_attempts"


@dataclass(frozen=True)
class PageArrival:
    answer: PageAnswer
    appointment: Appointment | None = None
    facility: Facility | None = None


def facility_for_premises_code(*, code: str, now: dt.datetime) -> Facility | None:
    """The own facility whose entrance shows ``code`` now (or showed it in the previous step)."""
    secret = premises_secret()
    for facility in Facility.objects.filter(kind=Facility.Kind.OWN, is_active=True).order_by("id"):
        if checkin_policies.premises_code_valid(secret=secret, facility_id=facility.pk, code=code, now=now):
            return facility
    return None


@dataclass(frozen=True)
class _AttemptCounts:
    by_phone: int  # every attempt with this phone in the last hour
    by_device: int  # every attempt from this device
    wrong_by_address: int  # attempts with a wrong entrance code from this client address


def _attempts_in_the_last_hour(*, phone: str, device: str, address: str, now: dt.datetime) -> _AttemptCounts:
    """Concurrent attempts for the same phone, device or address queue behind each other, so the limits hold under
    concurrency: on PostgreSQL through transaction-scoped advisory locks on the phone, the device and the address
    (taken in a fixed order; the count that follows is a new statement and sees what the previous holder wrote), on
    SQLite because IMMEDIATE transactions queue every writer."""
    if connection.vendor == "postgresql":
        keys = {f"checkin-phone:{phone}", f"checkin-device:{device}", f"checkin-address:{address}"}
        with connection.cursor() as cursor:
            for key in sorted(keys):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
    since = now - dt.timedelta(hours=1)
    rows = list(
        CheckInAttempt.objects.filter(
            Q(phone=phone) | Q(device=device) | Q(address=address, wrong_code=True), at__gt=since
        ).values_list("phone", "device", "address", "wrong_code")
    )
    return _AttemptCounts(
        by_phone=sum(1 for row in rows if row[0] == phone),
        by_device=sum(1 for row in rows if row[1] == device),
        wrong_by_address=sum(1 for row in rows if row[2] == address and row[3]),
    )


def _patient_for(*, phone: str, pesel: str) -> Patient | None:
    """The patient with this PESEL whose own mobile — or, for a child without one, the guardian's — is ``phone``."""
    patient = Patient.objects.select_related("guardian").filter(pesel=pesel).first()
    if patient is None:
        return None
    if patient.mobile == phone:
        return patient
    if not patient.mobile and patient.guardian is not None and patient.guardian.mobile == phone:
        return patient
    return None


def page_confirm_arrival(
    *,
    phone: str,
    pesel: str,
    premises_code: str,
    device: str,
    address: str | None,
    now: dt.datetime | None = None,
) -> PageArrival:
    """CHK-4: the patient types their mobile, PESEL and the code shown at the entrance. At most
    ``CARENET_CHECKIN_ATTEMPTS_PER_HOUR`` attempts per phone and per device within an hour, and at most
    ``CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR`` wrong entrance codes per client ``address`` (the one
    :func:`carenet.accounts.lockout.client_ip` trusts); past either limit the next attempt is refused and changes
    nothing. A wrong code says so; a phone and PESEL matching nobody get the same answer as a person with no visit
    at that facility today; a visit outside the window gets told the window; in the window — checked in, answered
    with the room.

    Why the address limit: the device is only a cookie, and a phone number is free to vary, so without it one
    client rotating both would get unlimited guesses at the 6-digit code ("wrong code" is a distinct answer). The
    trade-off: a whole waiting room may share one address (the facility's Wi-Fi, a mobile carrier's NAT), so only
    WRONG codes count against an address — right codes never use up its allowance — but once the wrong codes from
    an address reach the limit, everyone behind it, a real patient with the right code too, is refused for the
    rest of the hour and goes to reception (which checks them in as before)."""
    now = now or clock.now()
    try:
        normalized = normalize_phone(phone)
    except InvalidPhoneNumber:
        normalized = "".join(phone.split())[:32]
    device = device[:80]
    address = (address or "unknown")[:64]
    pesel = "".join(pesel.split())[:11]
    limit = settings.CARENET_CHECKIN_ATTEMPTS_PER_HOUR
    address_limit = settings.CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR
    with transaction.atomic():
        counts = _attempts_in_the_last_hour(phone=normalized, device=device, address=address, now=now)
        if (
            checkin_policies.attempts_exhausted(by_phone=counts.by_phone, by_device=counts.by_device, limit=limit)
            or counts.wrong_by_address >= address_limit
        ):
            return PageArrival(PageAnswer.TOO_MANY)
        # The code is checked under the locks, so concurrent wrong codes from one address are all counted.
        facility = facility_for_premises_code(code=premises_code, now=now)
        attempt = CheckInAttempt.objects.create(
            phone=normalized, device=device, address=address, at=now, wrong_code=facility is None
        )
    if facility is None:
        return PageArrival(PageAnswer.WRONG_CODE)
    patient = _patient_for(phone=normalized, pesel=pesel)
    if patient is None:
        return PageArrival(PageAnswer.NO_VISIT, facility=facility)
    today = clock.local(now).date()
    visits = list(
        selectors.reception_day_list(facility_id=facility.pk, day=today).filter(
            patient=patient, status__in=[Status.BOOKED, Status.CHECKED_IN], slot__ends_at__gt=now
        )
    )
    if not visits:
        return PageArrival(PageAnswer.NO_VISIT, facility=facility)
    for visit in visits:
        if visit.status == Status.BOOKED and checkin_policies.window_open(visit.slot.starts_at, now):
            try:
                appointment_check_in(
                    appointment_id=visit.pk, channel=CheckInChannel.CHECKIN_PAGE, actor=patient.user, now=now
                )
            except ArrivalRefused:
                continue
            CheckInAttempt.objects.filter(pk=attempt.pk).update(ok=True)
            visit.status = Status.CHECKED_IN
            return PageArrival(PageAnswer.CHECKED_IN, visit, facility)
    checked = next((visit for visit in visits if visit.status == Status.CHECKED_IN), None)
    if checked is not None:
        return PageArrival(PageAnswer.ALREADY, checked, facility)
    return PageArrival(PageAnswer.OUTSIDE_WINDOW, visits[0], facility)


# --- BKG-5: lifting a block -------------------------------------------------------------------------------------


def no_show_block_lift(
    *, actor: User, patient_id: int, specialty_id: int, reason: str, now: dt.datetime | None = None
) -> NoShowBlockLift:
    """BKG-5: staff (call centre, reception, administrator) lift a patient's no-show block in a specialty, with a
    reason; the no-shows before the lift stop counting. Recorded with who and when."""
    now = now or clock.now()
    if not actor_for_user(actor).can(Action.NO_SHOW_LIFT):
        raise PermissionDenied(_("Only the call centre, reception and administrators lift blocks."), code="forbidden")
    reason = " ".join(reason.split())
    if text_problem(reason):
        raise ValidationFailed(_("The reason contains characters that cannot be stored."), code="invalid_text")
    if not reason:
        raise ValidationFailed(_("Give the reason for lifting the block."), code="reason_required")
    if len(reason) > 300:
        raise ValidationFailed(_("The reason is too long (at most 300 characters)."), code="reason_too_long")
    with transaction.atomic():
        patient = Patient.objects.filter(pk=patient_id).first()
        specialty = Specialty.objects.filter(pk=specialty_id).first()
        if patient is None or specialty is None:
            raise NotFound(_("No such patient or specialty."), code="not_found")
        return NoShowBlockLift.objects.create(
            patient=patient, specialty=specialty, lifted_by=actor, lifted_at=now, reason=reason
        )


def checkin_attempts_prune(*, now: dt.datetime | None = None) -> int:
    """Forget check-in page attempts older than a day: the hourly limit (CHK-4) reads only the last hour; a day is
    kept for looking into abuse."""
    now = now or clock.now()
    deleted, _ = CheckInAttempt.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return deleted
