"""State changes of clinical documents: issuing a referral (CLN-1, CLN-5)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.clinical import policies
from carenet.clinical.models import Referral
from carenet.core import clock
from carenet.core.errors import ValidationFailed
from carenet.network.models import Clinician, Service


def referral_issue(
    *,
    clinician: Clinician,
    patient: Patient,
    service: Service,
    valid_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """CLN-1: a network clinician refers the patient to a service; valid 3 months unless another term is set."""
    now = now or clock.now()
    issued_on = clock.local(now).date()
    if valid_until is None:
        valid_until = policies.default_valid_until(issued_on)
    if valid_until < issued_on:
        raise ValidationFailed(_("A referral cannot expire before it is issued."), code="referral_validity")
    with transaction.atomic():
        return Referral.objects.create(
            patient=patient,
            service=service,
            issued_by=clinician,
            source=Referral.Source.NETWORK,
            issued_at=now,
            valid_until=valid_until,
        )
