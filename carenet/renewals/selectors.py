"""Reads of prescription renewals (CLN-2): the drugs a patient may order, their requests, and a clinician's queue.

Who may read is decided by the callers (the permission table, the services); these take the patients already
allowed, except :func:`renewal_queue`, which *is* the routing rule: the prescriber's own requests, and their
facility's while the prescriber is away or half of the service time has passed — in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from carenet.clinical.models import Drug, Prescription
from carenet.clinical.selectors import drugs_prescribed_before
from carenet.core import clock
from carenet.network.models import Clinician
from carenet.renewals.models import RenewalRequest
from carenet.scheduling.models import Schedule
from carenet.scheduling.policies import polish_public_holidays

_PARTNER = "partner"  # network.Facility.Kind.PARTNER


def latest_network_prescription(*, patient_id: int, drug_id: int) -> Prescription | None:
    """The latest prescription of this drug a network clinician issued to the patient (what a renewal renews)."""
    return (
        Prescription.objects.filter(patient_id=patient_id, drug_id=drug_id)
        .exclude(facility__kind=_PARTNER)
        .select_related("drug", "issued_by", "facility")
        .order_by("-issued_at", "-id")
        .first()
    )


@dataclass(frozen=True, slots=True)
class RenewableDrug:
    """A drug the patient may order, its latest network prescription (dose, who, when) and whether a request for
    it already waits for the doctor."""

    drug: Drug
    last: Prescription
    pending: RenewalRequest | None


def renewable_drugs(*, patient_id: int) -> list[RenewableDrug]:
    """CLN-2: every drug a network clinician prescribed to the patient, with its latest prescription. Three
    queries whatever the history."""
    drugs = list(drugs_prescribed_before(patient_id=patient_id))
    latest: dict[int, Prescription] = {}
    prescriptions = (
        Prescription.objects.filter(patient_id=patient_id, drug_id__in=[drug.pk for drug in drugs])
        .exclude(facility__kind=_PARTNER)
        .select_related("issued_by", "facility")
        .order_by("-issued_at", "-id")
    )
    for prescription in prescriptions:
        latest.setdefault(prescription.drug_id, prescription)
    pending = {
        request.drug_id: request
        for request in RenewalRequest.objects.filter(patient_id=patient_id, status=RenewalRequest.Status.PENDING)
    }
    return [RenewableDrug(drug=drug, last=latest[drug.pk], pending=pending.get(drug.pk)) for drug in drugs]


def renewal_list(*, patient_ids: Iterable[int], limit: int = 50) -> list[RenewalRequest]:
    """The patients' renewal requests, newest first, with the drug and the issued prescription (its code)."""
    found = (
        RenewalRequest.objects.filter(patient_id__in=sorted(set(patient_ids)))
        .select_related("patient", "drug", "prescription", "clinician", "renews")
        .order_by("-created_at", "-id")
    )
    return list(found[:limit])


def _today_covered_q(*, today: dt.date) -> Q:
    """A schedule of the request's clinician that covers today at the request's facility (for ``Exists``)."""
    covering = Q(
        clinician_id=OuterRef("clinician_id"),
        facility_id=OuterRef("facility_id"),
        valid_from__lte=today,
        valid_until__gte=today,
        weekdays__contains=str(today.isoweekday()),
    )
    if polish_public_holidays(today, today):
        covering &= Q(skip_holidays=False)
    return covering


def queue_condition(*, clinician_id: int, now: dt.datetime) -> Q:
    """CLN-2 routing as a condition on requests (any status): assigned to the clinician; or at a facility the
    clinician works at (while active) when the prescriber is away — inactive, no schedule covering today there —
    or half of the service time has passed."""
    today = clock.local(now).date()
    own_facilities = Clinician.facilities.through.objects.filter(
        clinician_id=clinician_id, clinician__is_active=True
    ).values("facility_id")
    scheduled = Exists(Schedule.objects.filter(_today_covered_q(today=today)))
    away = Q(clinician__is_active=False) | ~scheduled | Q(shared_at__lte=now)
    return Q(clinician_id=clinician_id) | (Q(facility_id__in=own_facilities) & away)


def renewal_queue(*, clinician_id: int, now: dt.datetime, limit: int = 200) -> list[RenewalRequest]:
    """The pending requests a clinician decides, the most urgent first (one query)."""
    found = (
        RenewalRequest.objects.filter(queue_condition(clinician_id=clinician_id, now=now), status="pending")
        .select_related("patient", "drug", "renews__issued_by", "clinician", "facility")
        .order_by("due_at", "id")
    )
    return list(found[:limit])
