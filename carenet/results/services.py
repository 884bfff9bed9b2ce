"""Results in (CLN-3, issue 12): one service per thing that happens to an HL7 message.

* :func:`message_receive` — what the MLLP listener calls for every framed message, whatever it holds. It always
  answers an :class:`Ack`: ``AA`` (filed as results), ``AE`` (kept in the back office's review queue: no patient
  with that PESEL, or the order is not that patient's — the lab knows it was not filed) or ``AR`` (not an
  ``ORU^R01`` 2.5, unreadable, too large). Idempotent by sender (MSH-3^MSH-4) and control id (MSH-10): a resent
  message answers the same ACK and changes nothing, also when two copies arrive at once (the unique constraint
  decides, inside the transaction).
* :func:`message_assign` — the back office files a queued message for the patient it is really for.
* :func:`message_dismiss` — the back office closes a queued message without filing it.

Filing a message writes one :class:`Result` per ORC/OBR group with its observations and any PDF report (checked
like a patient's upload: :mod:`carenet.results.pdf`; a refused PDF is left out and the result kept, the reason in
the message's acknowledgement), links the order's referral and its clinician, and enqueues one SMS "your results are
ready" per message for the final/corrected results not yet announced, in the same transaction (SMS-3).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor
from carenet.clinical.models import Referral
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound, PermissionDenied
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Facility
from carenet.results import hl7, policies, sms_wording
from carenet.results.models import InboundMessage, Observation, Result
from carenet.results.pdf import pdf_problem

logger = logging.getLogger(__name__)

RESULTS_READY = "results-ready"

# How each reason reads in an ACK (MSA-3) and in the review queue; always in the site's language.
_READ_ERRORS = {
    "no_header": _("The message does not begin with a readable MSH segment."),
    "unparseable": _("The message cannot be read as HL7 v2."),
    "field_too_long": _("A field is longer than CareNet stores."),
    "bad_date": _("A date or time cannot be read."),
    "date_out_of_range": _("A date is outside the years 1900–2100."),
    "unsupported_type": _("Unsupported message type: only ORU^R01 is accepted."),
    "unsupported_version": _("Unsupported HL7 version: only 2.5 is accepted."),
    "missing": _("A required field or segment is missing."),
    "bad_attachment": _("An attachment is not Base64-encoded data."),
    "obx_before_obr": _("An OBX segment comes before any OBR segment."),
    "too_large": _("The message is larger than CareNet accepts."),
    "several_patients": _("The message is about more than one patient: send one message per patient."),
}
_REVIEW_REASONS = {
    policies.Reason.UNKNOWN_PATIENT: _("No patient with this PESEL: kept for review, not filed."),
    policies.Reason.NAME_MISMATCH: _(
        "The name does not match the patient with this PESEL: kept for review, not filed."
    ),
    policies.Reason.UNKNOWN_ORDER: _("Order %(order)s is not this patient's: kept for review, not filed."),
}


@dataclass(frozen=True, slots=True)
class Ack:
    """What CareNet answers a message: the code (AA/AE/AR), the reason, and the ACK message to write back."""

    code: str
    text: str
    control_id: str
    message: str


class ReviewRefused(ApplicationError):
    status_code = 409
    default_code = "review_refused"


def _worded(text: object) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _read_error_text(error: hl7.MessageError) -> str:
    reason = _worded(_READ_ERRORS.get(error.key, _READ_ERRORS["unparseable"]))
    return f"{reason} ({error.detail})"[:200] if error.detail else reason[:200]


def _ack_of(message: InboundMessage) -> Ack:
    """The ACK of a stored message: the same every time it is asked for (a resend gets the first answer)."""
    return Ack(
        code=message.ack_code,
        text=message.ack_text,
        control_id=message.control_id,
        message=hl7.build_ack(
            message.raw,
            code=message.ack_code,
            reason=message.ack_text,
            ack_id=f"CN{message.pk}",
            at=message.received_at,
        ),
    )


def message_receive(raw: str, *, now: dt.datetime | None = None) -> Ack:
    """CLN-3: receive one HL7 message (the text of one MLLP frame) and answer its acknowledgement."""
    now = now or clock.now()
    text = hl7.clean(raw)
    try:
        header = hl7.read_header(text)
    except hl7.MessageError as error:
        # Not even the header: nothing to key it by, so nothing is kept; the lab still gets an answer.
        logger.warning("HL7 message without a readable MSH refused (%s)", error)
        reason = _read_error_text(error)
        ack_id = f"CNX{secrets.token_hex(6)}"
        return Ack(
            code="AR",
            text=reason,
            control_id="",
            message=hl7.build_ack(text, code="AR", reason=reason, ack_id=ack_id, at=now),
        )
    sender, control_id = header.sender[: hl7.LIMITS["sender"]], hl7.control_id_key(header, text)
    stored = InboundMessage.objects.filter(sender=sender, control_id=control_id).first()
    if stored is not None:
        logger.info("HL7 message %s from %s received again: answered as the first time", control_id, sender)
        return _ack_of(stored)
    try:
        with transaction.atomic():
            message = _receive(text, header, sender=sender, control_id=control_id, now=now)
    except IntegrityError:
        # Another copy of the same message was stored first (at the same moment): answer what it was answered.
        stored = InboundMessage.objects.filter(sender=sender, control_id=control_id).first()
        if stored is None:
            raise
        return _ack_of(stored)
    return _ack_of(message)


def _receive(text: str, header: hl7.Header, *, sender: str, control_id: str, now: dt.datetime) -> InboundMessage:
    message = InboundMessage(
        sender=sender,
        control_id=control_id,
        message_type=header.message_type,
        received_at=now,
        raw=text if len(text) <= hl7.MAX_MESSAGE_CHARS else text[: hl7.RAW_KEEP_CHARS] + "\n[…]",
        state=InboundMessage.State.REJECTED,
        ack_code=InboundMessage.Ack.REJECT,
    )
    if len(text) > hl7.MAX_MESSAGE_CHARS:
        message.ack_text = _read_error_text(hl7.MessageError(hl7.ErrorCode.INTERNAL, "too_large"))
        message.save()  # claims the control id first: a concurrent copy fails here, before anything else
        return message
    try:
        parsed = hl7.read_results(text)
    except hl7.MessageError as error:
        logger.warning("HL7 message %s from %s refused: %s", control_id, sender, error)
        message.ack_text = _read_error_text(error)
        message.save()
        return message
    message.patient_pesel = policies.pesel_of(parsed.patient.identifiers)[:20]
    message.patient_name = parsed.patient.name[:160]
    message.order_number = next((o.placer_order_number for o in parsed.orders if o.placer_order_number), "")[:60]
    patient, referrals, reason = _match(parsed, message.patient_pesel)
    if patient is None or reason is not None:
        message.state, message.ack_code = InboundMessage.State.REVIEW, InboundMessage.Ack.ERROR
        message.ack_text = _review_text(reason or policies.Reason.UNKNOWN_PATIENT, message.order_number)
        message.save()
        logger.info("HL7 message %s from %s kept for review: %s", control_id, sender, reason)
        return message
    message.state, message.ack_code = InboundMessage.State.ACCEPTED, InboundMessage.Ack.ACCEPT
    message.save()
    notes = _file(message, parsed, patient=patient, referrals=referrals, now=now)
    if notes:
        message.ack_text = "; ".join(notes)[:200]
        message.save(update_fields=["ack_text"])
    return message


def _review_text(reason: policies.Reason, order: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return (str(_REVIEW_REASONS[reason]) % {"order": order})[:200]


def _match(
    parsed: hl7.ResultMessage, pesel: str, patient: Patient | None = None
) -> tuple[Patient | None, dict[str, Referral], policies.Reason | None]:
    """The patient (by PESEL, unless given) and the referral of each order number; the reason when there is none."""
    if patient is None:
        if not pesel or not policies.pesel_valid(pesel):
            return None, {}, policies.Reason.UNKNOWN_PATIENT
        patient = Patient.objects.filter(pesel=pesel).first()
        if patient is None:
            return None, {}, policies.Reason.UNKNOWN_PATIENT
        if not policies.names_match(parsed.patient.family_name, patient.last_name):
            return patient, {}, policies.Reason.NAME_MISMATCH
    referrals: dict[str, Referral] = {}
    for order in parsed.orders:
        number = order.placer_order_number
        if not number or number in referrals:
            continue
        referral = _referral(patient, number)
        if referral is None:
            return patient, referrals, policies.Reason.UNKNOWN_ORDER
        referrals[number] = referral
    return patient, referrals, None


def _referral(patient: Patient, number: str) -> Referral | None:
    """The order an order number names (see :mod:`carenet.results.policies`): a referral of this patient only."""
    mine = Referral.objects.filter(patient=patient).select_related("issued_by")
    referral_id = policies.referral_id_of(number)
    if referral_id is not None:
        return mine.filter(pk=referral_id).first()
    return mine.filter(national_id=number).first()


def _file(
    message: InboundMessage,
    parsed: hl7.ResultMessage,
    *,
    patient: Patient,
    referrals: dict[str, Referral],
    now: dt.datetime,
) -> list[str]:
    """Store the results of a matched message; returns notes for the acknowledgement (a refused PDF…)."""
    header = parsed.header
    facility = Facility.objects.filter(code=header.sending_facility).first() if header.sending_facility else None
    notes: list[str] = []
    announce: list[Result] = []
    for order in parsed.orders:
        if policies.cancelled(order.status):
            notes.append(
                _worded(_("The exam %(number)s was cancelled: no result filed."))
                % {"number": order.filler_order_number or order.placer_order_number or order.code}
            )
            continue
        status = policies.status_of(order.status)
        existing = None
        if order.filler_order_number:
            existing = (
                Result.objects.select_for_update()
                .filter(
                    patient=patient,
                    filler_order_number=order.filler_order_number,
                    message__sender=message.sender,
                )
                .order_by("id")
                .first()
            )
        if existing is not None and not policies.replaces(stored=existing.status, incoming=status):
            notes.append(
                _worded(_("A preliminary result does not replace the final one of %(number)s."))
                % {"number": order.filler_order_number}
            )
            continue
        result = existing or Result(patient=patient)
        referral = referrals.get(order.placer_order_number)
        kind = (
            Result.Kind.IMAGING
            if policies.is_imaging(section=order.diagnostic_section, coding_system=order.coding_system, code=order.code)
            else Result.Kind.LABORATORY
        )
        observations, report, pdf = _observations(order, kind)
        result.kind = kind
        result.message = message
        result.referral = referral or result.referral
        result.ordered_by = referral.issued_by if referral is not None else result.ordered_by
        result.facility = facility
        result.performed_by = (
            next((o.performed_by for o in order.observations if o.performed_by), "") or header.sending_facility_name
        )[: hl7.LIMITS["performed_by"]]
        result.placer_order_number = order.placer_order_number
        result.filler_order_number = order.filler_order_number
        result.code = order.code
        result.name = (order.name or order.code or _worded(_("Result")))[: hl7.LIMITS["name"]]
        result.status = status
        result.collected_at = order.collected_at
        result.reported_at = order.reported_at or header.sent_at or now
        result.received_at = now
        result.report_text = report
        if pdf is not None:
            problem = pdf_problem(pdf)
            if problem is None:
                result.pdf.save(f"{secrets.token_hex(16)}.pdf", ContentFile(pdf), save=False)
            else:
                logger.warning("PDF report of HL7 message %s refused: %s", message.control_id, problem)
                notes.append(_worded(_("Stored without its PDF report (%(problem)s).")) % {"problem": problem})
        result.save()
        if existing is not None:
            existing.observations.all().delete()
        for sequence, observation in enumerate(observations, start=1):
            observation.result = result
            observation.sequence = sequence
        Observation.objects.bulk_create(observations)
        if policies.notifies(status) and result.patient_notified_at is None:
            announce.append(result)
    _announce(patient, announce, now=now)
    return notes


def _observations(order: hl7.OrderData, kind: str) -> tuple[list[Observation], str, bytes | None]:
    """The OBX rows as observations; an imaging report's text (and a lab's long comments and notes) as the
    report; the first PDF attachment."""
    observations: list[Observation] = []
    report: list[str] = []
    pdf: bytes | None = None
    for row in order.observations:
        if row.attachment is not None:
            if pdf is None and row.attachment.mime_type in ("application/pdf", "/pdf"):
                pdf = row.attachment.data
            continue
        long_text = len(row.value) > hl7.LIMITS["value"]
        if row.value_type in ("TX", "FT") and (kind == Result.Kind.IMAGING or long_text):
            report.append(f"{row.name}:\n{row.value}" if kind == Result.Kind.LABORATORY and row.name else row.value)
            continue
        if long_text:
            report.append(f"{row.name}: {row.value}")
            continue
        numeric = policies.number(row.value) if row.value_type in ("NM", "SN", "") else None
        low, high = policies.parse_range(row.reference_range)
        observations.append(
            Observation(
                code=row.code,
                coding_system=row.coding_system,
                name=row.name or row.code or "—",
                value=row.value,
                numeric_value=numeric,
                unit=row.unit,
                reference_range=row.reference_range,
                range_low=low,
                range_high=high,
                abnormal_flag=row.abnormal_flag,
                observed_at=row.observed_at,
            )
        )
    report.extend(order.notes)
    return observations, "\n\n".join(part for part in report if part), pdf


def _announce(patient: Patient, results: list[Result], *, now: dt.datetime) -> None:
    """SMS-1, CLN-3: one "results ready" SMS for these results, exactly once (keyed by the first of them)."""
    if not results:
        return
    recipient = patient.contact_mobile
    ids = [result.pk for result in results]
    if recipient:
        outbox_enqueue(
            key=f"{RESULTS_READY}:result:{min(ids)}",
            purpose=RESULTS_READY,
            channel="sms",
            recipient=recipient,
            body=sms_wording.results_ready_text(patient),
            patient=patient,
        )
    Result.objects.filter(pk__in=ids, patient_notified_at__isnull=True).update(patient_notified_at=now)


# --- the back office's review queue --------------------------------------------------------------------------


def _queued(actor: Actor, message_id: int) -> InboundMessage:
    if not actor.can(Action.RESULT_REVIEW):
        raise PermissionDenied(_("You may not review received results."))
    message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message."))
    if message.state != InboundMessage.State.REVIEW:
        raise ReviewRefused(_("This message has already been reviewed."), code="already_reviewed")
    return message


def message_assign(*, actor: Actor, message_id: int, patient_id: int, now: dt.datetime | None = None) -> InboundMessage:
    """CLN-3: file a queued message for the patient it is for (chosen by a person who checked it): its results are
    stored as for a matched message — with the order when it is that patient's — and the patient gets the SMS."""
    now = now or clock.now()
    with transaction.atomic():
        message = _queued(actor, message_id)
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is None:
            raise NotFound(_("No such patient."))
        try:
            parsed = hl7.read_results(message.raw)
        except hl7.MessageError as error:
            raise ReviewRefused(_("The message cannot be read."), code="unreadable") from error
        _patient, referrals, reason = _match(parsed, "", patient=patient)
        if reason == policies.Reason.UNKNOWN_ORDER:
            referrals = {}  # the order number was wrong: file without the order
            for order in parsed.orders:
                number = order.placer_order_number
                referral = _referral(patient, number) if number else None
                if referral is not None:
                    referrals[number] = referral
        message.state = InboundMessage.State.RESOLVED
        message.reviewed_by_id = actor.user_id
        message.reviewed_at = now
        message.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        _file(message, parsed, patient=patient, referrals=referrals, now=now)
    return message


def message_dismiss(*, actor: Actor, message_id: int, now: dt.datetime | None = None) -> InboundMessage:
    """CLN-3: close a queued message without filing it (kept, with who dismissed it and when; never deleted)."""
    now = now or clock.now()
    with transaction.atomic():
        message = _queued(actor, message_id)
        message.state = InboundMessage.State.DISMISSED
        message.reviewed_by_id = actor.user_id
        message.reviewed_at = now
        message.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return message
