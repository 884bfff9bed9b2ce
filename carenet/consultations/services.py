"""Use cases of online consultations (TEL-2, TEL-3, FBK-1, SCH-3, CLN-5): start one in a line, leave the queue, take
the next patient, end it with an outcome, open a booked video visit's room, answer the survey, attach files while
waiting. Every door (portal pages, the clinician's console, the JSON API) calls these; each takes the acting user,
asks the permission table, and raises typed errors with stable codes (:mod:`carenet.consultations.errors`).

Concurrency (STYLE rule 3): a patient's start locks the patient's row, and the partial unique constraint
``one_open_consultation_per_patient`` is the last word (losing to it is ``already_waiting``). Taking the next patient
locks the clinician's row (one take of theirs at a time), picks the oldest waiting consultation of their lines —
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two clinicians never wait on each other; SQLite's write
transactions are exclusive — and claims it with a compare-and-set (``status='waiting'`` in the UPDATE's WHERE): a
consultation someone else took, or its patient left, in between is skipped and the next one tried. The constraint
``one_on_demand_consultation_per_clinician`` says the last word on a clinician holding two. The visit (slot and
appointment) is written in the same transaction, so a lost claim leaves no slot or appointment behind.

Events (``events.publish``) go out after the transaction commits: the consultation's state, the positions of the
others waiting in its line (one query), and the line's counts for the consoles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import actor_for_user
from carenet.booking import services as booking
from carenet.booking.errors import BookingRefused, appointment_not_found
from carenet.booking.models import Appointment
from carenet.consultations import events, policies, selectors
from carenet.consultations.errors import refused
from carenet.consultations.models import ChatMessage, Consultation, Line, QueuedFile, SurveyAnswer
from carenet.consultations.policies import ConsultationCode
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import NotFound, PermissionDenied
from carenet.core.validation import db_id_valid, text_problem
from carenet.encounters import services as encounters
from carenet.files import attachments
from carenet.files.models import PatientFile
from carenet.network.models import Clinician

Status = Consultation.Status
Kind = Consultation.Kind

NOTE_MAX = 300
COMMENT_MAX = 500


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and db_id_valid(value)


def _patient_not_found() -> NotFound:
    return NotFound(_("No such patient."), code="patient_not_found")


def _publish_state(consultation: Consultation, *, now: dt.datetime) -> None:
    events.publish(consultation.pk, selectors.state_json(consultation, now=now))


def _publish_line(line: Line | None, *, now: dt.datetime) -> None:
    """The positions of everyone waiting in ``line`` (one query) and its counts for the consoles."""
    if line is None:
        return
    for state in selectors.line_states(line, now=now):
        events.publish(state["id"], state)
    events.publish_line(line.pk, selectors.line_json(line, now=now))


# --- Start, leave (the patient) -----------------------------------------------------------------------------------


def consultation_start(
    *,
    actor: User,
    patient_id: int,
    line_code: str,
    mode: str,
    channel: str,
    file_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Consultation:
    """TEL-2: the patient (or the guardian, for their child) starts an online consultation in a line and waits for
    the next free clinician. Refused, changing nothing: someone else's patient (404), level I (ACC-4), an age the
    line is not for, coverage as for a booking of the line's service today (PKG-4, BKG-3: the booking's codes),
    nobody on duty, a wait beyond ``CARENET_CONSULTATION_MAX_WAIT_MINUTES``, an open consultation already
    (``already_waiting`` with its id). ``file_ids`` are attached while waiting (TEL-3)."""
    now = now or clock.now()
    who = actor_for_user(actor)
    if not isinstance(mode, str) or mode not in policies.MODES:
        raise refused(ConsultationCode.UNKNOWN_MODE)
    if not who.can(Action.CONSULTATION_START):
        raise PermissionDenied(_("Only a patient starts an online consultation."), code="forbidden")
    if not _valid_id(patient_id) or not who.reaches(Action.CONSULTATION_START, patient_id=patient_id):
        raise _patient_not_found()
    if not isinstance(channel, str) or channel not in who.channels(Action.CONSULTATION_START):
        raise refused(ConsultationCode.UNKNOWN_CHANNEL)
    files = _file_ids(file_ids)
    line = (
        Line.objects.select_related("specialty", "service").filter(code=line_code, is_active=True).first()
        if isinstance(line_code, str) and 0 < len(line_code) <= 40 and text_problem(line_code) is None
        else None
    )
    if line is None:
        raise refused(ConsultationCode.LINE_NOT_FOUND)
    level_allowed = feature_allowed(Feature.ONLINE_CONSULTATIONS, level=who.level or 0)
    with transaction.atomic():
        patient = Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).first()
        if patient is None:
            raise _patient_not_found()
        if not level_allowed:
            raise refused(ConsultationCode.LEVEL_TWO_REQUIRED)
        _refuse_if_open(patient.pk)
        today = clock.local(now).date()
        facts = policies.StartFacts(
            level_allowed=level_allowed,
            age=age_on(patient.birth_date, today) if patient.birth_date <= today else 0,
            min_age=line.min_age,
            below_age=line.below_age,
            on_duty=selectors.on_duty_counts([line.pk], now=now).get(line.pk, 0),
            waiting=selectors.waiting_counts([line.pk]).get(line.pk, (0, None))[0],
            typical=selectors.typical_minutes_of([line])[line.pk],
            max_wait=selectors.max_wait_minutes(),
        )
        facts = selectors.with_turn(facts, line, now=now)
        refusal = policies.eligibility_refusal(facts)
        if refusal is not None:
            raise refused(refusal)
        booking.on_demand_refusal_check(
            patient=patient,
            service=line.service,
            specialty=line.specialty,
            channel=channel,
            booked_by=actor,
            minutes=line.minutes,
            now=now,
        )
        refusal = policies.capacity_refusal(facts)
        if refusal is not None:
            raise refused(refusal)
        consultation = Consultation(
            kind=Kind.ON_DEMAND,
            line=line,
            patient=patient,
            requested_by=actor,
            mode=mode,
            channel=channel,
            status=Status.WAITING,
            queued_at=now,
        )
        try:
            with transaction.atomic():
                consultation.save(force_insert=True)
        except IntegrityError as error:
            _refuse_if_open(patient.pk)  # the other start won: its id
            raise refused(ConsultationCode.ALREADY_WAITING) from error
        for file_id in files:
            _attach(consultation, file_id=file_id, user=actor, now=now)
        _publish_state(consultation, now=now)
        events.publish_line(line.pk, selectors.line_json(line, now=now))
    return consultation


def _file_ids(file_ids: Sequence[int]) -> list[int]:
    if isinstance(file_ids, str | bytes) or not isinstance(file_ids, Sequence):
        raise refused(ConsultationCode.FILE_NOT_FOUND)
    ids: list[int] = []
    for file_id in file_ids:
        if not _valid_id(file_id):
            raise refused(ConsultationCode.FILE_NOT_FOUND)
        if file_id not in ids:
            ids.append(file_id)
    if len(ids) > attachments.max_attached():
        raise refused(ConsultationCode.TOO_MANY_FILES, count=attachments.max_attached())
    return ids


def _refuse_if_open(patient_id: int) -> None:
    open_id = (
        Consultation.objects.filter(patient_id=patient_id, kind=Kind.ON_DEMAND, status__in=Consultation.OPEN_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )
    if open_id is not None:
        raise refused(ConsultationCode.ALREADY_WAITING, details={"consultation_id": open_id})


def _as_patient(who: Actor, consultation_id: int) -> Consultation:
    """The consultation if ``who`` takes part in it on the patient's side; otherwise 404."""
    consultation = selectors.access_consultation(actor=who, consultation_id=consultation_id)
    if selectors.side_of(who, consultation) != ChatMessage.Side.PATIENT:
        raise selectors.consultation_not_found()
    return consultation


