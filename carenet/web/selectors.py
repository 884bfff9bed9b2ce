from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.clinical import selectors as clinical_selectors
from carenet.core.catalogue import localized
from carenet.core.errors import NotFound
from carenet.network.models import City, Facility, Service
from carenet.scheduling.models import Slot


@dataclass(frozen=True)
class NetworkSummary:
    cities: int
    own_facilities: int
    partner_facilities: int


def network_summary() -> NetworkSummary:
    counts = Facility.objects.filter(is_active=True).aggregate(
        own=Count("id", filter=Q(kind=Facility.Kind.OWN)), partner=Count("id", filter=Q(kind=Facility.Kind.PARTNER))
    )
    return NetworkSummary(
        cities=City.objects.filter(facilities__is_active=True).distinct().count(),
        own_facilities=counts["own"],
        partner_facilities=counts["partner"],
    )


def slot_for_offer(*, slot_id: int) -> Slot:
    """A slot with what its offer and its summary show (clinician, facility and city, room, specialty, the
    schedule's services). Slots are not patient data; whether it may be booked is the booking service's call."""
    slot = (
        Slot.objects.select_related("clinician", "facility", "facility__city", "room", "specialty", "schedule")
        .prefetch_related("schedule__services")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise NotFound(_("There is no such slot."), code="unknown_slot")
    return slot


def service_by_code(code: str) -> Service | None:
    return Service.objects.select_related("specialty").filter(code=code, is_bookable=True).first() if code else None


def referral_choices(*, patient: Patient, service: Service | None, today: dt.date) -> list[tuple[int, str]]:
    """BKG-4: the patient's valid, unused referrals for ``service`` as (id, label) choices."""
    if service is None:
        return []
    referrals = clinical_selectors.referral_list_bookable(patient=patient, today=today).filter(service=service)
    return [
        (
            referral.pk,
            _("%(service)s, issued %(issued)s by %(by)s, valid until %(until)s")
            % {
                "service": localized(referral.service),
                "issued": date_format(referral.issued_at, "SHORT_DATE_FORMAT"),
                "by": referral.issued_by or referral.employer_name or _("the employer"),
                "until": date_format(referral.valid_until, "SHORT_DATE_FORMAT"),
            },
        )
        for referral in referrals
    ]
