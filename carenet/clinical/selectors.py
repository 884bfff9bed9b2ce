"""Reads of clinical documents."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from carenet.accounts.models import Patient
from carenet.clinical.models import Referral


def referral_list_bookable(*, patient: Patient, today: dt.date) -> QuerySet[Referral]:
    """CLN-1: the patient's valid referrals that no booking holds yet (the portal's "book" list)."""
    return (
        Referral.objects.filter(patient=patient, used_by__isnull=True, valid_until__gte=today)
        .select_related("service", "issued_by")
        .order_by("valid_until", "id")
    )