def consultation_leave(*, actor: User, consultation_id: int, now: dt.datetime | None = None) -> Consultation:
    """TEL-2: the patient leaves the queue. Once a clinician has taken it (or it ended) it is refused
    (``not_waiting``); leaving twice changes nothing. The others in the line move up."""
    now = now or clock.now()
    who = actor_for_user(actor)
    visible = _as_patient(who, consultation_id)
    with transaction.atomic():
        left = Consultation.objects.filter(pk=visible.pk, status=Status.WAITING).update(
            status=Status.LEFT, ended_at=now
        )
        consultation = Consultation.objects.select_related(*selectors._RELATED).get(pk=visible.pk)
        if not left:
            if consultation.status == Status.LEFT:
                return consultation
            raise refused(ConsultationCode.NOT_WAITING)
        _publish_state(consultation, now=now)
        _publish_line(consultation.line, now=now)
    return consultation


# --- Take next, end (the clinician) --------------------------------------------------------------------------------


class _Lost(Exception):
    """The consultation was taken or left between reading it and claiming it: try the next one."""


def consultation_take_next(*, actor: User, now: dt.datetime | None = None) -> Consultation | None:
    """TEL-2: the clinician on duty takes the oldest waiting consultation of the lines they are on duty for (first
    come, first served; never picked). ``None`` when nobody waits. In one transaction: the consultation in progress
    with them, its visit (``booking.services.appointment_start_on_demand``: slot, appointment, coverage) and the
    files attached while waiting carried to the visit (TEL-3). A patient whose coverage changed while waiting
    (PKG-4: the visit refused) leaves the queue with the reason ``not_covered_any_more`` and the next one is taken.
    Refused: not on duty (``not_on_duty``), already in a consultation (``already_in_consultation``)."""
    who = actor_for_user(actor)
    if not who.can(Action.CONSULTATION_TAKE) or who.clinician_id is None:
        raise PermissionDenied(_("Only a clinician on duty takes the next patient."), code="forbidden")
    with transaction.atomic():
        clinician = _lock_clinician(who.clinician_id)
        # Read after the lock: a take never starts before the end of the clinician's previous consultation.
        now = now or clock.now()
        if Consultation.objects.filter(
            clinician_id=clinician.pk, kind=Kind.ON_DEMAND, status=Status.IN_PROGRESS
        ).exists():
            raise refused(ConsultationCode.ALREADY_IN_CONSULTATION)
        line_ids = sorted(
            set(selectors.duties_now(now=now).filter(clinician_id=clinician.pk).values_list("line_id", flat=True))
        )
        if not line_ids:
            raise refused(ConsultationCode.NOT_ON_DUTY)
        skipped: list[int] = []
        while True:
            candidate = (
                Consultation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("line", "line__service", "line__specialty", "patient", "requested_by")
                .filter(line_id__in=line_ids, kind=Kind.ON_DEMAND, status=Status.WAITING)
                .exclude(pk__in=skipped)
                .order_by("queued_at", "id")
                .first()
            )
            if candidate is None:
                return None
            try:
                taken = _claim(candidate, clinician=clinician, now=now)
            except _Lost:
                skipped.append(candidate.pk)
                continue
            except BookingRefused:
                # PKG-4: its coverage changed while it waited (decided again for the visit): it leaves the queue
                # with the reason, and the clinician takes the next patient.
                _let_go_uncovered(candidate, now=now)
                skipped.append(candidate.pk)
                continue
            except IntegrityError as error:  # the constraint: this clinician holds one already
                raise refused(ConsultationCode.ALREADY_IN_CONSULTATION) from error
            _publish_state(taken, now=now)
            _publish_line(taken.line, now=now)
            return taken


