"""State changes of clinical documents (CLN-1, CLN-5, SMS-1): issuing referrals, e-prescriptions, sick leave and
recommendations.

The issuing services do not ask who acts: their callers (the visit record, the renewal queue) check the actor
against the permission table first. Each validates with :mod:`carenet.clinical.policies`, then in one transaction
registers the document with the national platform (:mod:`carenet.clinical.platform`), stores it, and for an
e-prescription records the SMS with the pharmacy code in the outbox (sent exactly once, SMS-3). A correction is a
new document whose ``supersedes`` names the one it replaces; both are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import DateField, Func
from django.db.models.expressions import Combinable
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor
from carenet.clinical import catalogue, platform, policies, selectors, sms_wording
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, ReferralValidityExtension, SickLeave
from carenet.clinical.policies import DocumentRefusal, ExtensionRefusal
from carenet.core import clock
from carenet.core.errors import PermissionDenied, ValidationFailed
from carenet.core.validation import date_in_range, text_problem
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Clinician, Facility, Service, Specialty

#: The outbox purpose of the SMS with an e-prescription's code (SMS-1); its key ends with the prescription's id.
PRESCRIPTION_ISSUED = "prescription-issued"

REFUSAL_MESSAGES: dict[DocumentRefusal, Promise] = {
    DocumentRefusal.QUANTITY: _("Prescribe between 1 and 99 packs."),
    DocumentRefusal.DOSE: _("Give the dose, in at most 200 characters."),
    DocumentRefusal.DRUG_INACTIVE: _("This drug is no longer in the catalogue."),
    DocumentRefusal.TEXT: _("Write the recommendation, in at most 4000 characters."),
    DocumentRefusal.NOTE: _("The note may have at most 500 characters."),
    DocumentRefusal.REFERRAL_VALIDITY: _("A referral cannot expire before it is issued."),
    DocumentRefusal.SICK_LEAVE_ORDER: _("The sick leave must end on or after the day it starts."),
    DocumentRefusal.SICK_LEAVE_BACKDATED: _("A sick leave may start at most 3 days before it is issued."),
    DocumentRefusal.SICK_LEAVE_TOO_LONG: _("A sick leave may last at most 182 days."),
    DocumentRefusal.NIP: _("The employer's NIP is not valid."),
    DocumentRefusal.CORRECTION_PATIENT: _("A correction must be for the same patient."),
    DocumentRefusal.CORRECTION_CLINICIAN: _("Only the clinician who signed a document can correct it."),
    DocumentRefusal.CORRECTION_SUPERSEDED: _("This document has already been corrected: correct the newest version."),
    DocumentRefusal.CORRECTION_KIND: _("A correction must be a document of the same kind."),
}


def _refuse(refusal: DocumentRefusal | None) -> None:
    if refusal is not None:
        raise ValidationFailed(REFUSAL_MESSAGES[refusal], code=str(refusal))


def _check_dates(*dates: dt.date) -> None:
    """Dates a document may carry (1900–2100): year 9999 would overflow an extension of validity."""
    if not all(date_in_range(date) for date in dates):
        raise ValidationFailed(_("Give dates between 1900 and 2100."), code="invalid_date")


def _clean_text(values: Iterable[str]) -> None:
    """Text PostgreSQL cannot store (NUL, control characters, lone surrogates) is refused, never half stored."""
    for value in values:
        if not isinstance(value, str) or text_problem(value) is not None:
            raise ValidationFailed(_("The text contains characters that cannot be stored."), code="invalid_text")


Document = TypeVar("Document", Prescription, SickLeave, Recommendation, Referral)


def _check_correction(
    model: type[Document], supersedes: Document | None, *, patient: Patient, clinician: Clinician
) -> None:
    """CLN-5: the corrected version is of the same kind, patient and signing clinician, and still current. Locks
    it (PostgreSQL) so two corrections of one version cannot both pass; the one-to-one ``supersedes`` settles a race
    on SQLite."""
    if supersedes is None:
        return
    if not isinstance(supersedes, model) or supersedes.pk is None:
        _refuse(DocumentRefusal.CORRECTION_KIND)
    current = model.objects.select_for_update().filter(pk=supersedes.pk).values("patient_id", "issued_by_id").first()
    if current is None:
        _refuse(DocumentRefusal.CORRECTION_KIND)
        return
    facts = policies.CorrectionFacts(
        patient_id=current["patient_id"],
        issued_by_id=current["issued_by_id"],
        already_corrected=model.objects.filter(supersedes_id=supersedes.pk).exists(),
    )
    _refuse(policies.correction_refusal(facts, patient_id=patient.pk, clinician_id=clinician.pk))


def _insert(document: models.Model) -> None:
    """Insert in a savepoint: losing a race to correct the same version becomes the typed refusal."""
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except IntegrityError as error:
        if getattr(document, "supersedes_id", None) is not None:
            raise ValidationFailed(
                REFUSAL_MESSAGES[DocumentRefusal.CORRECTION_SUPERSEDED],
                code=str(DocumentRefusal.CORRECTION_SUPERSEDED),
            ) from error
        raise


def referral_issue(
    *,
    clinician: Clinician,
    patient: Patient,
    service: Service,
    facility: Facility | None = None,
    appointment_id: int | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
    supersedes: Referral | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """CLN-1: a network clinician refers the patient to a service; valid 3 months unless another term is set. The
    e-referral is registered with P1, which assigns its key and the patient's 4-digit code."""
    now = now or clock.now()
    issued_on = clock.local(now).date()
    if valid_until is None:
        valid_until = policies.default_valid_until(issued_on)
    _check_dates(valid_until)
    _clean_text([note])
    _refuse(policies.referral_refusal(issued_on=issued_on, valid_until=valid_until, note=note))
    with transaction.atomic():
        _check_correction(Referral, supersedes, patient=patient, clinician=clinician)
        if supersedes is not None and supersedes.source != Referral.Source.NETWORK:
            _refuse(DocumentRefusal.CORRECTION_KIND)
        referral = Referral(
            patient=patient,
            service=service,
            issued_by=clinician,
            source=Referral.Source.NETWORK,
            issued_at=now,
            valid_until=valid_until,
            facility=facility,
            appointment_id=appointment_id,
            note=note,
            supersedes=supersedes,
        )
        registration = platform.national_platform().register_referral(referral)
        referral.national_id, referral.access_code = registration.national_id, registration.access_code
        _insert(referral)
        return referral


