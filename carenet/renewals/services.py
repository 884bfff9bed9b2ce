"""Prescription renewals (CLN-2): ordering one, issuing it, declining it. Each takes the acting
:class:`~carenet.accounts.permissions.Actor` and asks the permission table first (RENEWAL_REQUEST to order,
RENEWAL_DECIDE to decide); a refused call changes nothing.

Issuing calls :func:`carenet.clinical.services.prescription_issue`, whose SMS with the access code tells the patient
(SMS-1) — no second message. Declining sends one SMS, exactly once (outbox key
``renewal-declined:renewalrequest:<id>``). A request is decided once: the row is locked (``select_for_update``) and
its status checked under the lock, so two clinicians deciding at once get one decision and one 409.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE
from carenet.clinical import services as clinical_services
from carenet.clinical.models import Prescription
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.core.validation import text_problem
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Clinician
from carenet.renewals import policies
from carenet.renewals.models import RenewalRequest
from carenet.renewals.policies import RenewalRefusal
from carenet.renewals.selectors import latest_network_prescription, queue_condition
from carenet.renewals.sms_wording import declined_text
from carenet.scheduling.policies import polish_public_holidays

MESSAGES = {
    RenewalRefusal.DRUG_NOT_PRESCRIBED: _(
        "A renewal can be ordered only for a drug a CareNet doctor prescribed to this patient before."
    ),
    RenewalRefusal.ALREADY_PENDING: _("A renewal of this drug is already waiting for the doctor."),
    RenewalRefusal.NOTE_TOO_LONG: _("The note can have at most 500 characters."),
    RenewalRefusal.ALREADY_DECIDED: _("This request has already been decided."),
    RenewalRefusal.REASON_REQUIRED: _("Give the reason for declining: the patient receives it by SMS."),
    RenewalRefusal.REASON_TOO_LONG: _("The reason can have at most 500 characters."),
    RenewalRefusal.DOSE_REQUIRED: _("Give the dose (at most 200 characters)."),
    RenewalRefusal.QUANTITY_INVALID: _("The quantity is between 1 and 99 packs."),
}


def refused(refusal: RenewalRefusal) -> ApplicationError:
    """The typed error of a refusal: 409 when the request lost to the state of things, 422 for bad input."""
    if refusal in (RenewalRefusal.ALREADY_DECIDED, RenewalRefusal.ALREADY_PENDING):
        return Conflict(MESSAGES[refusal], code=refusal.value)
    return ValidationFailed(MESSAGES[refusal], code=refusal.value)


def _role_not_allowed() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def _not_found() -> NotFound:
    return NotFound(_("No such renewal request."), code="renewal_not_found")


def _text(value: str) -> str:
    if text_problem(value) is not None:
        raise ValidationFailed(_("The text contains characters that cannot be stored."), code="invalid_text")
    return value.strip()


def renewal_order_check(*, actor: Actor, patient_id: int) -> None:
    """Whether the actor may order a renewal for this patient (the table, and ACC-4 level II for a patient);
    raises otherwise. The doors ask it before showing the order form."""
    if not actor.can(Action.RENEWAL_REQUEST):
        raise _role_not_allowed()
    if not actor.reaches(Action.RENEWAL_REQUEST, patient_id=patient_id):
        raise NotFound(_("No such patient."), code="patient_not_found")
    if actor.grant(Action.PORTAL_USE) is not None and not feature_allowed(
        Feature.E_PRESCRIPTIONS, level=actor.level or 0
    ):
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")


def patient_id_required() -> ValidationFailed:
    return ValidationFailed(_("Name the patient you act for (patient_id)."), code="patient_id_required")


def patient_exists(patient_id: int) -> None:
    """404 ``patient_not_found`` for an id that names nobody (staff may name any patient)."""
    if not Patient.objects.filter(pk=patient_id).exists():
        raise NotFound(_("No such patient."), code="patient_not_found")


def service_time_for(now: dt.datetime) -> policies.ServiceTime:
    working_days = int(settings.CARENET_RENEWAL_SERVICE_WORKING_DAYS)
    first, last = policies.calendar_span(clock.local(now).date(), working_days)
    return policies.service_time(now=now, working_days=working_days, holidays=polish_public_holidays(first, last))


def renewal_request(
    *,
    actor: Actor,
    patient_id: int,
    drug_id: int,
    note: str = "",
    door: Channel | None = None,
    now: dt.datetime | None = None,
) -> RenewalRequest:
    """CLN-2: order a renewal of a drug a network clinician prescribed to the patient before; it goes to the
    prescriber's queue with the answer due in the service time. Refusals: 403 ``role_not_allowed``,
    ``level_two_required``; 404 ``patient_not_found``; 422 ``renewal_drug_not_prescribed``,
    ``renewal_note_too_long``; 409 ``renewal_already_pending``."""
    now = now or clock.now()
    renewal_order_check(actor=actor, patient_id=patient_id)
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(_("No such patient."), code="patient_not_found")
    note = _text(note)
    renews = latest_network_prescription(patient_id=patient_id, drug_id=drug_id)
    prescribed = {drug_id} if renews is not None else set()
    if (refusal := policies.order_refusal(drug_id=drug_id, prescribed_drug_ids=prescribed, note=note)) is not None:
        raise refused(refusal)
    assert renews is not None  # order_refusal refused anything else
    channel = actor.channel(Action.RENEWAL_REQUEST, door=door)
    if channel is None or actor.user_id is None:
        raise _role_not_allowed()
    when = service_time_for(now)
    try:
        with transaction.atomic():
            return RenewalRequest.objects.create(
                patient=patient,
                drug_id=drug_id,
                renews=renews,
                requested_by_id=actor.user_id,
                channel=channel.value,
                note=note,
                clinician_id=renews.issued_by_id,
                facility_id=renews.facility_id,
                due_at=when.due_at,
                shared_at=when.shared_at,
                created_at=now,
            )
    except IntegrityError:
        # The partial unique constraint: another order of the same drug is pending (also one that won a race).
        raise refused(RenewalRefusal.ALREADY_PENDING) from None


def _deciding_clinician(actor: Actor) -> Clinician:
    if not actor.can(Action.RENEWAL_DECIDE) or actor.clinician_id is None:
        raise _role_not_allowed()
    clinician = Clinician.objects.filter(pk=actor.clinician_id).first()
    if clinician is None:
        raise _role_not_allowed()
    return clinician


def _locked(*, clinician: Clinician, request_id: int, now: dt.datetime) -> RenewalRequest:
    """The request, locked, if it is in the clinician's queue (any status); 404 otherwise."""
    found = (
        RenewalRequest.objects.select_for_update(of=("self",))
        .filter(queue_condition(clinician_id=clinician.pk, now=now), pk=request_id)
        .first()
    )
    if found is None:
        raise _not_found()
    return found