def _let_go_uncovered(candidate: Consultation, *, now: dt.datetime) -> None:
    left = Consultation.objects.filter(pk=candidate.pk, status=Status.WAITING).update(
        status=Status.LEFT, ended_at=now, outcome_note=ConsultationCode.NOT_COVERED_ANY_MORE.value
    )
    if left:
        _publish_state(Consultation.objects.select_related(*selectors._RELATED).get(pk=candidate.pk), now=now)
        _publish_line(candidate.line, now=now)


def _lock_clinician(clinician_id: int) -> Clinician:
    """The clinician's row, locked: their takes and ends run one at a time (FOR NO KEY UPDATE: their slots and
    consultations may still reference it meanwhile)."""
    return Clinician.objects.select_for_update(no_key=True).get(pk=clinician_id)


def _claim(candidate: Consultation, *, clinician: Clinician, now: dt.datetime) -> Consultation:
    line = candidate.line
    assert line is not None
    with transaction.atomic():
        visit = booking.appointment_start_on_demand(
            patient=candidate.patient,
            clinician=clinician,
            service=line.service,
            specialty=line.specialty,
            channel=candidate.channel,
            booked_by=candidate.requested_by,
            minutes=line.minutes,
            now=now,
        )
        claimed = Consultation.objects.filter(pk=candidate.pk, status=Status.WAITING).update(
            status=Status.IN_PROGRESS, clinician=clinician, taken_at=now, appointment=visit
        )
        if claimed != 1:
            raise _Lost  # rolls back the slot and the appointment with the savepoint
        queued = [
            attachments.CarriedFile(file_id=row.file_id, attached_by_id=row.attached_by_id, attached_at=row.attached_at)
            for row in QueuedFile.objects.filter(consultation_id=candidate.pk)
        ]
        attachments.files_carry_over(appointment_id=visit.pk, patient_id=candidate.patient_id, files=queued, now=now)
    return Consultation.objects.select_related(*selectors._RELATED).get(pk=candidate.pk)