def prescription_issue(
    *,
    clinician: Clinician,
    patient: Patient,
    facility: Facility,
    drug: Drug,
    dose: str,
    quantity: int,
    reimbursement: str,
    appointment_id: int | None = None,
    supersedes: Prescription | None = None,
    now: dt.datetime | None = None,
) -> Prescription:
    """CLN-5, SMS-1: an e-prescription of a catalogue drug, valid 30 days, registered with P1; the patient (or a
    child's guardian) gets the 4-digit code by SMS, exactly once."""
    now = now or clock.now()
    _clean_text([dose])
    _refuse(policies.prescription_refusal(dose=dose, quantity=quantity))
    if reimbursement not in Prescription.Reimbursement.values:
        raise ValidationFailed(_("Choose a reimbursement level."), code="prescription_reimbursement")
    if not drug.is_active:
        _refuse(DocumentRefusal.DRUG_INACTIVE)
    with transaction.atomic():
        _check_correction(Prescription, supersedes, patient=patient, clinician=clinician)
        prescription = Prescription(
            patient=patient,
            issued_by=clinician,
            facility=facility,
            appointment_id=appointment_id,
            issued_at=now,
            supersedes=supersedes,
            drug=drug,
            dose=dose,
            quantity=quantity,
            reimbursement=reimbursement,
            valid_until=policies.prescription_valid_until(clock.local(now).date()),
        )
        registration = platform.national_platform().register_prescription(prescription)
        prescription.national_id, prescription.access_code = registration.national_id, registration.access_code
        _insert(prescription)
        recipient = patient.contact_mobile
        if recipient is not None:
            outbox_enqueue(
                key=f"{PRESCRIPTION_ISSUED}:prescription:{prescription.pk}",
                purpose=PRESCRIPTION_ISSUED,
                channel="sms",
                recipient=recipient,
                body=sms_wording.prescription_issued_text(prescription, access_code=registration.access_code),
                patient=patient,
                # The code is kept on the prescription; the outbox forgets it once the SMS is sent.
                secret=registration.access_code,
            )
        return prescription