def renewal_issue(
    *,
    actor: Actor,
    request_id: int,
    dose: str,
    quantity: int,
    reimbursement: str,
    now: dt.datetime | None = None,
) -> RenewalRequest:
    """CLN-2: issue the renewal: a new e-prescription of the same drug for the patient (its own SMS with the access
    code tells them, SMS-1), linked to the request, marked issued. Refusals: 403 ``role_not_allowed``; 404
    ``renewal_not_found`` (not in the clinician's queue); 409 ``renewal_already_decided``; 422 for a bad dose or
    quantity and the prescription service's own codes."""
    now = now or clock.now()
    clinician = _deciding_clinician(actor)
    with transaction.atomic():
        request = _locked(clinician=clinician, request_id=request_id, now=now)
        dose = _text(dose)
        refusal = policies.issue_refusal(status=request.status, dose=dose, quantity=quantity)
        if refusal is not None:
            raise refused(refusal)
        if reimbursement not in Prescription.Reimbursement.values:
            raise ValidationFailed(_("Choose a reimbursement level."), code="reimbursement_invalid")
        prescription = clinical_services.prescription_issue(
            clinician=clinician,
            patient=request.patient,
            facility=request.facility,
            drug=request.drug,
            dose=dose,
            quantity=quantity,
            reimbursement=reimbursement,
            now=now,
        )
        request.status = RenewalRequest.Status.ISSUED
        request.prescription = prescription
        request.decided_at = now
        request.decided_by = clinician
        request.save(update_fields=["status", "prescription", "decided_at", "decided_by"])
        return request


def renewal_decline(*, actor: Actor, request_id: int, reason: str, now: dt.datetime | None = None) -> RenewalRequest:
    """CLN-2: decline with a reason; the patient (or a child's guardian) gets one SMS with it. Refusals: 403
    ``role_not_allowed``; 404 ``renewal_not_found``; 409 ``renewal_already_decided``; 422
    ``renewal_reason_required``, ``renewal_reason_too_long``."""
    now = now or clock.now()
    clinician = _deciding_clinician(actor)
    with transaction.atomic():
        request = _locked(clinician=clinician, request_id=request_id, now=now)
        reason = _text(reason)
        if (refusal := policies.decline_refusal(status=request.status, reason=reason)) is not None:
            raise refused(refusal)
        request.status = RenewalRequest.Status.DECLINED
        request.decline_reason = reason
        request.decided_at = now
        request.decided_by = clinician
        request.save(update_fields=["status", "decline_reason", "decided_at", "decided_by"])
        patient = Patient.objects.select_related("guardian").get(pk=request.patient_id)
        recipient = patient.contact_mobile
        if recipient is not None:
            outbox_enqueue(
                key=f"renewal-declined:renewalrequest:{request.pk}",
                purpose="renewal-declined",
                channel=MessageChannel.SMS,
                recipient=recipient,
                body=declined_text(request),
                patient=patient,
            )
        return request