def consultation_end(
    *, actor: User, consultation_id: int, outcome: str, note: str = "", now: dt.datetime | None = None
) -> Consultation:
    """TEL-2, SCH-3: the consultation's clinician ends it with an outcome: the visit completed (advice, documents,
    in-person visit or urgent care recommended) or — no contact with the patient — recorded as a no-show of the
    visit (an on-demand one does not count towards the no-show block, BKG-5; see ``policies.visit_status_for``).
    Refused: another's consultation (404), not in progress (``not_in_progress``), an unknown outcome."""
    who = actor_for_user(actor)
    if not isinstance(outcome, str) or outcome not in policies.OUTCOMES:
        raise refused(ConsultationCode.UNKNOWN_OUTCOME)
    if not isinstance(note, str):
        raise refused(ConsultationCode.INVALID_NOTE)
    note = note.strip()
    if len(note) > NOTE_MAX or text_problem(note):
        raise refused(ConsultationCode.INVALID_NOTE)
    if not who.can(Action.CONSULTATION_END):
        raise PermissionDenied(_("Only the consultation's clinician ends it."), code="forbidden")
    visible = selectors.access_consultation(actor=who, consultation_id=consultation_id, action=Action.CONSULTATION_END)
    with transaction.atomic():
        if visible.clinician_id is not None:
            _lock_clinician(visible.clinician_id)
        consultation = Consultation.objects.select_for_update(of=("self",)).get(pk=visible.pk)
        now = now or clock.now()
        if consultation.status != Status.IN_PROGRESS or consultation.appointment_id is None:
            raise refused(ConsultationCode.NOT_IN_PROGRESS)
        visit = Appointment.objects.only("status").get(pk=consultation.appointment_id)
        if visit.status in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
            if policies.visit_status_for(outcome) == Appointment.Status.COMPLETED:
                encounters.visit_complete(actor=actor, appointment_id=visit.pk, now=now)
            else:
                encounters.visit_no_show(actor=actor, appointment_id=visit.pk, now=now)
        consultation.status = Status.ENDED
        consultation.outcome = outcome
        consultation.outcome_note = note
        consultation.ended_by = actor
        consultation.ended_at = now
        consultation.save(update_fields=["status", "outcome", "outcome_note", "ended_by", "ended_at"])
        ended = Consultation.objects.select_related(*selectors._RELATED).get(pk=consultation.pk)
        _publish_state(ended, now=now)
        if ended.line is not None:
            events.publish_line(ended.line.pk, selectors.line_json(ended.line, now=now))
    return ended


# --- A booked video visit's room (SCH-3) ---------------------------------------------------------------------------


