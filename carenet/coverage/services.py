"""Coverage state changes: the roster an employer's or insurer's contact uploads, and the enrolments that follow it
(PKG-3, PKG-8).

A file is first checked and kept (:func:`roster_upload_check`, the preview with its line-by-line report); applying
it (:func:`roster_upload_apply`) stores the valid lines of the file in one transaction — the invalid ones are listed
and never applied, so one typo does not hold back a thousand correct lines, and correcting it later is an upload of
that line alone. Everything is set-based: a constant number of queries (plus one per batch of a thousand rows)
whatever the file's length.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, ValidationFailed
from carenet.core.validation import text_problem
from carenet.coverage.models import Contract, Enrolment, RosterEntry, RosterUpload
from carenet.coverage.policies import luhn_check_digit
from carenet.coverage.roster import RosterFileError, RosterLine, RosterReport, TierName, roster_file_read
from carenet.messaging.models import Channel
from carenet.messaging.services import OutboxItem, outbox_enqueue_many

BATCH = 1000
ACTIVATION_EMAIL_PURPOSE = "enrolment_activation"


def contract_tiers(contract: Contract) -> list[TierName]:
    return [TierName(id=tier.pk, code=tier.code, name=tier.name, name_en=tier.name_en) for tier in contract.tiers.all()]


def access_contract(*, actor: Actor, action: Action, contract_id: int | None) -> Contract:
    """The contract whose roster ``actor`` may see or upload (PKG-8): their own for an employer's or insurer's
    contact, any named one for a coordinator or an administrator. Another contract is :class:`NotFound`."""
    if contract_id is None:
        contract_id = actor.contract_id
    if contract_id is None or not actor.reaches(action, contract_id=contract_id):
        raise NotFound(_("No such contract."), code="contract_not_found")
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound(_("No such contract."), code="contract_not_found")
    return contract


def roster_report_for(upload: RosterUpload, *, today: dt.date) -> RosterReport:
    """The line-by-line report of a kept upload, checked against the roster as it is now."""
    on_roster: list[str] = []
    if upload.mode == RosterUpload.Mode.CHANGES:
        on_roster = list(RosterEntry.objects.filter(contract=upload.contract).values_list("pesel", flat=True))
    return roster_file_read(
        upload.content.encode("utf-8"), tiers=contract_tiers(upload.contract), today=today, pesels_on_roster=on_roster
    )


def roster_upload_check(
    *, actor: Actor, user: User, contract: Contract, raw: bytes, file_name: str, mode: str
) -> tuple[RosterUpload, RosterReport]:
    """PKG-8: check an uploaded roster file and keep it for the preview; nothing on the roster changes.

    A file that cannot be read at all raises :class:`ValidationFailed` with the file problem's code."""
    if not actor.reaches(Action.ROSTER_UPLOAD, contract_id=contract.pk):
        raise NotFound(_("No such contract."), code="contract_not_found")
    if mode not in RosterUpload.Mode.values:
        raise ValidationFailed(_("Choose what the file is."), code="roster_mode")
    today = clock.today()
    on_roster: list[str] = []
    if mode == RosterUpload.Mode.CHANGES:
        on_roster = list(RosterEntry.objects.filter(contract=contract).values_list("pesel", flat=True))
    try:
        report = roster_file_read(raw, tiers=contract_tiers(contract), today=today, pesels_on_roster=on_roster)
    except RosterFileError as exc:
        raise ValidationFailed(file_problem_text(exc), code=exc.problem.value) from exc
    name = file_name if text_problem(file_name) is None else ""
    upload = RosterUpload.objects.create(
        contract=contract,
        uploaded_by=user,
        file_name=name[:200],
        content=raw.decode("utf-8-sig"),
        mode=mode,
        uploaded_at=clock.now(),
        lines_total=len(report.lines),
        lines_invalid=len(report.invalid_lines),
    )
    return upload, report


