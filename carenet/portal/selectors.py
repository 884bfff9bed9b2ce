from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from carenet.network.models import City, Facility


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