def room_for_visit(*, actor: User, appointment_id: int, now: dt.datetime | None = None) -> Consultation:
    """SCH-3: the room of a booked video visit — its consultation (kind booked), made the first time the patient (or
    guardian) or the visit's clinician opens it, from 15 minutes before the start until the end of the visit's day;
    in progress while open, ended by :func:`consultation_end`. Two openings at once make one room (the one-to-one
    visit decides). Anyone else: 404, as for a visit that does not exist."""
    now = now or clock.now()
    who = actor_for_user(actor)
    if not _valid_id(appointment_id):
        raise appointment_not_found()
    visit = Appointment.objects.select_related("slot").filter(pk=appointment_id).first()
    if visit is None or visit.slot.clinician_id is None:
        raise appointment_not_found()
    as_patient = who.reaches(Action.CONSULTATION_JOIN, patient_id=visit.patient_id)
    as_clinician = who.clinician_id is not None and who.clinician_id == visit.slot.clinician_id
    if not (as_patient or (as_clinician and who.can(Action.CONSULTATION_JOIN))):
        raise appointment_not_found()
    existing = Consultation.objects.select_related(*selectors._RELATED).filter(appointment_id=visit.pk).first()
    if existing is not None and existing.status != Status.IN_PROGRESS:
        return existing  # ended: its summary
    # A room still open is joined only within the visit's window, and only while the visit is active (not the day
    # after, not once the visit was cancelled).
    refusal = policies.room_refusal(
        policies.RoomFacts(
            mode=visit.slot.mode,
            status=visit.status,
            starts_at=visit.slot.starts_at,
            local_day=clock.local(visit.slot.starts_at).date(),
            today=clock.local(now).date(),
            now=now,
        )
    )
    if refusal is not None:
        raise refused(refusal)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            room = Consultation.objects.create(
                kind=Kind.BOOKED,
                line=None,
                patient_id=visit.patient_id,
                requested_by=actor,
                mode=Consultation.Mode.VIDEO,
                channel=visit.channel,
                status=Status.IN_PROGRESS,
                queued_at=now,
                taken_at=now,
                clinician_id=visit.slot.clinician_id,
                appointment=visit,
            )
            _publish_state(room, now=now)
    except IntegrityError:  # the other side opened it at the same moment
        pass
    return Consultation.objects.select_related(*selectors._RELATED).get(appointment_id=visit.pk)


# --- The survey (FBK-1) --------------------------------------------------------------------------------------------


def survey_answer(
    *,
    actor: User,
    consultation_id: int,
    rating: int,
    resolved: str,
    comment: str = "",
    now: dt.datetime | None = None,
) -> SurveyAnswer:
    """FBK-1: the patient's side answers the short survey after an ended consultation, once, within 7 days (not
    after one without contact)."""
    now = now or clock.now()
    who = actor_for_user(actor)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise refused(ConsultationCode.INVALID_RATING)
    if not isinstance(resolved, str) or resolved not in SurveyAnswer.Resolved.values:
        raise refused(ConsultationCode.INVALID_RESOLVED)
    if not isinstance(comment, str):
        raise refused(ConsultationCode.INVALID_COMMENT)
    comment = comment.strip()
    if len(comment) > COMMENT_MAX or text_problem(comment):
        raise refused(ConsultationCode.INVALID_COMMENT)
    visible = selectors.access_consultation(
        actor=who, consultation_id=consultation_id, action=Action.CONSULTATION_SURVEY
    )
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update(of=("self",)).get(pk=visible.pk)
        refusal = policies.survey_refusal(
            status=consultation.status,
            outcome=consultation.outcome,
            ended_at=consultation.ended_at,
            answered=SurveyAnswer.objects.filter(consultation=consultation).exists(),
            now=now,
        )
        if refusal is not None:
            raise refused(refusal)
        try:
            with transaction.atomic():
                return SurveyAnswer.objects.create(
                    consultation=consultation,
                    rating=rating,
                    resolved=resolved,
                    comment=comment,
                    answered_by=actor,
                    answered_at=now,
                )
        except IntegrityError as error:
            raise refused(ConsultationCode.SURVEY_ANSWERED) from error


# --- Files attached while waiting (TEL-3) --------------------------------------------------------------------------


def _attach(consultation: Consultation, *, file_id: int, user: User, now: dt.datetime) -> QueuedFile:
    """Attach one of the consultation patient's current files (the caller locked the consultation or created it)."""
    file = (
        PatientFile.objects.select_for_update()
        .filter(pk=file_id, patient_id=consultation.patient_id, delete_after__gt=now)
        .first()
    )
    if file is None:
        raise refused(ConsultationCode.FILE_NOT_FOUND)
    existing = QueuedFile.objects.filter(consultation=consultation, file=file).first()
    if existing is not None:
        return existing
    if QueuedFile.objects.filter(consultation=consultation).count() >= attachments.max_attached():
        raise refused(ConsultationCode.TOO_MANY_FILES, count=attachments.max_attached())
    return QueuedFile.objects.create(consultation=consultation, file=file, attached_by=user, attached_at=now)