def file_problem_text(error: RosterFileError) -> str:
    from carenet.coverage.roster import MAX_FILE_BYTES, MAX_LINES, FileProblem

    texts = {
        FileProblem.EMPTY: _("The file is empty."),
        FileProblem.TOO_BIG: _("The file is too big: at most %(size)d MB.") % {"size": MAX_FILE_BYTES // 1024 // 1024},
        FileProblem.TOO_MANY_LINES: _("The file has too many lines: at most %(count)d people in one file.")
        % {"count": MAX_LINES},
        FileProblem.NOT_UTF8: _("The file is not in UTF-8. In Excel choose “Save as” → “CSV UTF-8 (comma delimited)”."),
        FileProblem.NUL: _("The file contains a NUL character: it is not a text (CSV) file."),
        FileProblem.NOT_CSV: _(
            "The file cannot be read as CSV: a quotation mark is not closed or a field is too long."
        ),
        FileProblem.MISSING_COLUMNS: _("The header line lacks the columns: %(columns)s.") % {"columns": error.detail},
        FileProblem.UNKNOWN_COLUMNS: _("The header line has unknown or repeated columns: %(columns)s.")
        % {"columns": error.detail},
    }
    return texts[error.problem]


@dataclass(frozen=True, slots=True)
class RosterApplied:
    added: int
    changed: int
    left: int
    enrolled: int
    enrolments_changed: int
    skipped: int


def _ecard_numbers(count: int) -> list[str]:
    """``count`` unused E-Karta numbers (PKG-6), checked against the database in one query."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        fresh: set[str] = set()
        while len(fresh) < wanted:
            body = str(100_000_000 + secrets.randbelow(900_000_000))
            number = body + str(luhn_check_digit(body))
            if number not in chosen:
                fresh.add(number)
        taken = set(Enrolment.objects.filter(ecard_number__in=fresh).values_list("ecard_number", flat=True))
        chosen |= fresh - taken
    return sorted(chosen)


def _entry_fields(line: RosterLine) -> dict[str, object]:
    return {
        "tier_id": line.tier_id,
        "first_name": line.first_name,
        "last_name": line.last_name,
        "mobile": line.mobile,
        "email": line.email,
        "holder_pesel": line.holder_pesel,
        "activation_date": line.activation_date,
        "paid_through": line.paid_through,
    }


ENTRY_FIELDS = (
    "tier_id",
    "first_name",
    "last_name",
    "mobile",
    "email",
    "holder_pesel",
    "activation_date",
    "paid_through",
    "left_on",
)


def roster_upload_apply(*, actor: Actor, upload_id: int) -> RosterApplied:
    """PKG-3, PKG-8: store the valid lines of a checked upload, once, and let the enrolments follow the roster.

    * a new person is added; a known one (same PESEL on this contract) gets the file's tier, names, contacts and
      dates — an earlier paid-through date ends their entitlement after that day (PKG-3);
    * in a full upload, people of the roster the file does not name at all (not even on an invalid line) leave it:
      ``left_on`` is set, they stay entitled through their last paid day, no row is deleted;
    * an enrolment made from a roster entry follows it (tier, activation, paid-through); a person who already has a
      patient record and no enrolment for the entry is enrolled now, and is told the activation date by e-mail
      (PKG-3) through the outbox, in this transaction: sent after commit, exactly once (keyed by the E-Karta number).
    """
    today, now = clock.today(), clock.now()
    with transaction.atomic():
        upload = RosterUpload.objects.select_for_update().filter(pk=upload_id).select_related("contract").first()
        if upload is None or not actor.reaches(Action.ROSTER_UPLOAD, contract_id=upload.contract_id):
            raise NotFound(_("No such upload."), code="upload_not_found")
        if upload.applied_at is not None:
            raise Conflict(_("This file has already been applied."), code="upload_applied")
        # One upload at a time per contract: the contract row is the lock.
        contract = Contract.objects.select_for_update().get(pk=upload.contract_id)
        report = roster_report_for(upload, today=today)
        valid = report.valid_lines
        existing = {entry.pesel: entry for entry in RosterEntry.objects.filter(contract=contract)}

        new_entries: list[RosterEntry] = []
        changed_entries: list[RosterEntry] = []
        for line in valid:
            entry = existing.get(line.pesel)
            fields = _entry_fields(line)
            if entry is None:
                new_entries.append(RosterEntry(contract=contract, pesel=line.pesel, **fields))
                continue
            before = tuple(getattr(entry, name) for name in ENTRY_FIELDS)
            for name, value in fields.items():
                setattr(entry, name, value)
            entry.left_on = None
            if tuple(getattr(entry, name) for name in ENTRY_FIELDS) != before:
                changed_entries.append(entry)
        RosterEntry.objects.bulk_create(new_entries, batch_size=BATCH)
        RosterEntry.objects.bulk_update(changed_entries, ENTRY_FIELDS, batch_size=BATCH)
        left = 0
        if upload.mode == RosterUpload.Mode.FULL:
            leavers = [pesel for pesel, entry in existing.items() if entry.left_on is None]
            leavers = [pesel for pesel in leavers if pesel not in report.pesels_in_file]
            for start in range(0, len(leavers), BATCH):
                left += RosterEntry.objects.filter(
                    contract=contract, pesel__in=leavers[start : start + BATCH], left_on__isnull=True
                ).update(left_on=today)

        touched = {line.pesel for line in valid}
        entries = {
            entry.pesel: entry
            for entry in RosterEntry.objects.filter(contract=contract, left_on__isnull=True).only(
                "id", "pesel", "tier_id", "activation_date", "paid_through", "email"
            )
            if entry.pesel in touched
        }
        enrolments = {
            enrolment.roster_entry_id: enrolment
            for enrolment in Enrolment.objects.filter(roster_entry__contract=contract).only(
                "id", "roster_entry_id", "tier_id", "activated_on", "paid_through"
            )
        }
        followed: list[Enrolment] = []
        for entry in entries.values():
            enrolment = enrolments.get(entry.pk)
            if enrolment is None:
                continue
            target = (entry.tier_id, entry.activation_date, entry.paid_through)
            if (enrolment.tier_id, enrolment.activated_on, enrolment.paid_through) != target:
                enrolment.tier_id, enrolment.activated_on, enrolment.paid_through = target
                followed.append(enrolment)
        Enrolment.objects.bulk_update(followed, ["tier_id", "activated_on", "paid_through"], batch_size=BATCH)

        waiting = [entry for entry in entries.values() if entry.pk not in enrolments]
        patients = {
            row["pesel"]: row
            for row in Patient.objects.filter(pesel__in=[entry.pesel for entry in waiting]).values(
                "id", "pesel", "email", "first_name", "guardian__email"
            )
        }
        to_enrol = [entry for entry in waiting if entry.pesel in patients]
        numbers = _ecard_numbers(len(to_enrol))
        new_enrolments = [
            Enrolment(
                patient_id=patients[entry.pesel]["id"],
                contract=contract,
                tier_id=entry.tier_id,
                roster_entry=entry,
                activated_on=entry.activation_date,
                paid_through=entry.paid_through,
                ecard_number=number,
            )
            for entry, number in zip(to_enrol, numbers, strict=True)
        ]
        Enrolment.objects.bulk_create(new_enrolments, batch_size=BATCH)
        messages = []
        for enrolment, entry in zip(new_enrolments, to_enrol, strict=True):
            patient = patients[entry.pesel]
            recipient = patient["email"] or entry.email or patient["guardian__email"] or ""
            if not recipient:
                continue
            subject, body = activation_email(
                first_name=patient["first_name"],
                contract=contract.name,
                activated_on=enrolment.activated_on,
                paid_through=enrolment.paid_through,
            )
            messages.append(
                OutboxItem(
                    key=f"enrolment-activation:{enrolment.ecard_number}",
                    purpose=ACTIVATION_EMAIL_PURPOSE,
                    channel=Channel.EMAIL,
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    patient_id=patient["id"],
                )
            )
        outbox_enqueue_many(messages)

        result = RosterApplied(
            added=len(new_entries),
            changed=len(changed_entries),
            left=left,
            enrolled=len(new_enrolments),
            enrolments_changed=len(followed),
            skipped=len(report.invalid_lines),
        )
        upload.applied_at = now
        upload.added, upload.changed, upload.left, upload.enrolled = (
            result.added,
            result.changed,
            result.left,
            result.enrolled,
        )
        upload.save(update_fields=["applied_at", "added", "changed", "left", "enrolled"])
    return result


def activation_email(
    *, first_name: str, contract: str, activated_on: dt.date, paid_through: dt.date
) -> tuple[str, str]:
    """PKG-3: the e-mail that tells a person the activation date of their package (in Polish, the network's language
    for patients' messages)."""
    with translation.override("pl"):
        subject = _("Your CareNet package is active from %(date)s") % {"date": activated_on.strftime("%d.%m.%Y")}
        body = _(
            "Hello %(name)s,\n\nyour medical package under “%(contract)s” is active from %(start)s and paid through "
            "%(end)s. From the activation date you can book visits in the CareNet portal, in the app or by phone; "
            "your E-Karta is in the portal.\n\nCareNet"
        ) % {
            "name": first_name,
            "contract": contract,
            "start": activated_on.strftime("%d.%m.%Y"),
            "end": paid_through.strftime("%d.%m.%Y"),
        }
    return subject, body