def sick_leave_issue(
    *,
    clinician: Clinician,
    patient: Patient,
    facility: Facility,
    starts_on: dt.date,
    ends_on: dt.date,
    employer_nip: str,
    reason_code: str = "",
    indication: str = "2",
    diagnosis_code: str = "",
    appointment_id: int | None = None,
    supersedes: SickLeave | None = None,
    now: dt.datetime | None = None,
) -> SickLeave:
    """CLN-5: a sick leave (e-ZLA) registered with ZUS PUE, which numbers it (series and number)."""
    now = now or clock.now()
    _check_dates(starts_on, ends_on)
    _clean_text([employer_nip, reason_code, indication, diagnosis_code])
    _refuse(
        policies.sick_leave_refusal(
            starts_on=starts_on, ends_on=ends_on, employer_nip=employer_nip, today=clock.local(now).date()
        )
    )
    if reason_code not in SickLeave.ReasonCode.values:
        raise ValidationFailed(_("Choose a reason category code."), code="sick_leave_reason_code")
    if indication not in SickLeave.Indication.values:
        raise ValidationFailed(_("Choose an indication."), code="sick_leave_indication")
    if len(diagnosis_code) > 8:
        raise ValidationFailed(_("The diagnosis code may have at most 8 characters."), code="sick_leave_diagnosis")
    with transaction.atomic():
        _check_correction(SickLeave, supersedes, patient=patient, clinician=clinician)
        sick_leave = SickLeave(
            patient=patient,
            issued_by=clinician,
            facility=facility,
            appointment_id=appointment_id,
            issued_at=now,
            supersedes=supersedes,
            starts_on=starts_on,
            ends_on=ends_on,
            reason_code=reason_code,
            indication=indication,
            diagnosis_code=diagnosis_code.strip().upper(),
            employer_nip=employer_nip,
        )
        sick_leave.national_id = platform.national_platform().register_sick_leave(sick_leave).national_id
        _insert(sick_leave)
        return sick_leave


def recommendation_issue(
    *,
    clinician: Clinician,
    patient: Patient,
    facility: Facility,
    text: str,
    in_person_visit: bool = False,
    in_person_specialty: Specialty | None = None,
    exams: Iterable[Service] = (),
    appointment_id: int | None = None,
    supersedes: Recommendation | None = None,
    now: dt.datetime | None = None,
) -> Recommendation:
    """CLN-5, CLN-3: a recommendation (text, an in-person visit, exams to do); not a national document, so CareNet
    numbers it itself."""
    now = now or clock.now()
    _clean_text([text])
    _refuse(policies.recommendation_refusal(text=text))
    if in_person_specialty is not None and not in_person_visit:
        in_person_visit = True
    with transaction.atomic():
        _check_correction(Recommendation, supersedes, patient=patient, clinician=clinician)
        recommendation = Recommendation(
            patient=patient,
            issued_by=clinician,
            facility=facility,
            appointment_id=appointment_id,
            issued_at=now,
            supersedes=supersedes,
            national_id=platform.recommendation_local_id(),
            text=text,
            in_person_visit=in_person_visit,
            in_person_specialty=in_person_specialty,
        )
        _insert(recommendation)
        exam_list = list(exams)
        if exam_list:
            recommendation.signing = True  # type: ignore[attr-defined]  # the exams are signed with the text
            try:
                recommendation.exams.set(exam_list)
            finally:
                del recommendation.signing  # type: ignore[attr-defined]
        return recommendation