def _lock_waiting(who: Actor, consultation_id: int) -> Consultation:
    if not who.can(Action.FILE_ATTACH):
        raise PermissionDenied(_("Only the patient attaches their files to a consultation."), code="forbidden")
    visible = _as_patient(who, consultation_id)
    consultation = Consultation.objects.select_for_update(of=("self",)).get(pk=visible.pk)
    if consultation.status != Status.WAITING:
        raise refused(ConsultationCode.NOT_WAITING)
    return consultation


def queued_file_attach(
    *, actor: User, consultation_id: int, file_id: int, now: dt.datetime | None = None
) -> QueuedFile:
    """TEL-3: attach one of the patient's stored files to their consultation while it waits (at most as many as a
    visit takes); attaching it again changes nothing. The clinician sees them once they take it."""
    now = now or clock.now()
    who = actor_for_user(actor)
    if not _valid_id(file_id):
        raise refused(ConsultationCode.FILE_NOT_FOUND)
    with transaction.atomic():
        consultation = _lock_waiting(who, consultation_id)
        return _attach(consultation, file_id=file_id, user=actor, now=now)


def queued_file_detach(*, actor: User, consultation_id: int, file_id: int, now: dt.datetime | None = None) -> bool:
    """TEL-3: take a file off the consultation while it waits; ``False`` when it was not attached."""
    who = actor_for_user(actor)
    if not _valid_id(file_id):
        raise refused(ConsultationCode.FILE_NOT_FOUND)
    with transaction.atomic():
        consultation = _lock_waiting(who, consultation_id)
        deleted, _rows = QueuedFile.objects.filter(consultation=consultation, file_id=file_id).delete()
        return deleted > 0


# --- The periodic sweep --------------------------------------------------------------------------------------------


def consultations_close_unstaffed(*, now: dt.datetime | None = None) -> int:
    """TEL-2: consultations still waiting in a line nobody is on duty for any more (every duty ended) leave the
    queue with the reason ``duty_ended`` (in ``outcome_note``), so the patient's page says so and proposes the
    nearest bookable times instead of a wait without end. Returns how many left."""
    now = now or clock.now()
    # The duties a clinician takes from (``selectors.duties_now``: active lines only): a line switched off while
    # patients wait staffs nobody, and its patients would wait forever.
    staffed = selectors.duties_now(now=now).values("line_id")
    stranded = list(
        Consultation.objects.filter(kind=Kind.ON_DEMAND, status=Status.WAITING)
        .exclude(line_id__in=staffed)
        .values_list("pk", flat=True)[:1000]
    )
    if not stranded:
        return 0
    with transaction.atomic():
        changed = Consultation.objects.filter(pk__in=stranded, status=Status.WAITING).update(
            status=Status.LEFT, ended_at=now, outcome_note=ConsultationCode.DUTY_ENDED.value
        )
        for consultation in Consultation.objects.select_related(*selectors._RELATED).filter(pk__in=stranded):
            if consultation.status == Status.LEFT and consultation.ended_at == now:
                _publish_state(consultation, now=now)
        lines = {line.pk: line for line in Line.objects.filter(consultations__pk__in=stranded)}
        for line in lines.values():
            events.publish_line(line.pk, selectors.line_json(line, now=now))
    return changed


def rooms_close_after_their_day(*, now: dt.datetime | None = None) -> int:
    """SCH-3: a booked video visit's room is open until the end of the visit's day. One still in progress after that
    (nobody ended it) ends, so nobody chats or calls in it any more — an open page's socket is refused a new token;
    the clinician records the visit's outcome on the visit's page. Returns how many ended."""
    now = now or clock.now()
    today_starts = clock.at_warsaw(clock.local(now).date(), dt.time.min)
    stale = list(
        Consultation.objects.filter(
            kind=Kind.BOOKED, status=Status.IN_PROGRESS, appointment__slot__starts_at__lt=today_starts
        ).values_list("pk", flat=True)[:1000]
    )
    if not stale:
        return 0
    with transaction.atomic():
        changed = Consultation.objects.filter(pk__in=stale, status=Status.IN_PROGRESS).update(
            status=Status.ENDED, ended_at=now
        )
        for consultation in Consultation.objects.select_related(*selectors._RELATED).filter(pk__in=stale):
            if consultation.status == Status.ENDED and consultation.ended_at == now:
                _publish_state(consultation, now=now)
    return changed
