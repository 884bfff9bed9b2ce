"""Reads of clinical documents (CLN-1..CLN-6).

Who may read is decided above (the permission table and the ``access_*`` selectors); these take the patients
already allowed. ``network_only`` drops documentation made at a partner facility: a network clinician sees the
history of a patient's visits everywhere, but not a partner's documents (CLN-6). Lists hold the current versions;
a corrected document is reached through its ``superseded_by`` (both are kept, CLN-5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from carenet.accounts.models import Patient
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, SickLeave
from carenet.core import clock

_PARTNER = "partner"  # network.Facility.Kind.PARTNER
_M = TypeVar("_M", bound=Model)


def referral_list_bookable(*, patient: Patient, today: dt.date) -> QuerySet[Referral]:
    """CLN-1: the patient's valid referrals that no booking holds yet (the portal's "book" list)."""
    return (
        Referral.objects.filter(
            patient=patient, used_by__isnull=True, valid_until__gte=today, superseded_by__isnull=True
        )
        .select_related("service", "issued_by")
        .order_by("valid_until", "id")
    )


def _documents(
    queryset: QuerySet[_M], *, patient_ids: Iterable[int], network_only: bool, current: bool
) -> QuerySet[_M]:
    found = queryset.filter(patient_id__in=list(patient_ids))
    if network_only:
        found = found.exclude(facility__kind=_PARTNER)
    if current:
        found = found.filter(superseded_by__isnull=True)
    return found


def referral_list(
    *, patient_ids: Iterable[int], network_only: bool = False, current: bool = True
) -> QuerySet[Referral]:
    """Every referral of these patients, newest first, with its service, issuer, facility and the visit that used
    it (a used referral shows its visit, CLN-1)."""
    return (
        _documents(Referral.objects.all(), patient_ids=patient_ids, network_only=network_only, current=current)
        .select_related(
            "patient", "service", "issued_by", "facility", "used_by__slot__facility", "used_by__slot__clinician"
        )
        .order_by("-issued_at", "-id")
    )


def prescription_list(
    *, patient_ids: Iterable[int], network_only: bool = False, current: bool = True
) -> QuerySet[Prescription]:
    return (
        _documents(Prescription.objects.all(), patient_ids=patient_ids, network_only=network_only, current=current)
        .select_related("patient", "drug", "issued_by", "facility")
        .order_by("-issued_at", "-id")
    )


def sick_leave_list(
    *, patient_ids: Iterable[int], network_only: bool = False, current: bool = True
) -> QuerySet[SickLeave]:
    return (
        _documents(SickLeave.objects.all(), patient_ids=patient_ids, network_only=network_only, current=current)
        .select_related("patient", "issued_by", "facility")
        .order_by("-issued_at", "-id")
    )


def recommendation_list(
    *, patient_ids: Iterable[int], network_only: bool = False, current: bool = True
) -> QuerySet[Recommendation]:
    return (
        _documents(Recommendation.objects.all(), patient_ids=patient_ids, network_only=network_only, current=current)
        .select_related("patient", "issued_by", "facility", "in_person_specialty")
        .prefetch_related("exams")
        .order_by("-issued_at", "-id")
    )


@dataclass(frozen=True, slots=True)
class Documents:
    """A patient's (or a family's) documents of every kind, current versions, newest first."""

    referrals: list[Referral]
    prescriptions: list[Prescription]
    sick_leaves: list[SickLeave]
    recommendations: list[Recommendation]

    def __len__(self) -> int:
        return len(self.referrals) + len(self.prescriptions) + len(self.sick_leaves) + len(self.recommendations)


def documents_of(*, patient_ids: Iterable[int], network_only: bool, limit: int | None = None) -> Documents:
    """Four queries whatever the history: the documents a visit page or a portal overview shows."""
    ids = list(patient_ids)

    def cut(queryset: QuerySet[_M]) -> list[_M]:
        return list(queryset[:limit] if limit is not None else queryset)

    return Documents(
        referrals=cut(referral_list(patient_ids=ids, network_only=network_only)),
        prescriptions=cut(prescription_list(patient_ids=ids, network_only=network_only)),
        sick_leaves=cut(sick_leave_list(patient_ids=ids, network_only=network_only)),
        recommendations=cut(recommendation_list(patient_ids=ids, network_only=network_only)),
    )


def documents_issued_during(*, appointment_id: int, network_only: bool = False) -> Documents:
    """What the clinician issued during one visit (CLN-5), current versions. ``network_only`` drops what was issued
    at a partner facility (a network clinician reading a partner's visit, CLN-6)."""
    during = Q(appointment_id=appointment_id, superseded_by__isnull=True)
    if network_only:
        during &= ~Q(facility__kind=_PARTNER)
    return Documents(
        referrals=list(Referral.objects.filter(during).select_related("service").order_by("issued_at", "id")),
        prescriptions=list(Prescription.objects.filter(during).select_related("drug").order_by("issued_at", "id")),
        sick_leaves=list(SickLeave.objects.filter(during).order_by("issued_at", "id")),
        recommendations=list(
            Recommendation.objects.filter(during)
            .select_related("in_person_specialty")
            .prefetch_related("exams")
            .order_by("issued_at", "id")
        ),
    )


def drugs_prescribed_before(*, patient_id: int) -> QuerySet[Drug]:
    """CLN-2: the drugs a network clinician has prescribed to this patient (at a network facility, never a
    partner's), the only ones a renewal may be ordered for."""
    prescribed = Prescription.objects.filter(patient_id=patient_id).exclude(facility__kind=_PARTNER).values("drug_id")
    return Drug.objects.filter(id__in=prescribed).order_by("name", "strength", "pack")


def drug_search(text: str, *, limit: int = 20) -> QuerySet[Drug]:
    """The catalogue's active drugs whose name or substance contains ``text`` (a prescription form's picker)."""
    text = text.strip()
    if not text:
        return Drug.objects.none()
    return Drug.objects.filter(Q(name__icontains=text) | Q(substance__icontains=text), is_active=True).order_by(
        "name", "strength", "pack"
    )[:limit]


def referrals_in_extension_window(*, issued_from: dt.date, issued_until: dt.date) -> QuerySet[Referral]:
    """CLN-1: the current network referrals issued (Warsaw date) from ``issued_from`` to ``issued_until``
    inclusive — what a validity extension of that window touches. Employers' referrals and corrected versions are
    left out."""
    return Referral.objects.filter(
        source=Referral.Source.NETWORK,
        superseded_by__isnull=True,
        issued_at__gte=clock.at_warsaw(issued_from, dt.time()),
        issued_at__lt=clock.at_warsaw(issued_until + dt.timedelta(days=1), dt.time()),
    )
