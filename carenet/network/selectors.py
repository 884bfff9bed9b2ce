"""Reads about the network. Public data only: no patient data lives here."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from carenet.network.models import City, Facility


def city_list_with_facilities() -> QuerySet[City]:
    """Cities that have at least one active facility, with their counts of own and partner facilities."""
    return (
        City.objects.annotate(
            own_count=Count("facilities", filter=Q(facilities__is_active=True, facilities__kind=Facility.Kind.OWN)),
            partner_count=Count(
                "facilities", filter=Q(facilities__is_active=True, facilities__kind=Facility.Kind.PARTNER)
            ),
        )
        .filter(Q(own_count__gt=0) | Q(partner_count__gt=0))
        .order_by("name")
    )


def facility_directory(*, city_id: int | None = None, kind: str | None = None, query: str = "") -> QuerySet[Facility]:
    """NET-1 / NET-2: active facilities for the public directory, own centres first, then by name."""
    facilities = Facility.objects.filter(is_active=True).select_related("city")
    if city_id is not None:
        facilities = facilities.filter(city_id=city_id)
    if kind in {Facility.Kind.OWN, Facility.Kind.PARTNER}:
        facilities = facilities.filter(kind=kind)
    if query:
        facilities = facilities.filter(Q(name__icontains=query) | Q(address__icontains=query))
    return facilities.order_by("city__name", "kind", "name")
