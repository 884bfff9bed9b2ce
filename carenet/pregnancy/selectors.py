"""Pregnancy care reads (BKG-7): where a patient's pregnancy is led, the requests of a patient, the coordinators'
queue. ``access_*`` return a row only when the actor may see it (:class:`NotFound` otherwise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor
from carenet.core.errors import NotFound
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest


def open_care_q(day: dt.date) -> Q:
    """BKG-7 (:func:`carenet.pregnancy.policies.care_is_open`) as a filter."""
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def pregnancy_facility_ids(*, patient_id: int, day: dt.date) -> frozenset[int]:
    """BKG-7: the facilities where the patient's pregnancy is led on ``day`` (empty: led nowhere in the network)."""
    return frozenset(
        PregnancyCare.objects.filter(open_care_q(day), patient_id=patient_id).values_list("facility_id", flat=True)
    )


def pregnancy_care_list(*, patient_ids: Iterable[int], day: dt.date, open_only: bool = False) -> list[PregnancyCare]:
    """The records of where the patients' pregnancies are (or were) led, the open ones first."""
    rows = PregnancyCare.objects.filter(patient_id__in=sorted(set(patient_ids))).select_related(
        "facility", "facility__city", "clinician"
    )
    if open_only:
        rows = rows.filter(open_care_q(day))
    return sorted(rows, key=lambda care: (care.ended_on is not None and care.ended_on <= day, -care.pk))


def pregnancy_request_list(*, patient_ids: Iterable[int], limit: int = 50) -> list[PregnancyRequest]:
    """A patient's own requests, the newest first."""
    return list(
        PregnancyRequest.objects.filter(patient_id__in=sorted(set(patient_ids)))
        .select_related("wanted_city", "failed_facility")
        .order_by("-created_at", "-id")[:limit]
    )


def pregnancy_request_queue(*, status: str = "", city_id: int | None = None) -> QuerySet[PregnancyRequest]:
    """BKG-7: the coordinators' queue, the oldest first; filtered by status and the wanted city."""
    rows = PregnancyRequest.objects.select_related("patient", "wanted_city", "failed_facility").order_by(
        "created_at", "id"
    )
    if status in PregnancyRequest.Status.values:
        rows = rows.filter(status=status)
    if city_id is not None:
        rows = rows.filter(wanted_city_id=city_id)
    return rows


def access_pregnancy_request(*, actor: Actor, request_id: int) -> PregnancyRequest:
    """The request if the actor may see it (the patient their own, coordinators and the call centre any)."""
    found = (
        PregnancyRequest.objects.select_related(
            "patient", "wanted_city", "failed_facility", "failed_facility__city", "filed_by", "resolved_by"
        )
        .filter(pk=request_id)
        .first()
    )
    if found is None or not actor.reaches(Action.PREGNANCY_REQUEST_VIEW, patient_id=found.patient_id):
        raise NotFound(_("No such pregnancy-care request."), code="pregnancy_request_not_found")
    return found
