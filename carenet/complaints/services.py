"""Complaints (FBK-2) and insurance claims (FBK-3): filing, taking, answering, reviewing and deciding. Every door —
the portal, the API, the call centre's and the coordinators' consoles, the demo — calls these.

Each service checks the actor against the permission table first (``COMPLAINT_FILE``, ``COMPLAINT_HANDLE``,
``CLAIM_FILE``, ``CLAIM_DECIDE``); a refusal raises a typed error with a stable code and changes nothing — no row, no
case number used up, no stored file left behind. The patient is told of an answer or a decision by SMS and e-mail
through the outbox, in the transaction of the change (SMS-3: exactly once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.booking.models import Appointment
from carenet.complaints import policies, sms_wording
from carenet.complaints.models import CaseCounter, Claim, ClaimAttachment, Complaint
from carenet.complaints.policies import CaseRefusal
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.files.disarm import FileRefused, disarm, read_limited
from carenet.files.policies import EXTENSIONS, shown_name
from carenet.files.services import file_error
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Facility

logger = logging.getLogger(__name__)

_MESSAGES = {
    CaseRefusal.SUBJECT_EMPTY: _("Write the subject."),
    CaseRefusal.SUBJECT_TOO_LONG: _("The subject may have at most %(subject)s characters."),
    CaseRefusal.TEXT_EMPTY: _("Describe what happened."),
    CaseRefusal.TEXT_TOO_LONG: _("The text may have at most %(chars)s characters."),
    CaseRefusal.TEXT_INVALID: _("Remove the control characters from the text."),
    CaseRefusal.ANSWER_EMPTY: _("Write the answer."),
    CaseRefusal.ALREADY_ANSWERED: _("This complaint has already been answered."),
    CaseRefusal.ALREADY_DECIDED: _("This claim has already been decided."),
    CaseRefusal.ATTACHMENT_MISSING: _("Attach at least one document (an invoice, a medical record)."),
    CaseRefusal.TOO_MANY_ATTACHMENTS: _("At most %(files)s files can be attached to a claim."),
}
_CONFLICTS = {CaseRefusal.ALREADY_ANSWERED, CaseRefusal.ALREADY_DECIDED}
#: The refusals about the subject field (a page shows them next to it); the rest concern the text or the files.
SUBJECT_REFUSALS = {CaseRefusal.SUBJECT_EMPTY, CaseRefusal.SUBJECT_TOO_LONG}
ATTACHMENT_REFUSALS = {CaseRefusal.ATTACHMENT_MISSING, CaseRefusal.TOO_MANY_ATTACHMENTS}


def case_error(refusal: CaseRefusal) -> ApplicationError:
    message = _MESSAGES[refusal] % {
        "subject": policies.SUBJECT_MAX_CHARS,
        "chars": policies.TEXT_MAX_CHARS,
        "files": settings.CARENET_CLAIM_MAX_FILES,
    }
    if refusal in _CONFLICTS:
        return Conflict(message, code=refusal.value)
    return ValidationFailed(message, code=refusal.value)


def complaint_not_found() -> NotFound:
    return NotFound(_("No such complaint."), code="complaint_not_found")


def claim_not_found() -> NotFound:
    return NotFound(_("No such claim."), code="claim_not_found")


def patient_not_found() -> NotFound:
    return NotFound(_("No such patient."), code="patient_not_found")


def visit_not_found() -> NotFound:
    return NotFound(_("No such visit."), code="visit_not_found")


def facility_not_found() -> ValidationFailed:
    return ValidationFailed(_("No such facility."), code="facility_not_found")


def _role_refused() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def _check(refusal: CaseRefusal | None) -> None:
    if refusal is not None:
        raise case_error(refusal)


def _next_case_number(*, series: str, year: int) -> str:
    """The next number of the series this year, inside the caller's transaction: the counter row is created once
    (a race to create it is settled by its unique constraint) and then advanced by a conditional UPDATE, which locks
    the row until the filing commits — two filings at once wait for each other instead of sharing a number (on
    SQLite the IMMEDIATE transaction queues writers the same way)."""
    if not CaseCounter.objects.filter(series=series, year=year).exists():
        try:
            with transaction.atomic():
                CaseCounter.objects.create(series=series, year=year, last=0)
        except IntegrityError:
            pass  # another filing created it first
    CaseCounter.objects.filter(series=series, year=year).update(last=F("last") + 1)
    last = CaseCounter.objects.filter(series=series, year=year).values_list("last", flat=True).get()
    return policies.case_number(series=series, year=year, number=last)


# --- complaints (FBK-2) ---------------------------------------------------------------------------------------


def complaint_file(
    *,
    actor: Actor,
    patient_id: int,
    subject: str,
    text: str,
    facility_id: int | None = None,
    appointment_id: int | None = None,
    door: Channel | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """FBK-2: a patient (or a guardian for their child) files a complaint, or the call centre files one for a caller.

    It gets its case number at once and its answer date: ``CARENET_COMPLAINT_ANSWER_DAYS`` (30, the statutory time)
    after the day of filing. Optionally about a facility and one of the patient's visits (the visit's facility is
    taken when none is named). Refusals: 403 ``role_not_allowed``; 404 ``patient_not_found`` (not theirs),
    ``visit_not_found`` (not the patient's visit); 422 for the texts and ``facility_not_found``."""
    if not actor.can(Action.COMPLAINT_FILE) or actor.user_id is None:
        raise _role_refused()
    if not actor.reaches(Action.COMPLAINT_FILE, patient_id=patient_id):
        raise patient_not_found()
    _check(policies.subject_refusal(subject))
    _check(policies.text_refusal(text))
    now = now or clock.now()
    channel = actor.channel(Action.COMPLAINT_FILE, door=door)
    with transaction.atomic():
        if not Patient.objects.filter(pk=patient_id).exists():
            raise patient_not_found()
        if appointment_id is not None:
            visit = Appointment.objects.select_related("slot").filter(pk=appointment_id, patient_id=patient_id).first()
            if visit is None:
                raise visit_not_found()
            facility_id = facility_id if facility_id is not None else visit.slot.facility_id
        if facility_id is not None and not Facility.objects.filter(pk=facility_id).exists():
            raise facility_not_found()
        filed_on = clock.local(now).date()
        return Complaint.objects.create(
            case_number=_next_case_number(series=policies.COMPLAINT_SERIES, year=filed_on.year),
            patient_id=patient_id,
            subject=subject.strip(),
            text=text.strip(),
            facility_id=facility_id,
            appointment_id=appointment_id,
            channel=str(channel or ""),
            filed_by_id=actor.user_id,
            filed_at=now,
            answer_due_on=policies.answer_due_on(filed_on=filed_on, answer_days=settings.CARENET_COMPLAINT_ANSWER_DAYS),
        )


def _complaint_for_handling(actor: Actor, complaint_id: int) -> Complaint:
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("patient", "patient__guardian")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None or not actor.reaches(Action.COMPLAINT_HANDLE, patient_id=complaint.patient_id):
        raise complaint_not_found()
    return complaint


def complaint_take(*, actor: Actor, complaint_id: int, now: dt.datetime | None = None) -> Complaint:
    """FBK-2: a coordinator takes a received complaint (``in_progress``, their name on it); taking one already being
    handled by someone else takes it over; an answered one is 409 ``complaint_already_answered``."""
    if not actor.can(Action.COMPLAINT_HANDLE) or actor.user_id is None:
        raise _role_refused()
    now = now or clock.now()
    with transaction.atomic():
        complaint = _complaint_for_handling(actor, complaint_id)
        if complaint.status == Complaint.Status.ANSWERED:
            raise case_error(CaseRefusal.ALREADY_ANSWERED)
        complaint.status = Complaint.Status.IN_PROGRESS
        complaint.taken_by_id = actor.user_id
        complaint.taken_at = now
        complaint.save(update_fields=["status", "taken_by", "taken_at"])
        return complaint


def complaint_answer(*, actor: Actor, complaint_id: int, text: str, now: dt.datetime | None = None) -> Complaint:
    """FBK-2: the answer, once (a conditional UPDATE of the unanswered complaint: two answers at once cannot both
    win — 409 ``complaint_already_answered``). The patient gets an SMS and an e-mail that the answer is in the portal,
    exactly once (outbox keys ``complaint-answered:complaint:<id>:sms`` and ``…:email``)."""
    if not actor.can(Action.COMPLAINT_HANDLE) or actor.user_id is None:
        raise _role_refused()
    _check(policies.text_refusal(text, empty=CaseRefusal.ANSWER_EMPTY))
    now = now or clock.now()
    with transaction.atomic():
        complaint = _complaint_for_handling(actor, complaint_id)
        updated = (
            Complaint.objects.filter(pk=complaint.pk)
            .exclude(status=Complaint.Status.ANSWERED)
            .update(
                status=Complaint.Status.ANSWERED,
                answer=text.strip(),
                answered_by_id=actor.user_id,
                answered_at=now,
                taken_by_id=complaint.taken_by_id or actor.user_id,
                taken_at=complaint.taken_at or now,
            )
        )
        if updated != 1:
            raise case_error(CaseRefusal.ALREADY_ANSWERED)
        complaint.refresh_from_db()
        _notify(
            patient=complaint.patient,
            key=f"complaint-answered:complaint:{complaint.pk}",
            purpose="complaint-answered",
            sms=sms_wording.complaint_answered_sms(complaint),
            subject=sms_wording.complaint_answered_subject(complaint),
            email=sms_wording.complaint_answered_email(complaint),
        )
        return complaint


def _notify(*, patient: Patient, key: str, purpose: str, sms: str, subject: str, email: str) -> None:
    mobile = patient.contact_mobile
    if mobile:
        outbox_enqueue(
            key=f"{key}:sms", purpose=purpose, channel=MessageChannel.SMS, recipient=mobile, body=sms, patient=patient
        )
    address = patient.email or (patient.guardian.email if patient.guardian_id and patient.guardian else "")
    if address:
        outbox_enqueue(
            key=f"{key}:email",
            purpose=purpose,
            channel=MessageChannel.EMAIL,
            recipient=address,
            subject=subject,
            body=email,
            patient=patient,
        )


# --- claims (FBK-3) -------------------------------------------------------------------------------------------


def _contents(uploads: Sequence[File | None]) -> list[tuple[bytes, str]]:
    """Each upload's bytes (refused as soon as more than the limit arrive) and the name it was sent under."""
    max_bytes = settings.CARENET_FILE_MAX_BYTES
    contents = []
    for upload in uploads:
        if upload is None:
            continue
        try:
            upload.seek(0)
            data = read_limited(upload, max_bytes=max_bytes, size=upload.size)
        except FileRefused as refused:
            raise file_error(refused.refusal) from refused
        contents.append((data, str(upload.name or "")))
    return contents


def claim_file(
    *,
    actor: Actor,
    patient_id: int,
    subject: str,
    description: str,
    uploads: Sequence[File | None],
    door: Channel | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """FBK-3: a patient (or a guardian for their child) submits an insurance claim with 1 to
    ``CARENET_CLAIM_MAX_FILES`` documents: JPG, PNG or PDF of at most ``CARENET_FILE_MAX_BYTES`` each, checked by
    their content and disarmed (FIL-2: images re-encoded without metadata, PDFs refused with active content), stored
    under random names in the private storage. Any refusal stores nothing — no row, no file, no case number.
    Refusals: 403 ``role_not_allowed``; 404 ``patient_not_found``; 422 the texts, ``attachment_missing``,
    ``too_many_attachments`` and the file codes of :class:`carenet.files.policies.FileRefusal`."""
    if not actor.can(Action.CLAIM_FILE) or actor.user_id is None:
        raise _role_refused()
    if not actor.reaches(Action.CLAIM_FILE, patient_id=patient_id):
        raise patient_not_found()
    _check(policies.subject_refusal(subject))
    _check(policies.text_refusal(description))
    present = [upload for upload in uploads if upload is not None]
    _check(policies.attachments_refusal(count=len(present), max_files=settings.CARENET_CLAIM_MAX_FILES))
    disarmed = []
    for data, sent_name in _contents(present):
        try:
            disarmed.append((disarm(data, max_bytes=settings.CARENET_FILE_MAX_BYTES), sent_name))
        except FileRefused as refused:
            raise file_error(refused.refusal) from refused
    now = now or clock.now()
    channel = actor.channel(Action.CLAIM_FILE, door=door)
    stored_names: list[str] = []
    try:
        with transaction.atomic():
            if not Patient.objects.filter(pk=patient_id).exists():
                raise patient_not_found()
            claim = Claim.objects.create(
                case_number=_next_case_number(series=policies.CLAIM_SERIES, year=clock.local(now).date().year),
                patient_id=patient_id,
                subject=subject.strip(),
                description=description.strip(),
                channel=str(channel or ""),
                filed_by_id=actor.user_id,
                filed_at=now,
            )
            for file, sent_name in disarmed:
                row = ClaimAttachment(
                    claim=claim,
                    original_name=shown_name(sent_name, content_type=file.content_type),
                    content_type=file.content_type,
                    size=len(file.content),
                    sha256=hashlib.sha256(file.content).hexdigest(),
                    uploaded_at=now,
                )
                name = f"{secrets.token_urlsafe(24)}.{EXTENSIONS[file.content_type]}"
                row.stored.save(name, ContentFile(file.content), save=False)
                stored_names.append(row.stored.name)
                row.save()
    except BaseException:
        _remove_stored(stored_names)
        raise
    return claim


def _remove_stored(names: list[str]) -> None:
    storage = ClaimAttachment._meta.get_field("stored").storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("A stored claim attachment without a row could not be removed: %s", name)


def _claim_for_deciding(actor: Actor, claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("patient", "patient__guardian")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None or not actor.reaches(Action.CLAIM_DECIDE, patient_id=claim.patient_id):
        raise claim_not_found()
    return claim


_DECIDED = (Claim.Status.ACCEPTED, Claim.Status.REJECTED)


def claim_review(*, actor: Actor, claim_id: int, now: dt.datetime | None = None) -> Claim:
    """FBK-3: a coordinator starts the review of a submitted claim (``under_review``, their name on it); a decided
    claim is 409 ``claim_already_decided``."""
    if not actor.can(Action.CLAIM_DECIDE) or actor.user_id is None:
        raise _role_refused()
    now = now or clock.now()
    with transaction.atomic():
        claim = _claim_for_deciding(actor, claim_id)
        if claim.status in _DECIDED:
            raise case_error(CaseRefusal.ALREADY_DECIDED)
        claim.status = Claim.Status.UNDER_REVIEW
        claim.reviewed_by_id = actor.user_id
        claim.reviewed_at = now
        claim.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        return claim


def claim_decide(
    *, actor: Actor, claim_id: int, accepted: bool, decision: str, now: dt.datetime | None = None
) -> Claim:
    """FBK-3: the decision — accepted or rejected, with its text the patient reads — once (a conditional UPDATE:
    409 ``claim_already_decided``). The patient gets an SMS and an e-mail that the decision is in the portal, exactly
    once (outbox keys ``claim-decided:claim:<id>:sms`` and ``…:email``)."""
    if not actor.can(Action.CLAIM_DECIDE) or actor.user_id is None:
        raise _role_refused()
    _check(policies.text_refusal(decision, empty=CaseRefusal.ANSWER_EMPTY))
    now = now or clock.now()
    with transaction.atomic():
        claim = _claim_for_deciding(actor, claim_id)
        updated = (
            Claim.objects.filter(pk=claim.pk)
            .exclude(status__in=_DECIDED)
            .update(
                status=Claim.Status.ACCEPTED if accepted else Claim.Status.REJECTED,
                decision=decision.strip(),
                decided_by_id=actor.user_id,
                decided_at=now,
                reviewed_by_id=claim.reviewed_by_id or actor.user_id,
                reviewed_at=claim.reviewed_at or now,
            )
        )
        if updated != 1:
            raise case_error(CaseRefusal.ALREADY_DECIDED)
        claim.refresh_from_db()
        _notify(
            patient=claim.patient,
            key=f"claim-decided:claim:{claim.pk}",
            purpose="claim-decided",
            sms=sms_wording.claim_decided_sms(claim),
            subject=sms_wording.claim_decided_subject(claim),
            email=sms_wording.claim_decided_email(claim),
        )
        return claim