def drug_catalogue_load() -> int:
    """CLN-5: (re)load the drug catalogue shipped as data — after the database was emptied (the demo's reset);
    the migration loads it once. Idempotent; returns how many drugs were added or corrected."""
    with transaction.atomic():
        return catalogue.catalogue_load(Drug)


# --- CLN-1: the administrator's bulk extension of referral validity ------------------------------------------------

EXTENSION_REFUSALS: dict[ExtensionRefusal, Promise] = {
    ExtensionRefusal.WINDOW_ORDER: _("The window must end on or after the day it starts."),
    ExtensionRefusal.WINDOW_TOO_LONG: _("The window may cover at most two years of issue dates."),
    ExtensionRefusal.MONTHS: _("Extend by 1 to 12 months."),
    ExtensionRefusal.REASON: _("Give the reason, in at most 300 characters."),
}


class _AddMonths(Func):
    """``date + months`` in SQL, the last day of a shorter month kept as in :func:`policies.add_months` (31 August
    + 6 months is 28 February): PostgreSQL's interval arithmetic does so; SQLite's ``date()`` would overflow into
    March, so the result is capped at the target month's last day."""

    output_field = DateField()

    def __init__(self, expression: Combinable | str, months: int) -> None:
        super().__init__(expression)
        self.months = int(months)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(({sql}) + make_interval(months => %s) AS date)", [*params, self.months]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        shift = f"'start of month', '+{self.months} months'"
        last_day = f"date({sql}, {shift}, '+1 month', '-1 day')"
        same_day = f"date({sql}, {shift}, '+' || (CAST(strftime('%%d', {sql}) AS INTEGER) - 1) || ' days')"
        return f"min({last_day}, {same_day})", [*params, *params, *params, *params]


def referral_validity_extension_check(*, issued_from: dt.date, issued_until: dt.date, months: int, reason: str) -> None:
    """Raises :class:`ValidationFailed` when an extension so asked would be refused (the page's preview asks first)."""
    _clean_text([reason])
    if not (date_in_range(issued_from) and date_in_range(issued_until)):
        raise ValidationFailed(_("Give dates between 1900 and 2100."), code="invalid_date")
    refusal = policies.extension_refusal(
        issued_from=issued_from, issued_until=issued_until, months=months, reason=reason
    )
    if refusal is not None:
        raise ValidationFailed(EXTENSION_REFUSALS[refusal], code=str(refusal))


def referral_validity_extend(
    *,
    actor: Actor,
    issued_from: dt.date,
    issued_until: dt.date,
    months: int,
    reason: str,
    now: dt.datetime | None = None,
) -> ReferralValidityExtension:
    """CLN-1: an administrator extends, in one UPDATE, the validity of every current network referral issued (its
    Warsaw date) in the window by ``months``; the record says who, when, why and how many, and each referral names
    it. Employers' referrals and corrected versions are left as they are."""
    if not actor.can(Action.REFERRAL_VALIDITY_EXTEND) or actor.user_id is None:
        raise PermissionDenied(_("Only an administrator extends referrals."), code="forbidden")
    now = now or clock.now()
    referral_validity_extension_check(issued_from=issued_from, issued_until=issued_until, months=months, reason=reason)
    with transaction.atomic():
        extension = ReferralValidityExtension.objects.create(
            issued_from=issued_from,
            issued_until=issued_until,
            months=months,
            reason=reason.strip(),
            extended_by_id=actor.user_id,
            extended_at=now,
        )
        count = selectors.referrals_in_extension_window(issued_from=issued_from, issued_until=issued_until).update(
            valid_until=_AddMonths("valid_until", months), extended_by=extension
        )
        ReferralValidityExtension.objects.filter(pk=extension.pk).update(referral_count=count)
        extension.referral_count = count
        return extension
