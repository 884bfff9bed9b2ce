"""Reads about the network. Public data only: no patient data lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from carenet.core.kept import KeptUnderToken
from carenet.network.models import City, Clinician, Facility, FacilityClosure, Language, Specialty


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


# --- The visit search form (SCH-2): pick lists that stay small and cheap whatever the size of the network ---------


def city_list_for_search() -> QuerySet[City]:
    """SCH-2: the cities the search form offers — those with an active facility, own or partner (NET-2) — found
    with ``EXISTS`` rather than by counting every facility."""
    active = Facility.objects.filter(city_id=OuterRef("pk"), is_active=True)
    return City.objects.filter(Exists(active)).order_by("name")


def facility_list_bookable() -> QuerySet[Facility]:
    """SCH-2, NET-2: the facilities a patient may search by name — active own centres (partners are phoned)."""
    return Facility.objects.filter(kind=Facility.Kind.OWN, is_active=True)


def facilities_in_city(*, city_id: int) -> QuerySet[Facility]:
    """SCH-2: the bookable facilities of one city, by name — what the facility select lists once a city is chosen:
    their ids and names only (issue 16: a whole row decodes each facility's opening hours, a JSON document, and a
    large city lists hundreds of them on every search page)."""
    return facility_list_bookable().filter(city_id=city_id).order_by("name").only("id", "name")


def specialties_with_active_clinicians() -> QuerySet[Specialty]:
    """SCH-2: the specialties someone can be booked with — a correlated ``EXISTS`` over active clinicians per
    specialty, not a ``DISTINCT`` over every clinician's specialties."""
    practised = Clinician.objects.filter(specialties=OuterRef("pk"), is_active=True)
    return Specialty.objects.filter(Exists(practised)).order_by("name")


@dataclass(frozen=True)
class SearchLists:
    """SCH-2: what the search form lists on every home and search page — the specialties someone can be booked
    with, the cities with an active facility, the languages of a visit — as model instances shared by the requests
    of a process: read them, never change them."""

    specialties: tuple[Specialty, ...]
    cities: tuple[City, ...]
    languages: tuple[Language, ...]


#: The lists as this process last read them, under the token they were read under (:func:`search_lists`).
_LISTS = KeptUnderToken()


def search_lists(*, version: int) -> SearchLists:
    """PERF (issue 16): the search form's lists, kept per process under the catalogue's token ``version`` (the
    coverage matrix's token, which the caller reads: coverage sits above the network). Every save or delete of a
    city, facility, clinician, specialty or language, a change of a clinician's specialties and the bulk loaders
    write a new token, so the next request of every process reads the lists again; under an unchanged token they
    cost no query."""
    return _LISTS.get(
        version,
        "lists",
        lambda: SearchLists(
            specialties=tuple(specialties_with_active_clinicians()),
            cities=tuple(city_list_for_search()),
            languages=tuple(Language.objects.all()),
        ),
    )


def search_lists_cache_clear() -> None:
    """Forget this process's copy of the search form's lists (the next request reads them again)."""
    _LISTS.clear()


def closures_of_slot(
    *, facility: Any = None, clinician: Any = None, starts_at: Any = None, ends_at: Any = None
) -> QuerySet[FacilityClosure]:
    """NET-3: the closures that cover a slot — of its facility as a whole, or of its clinician there — over its
    time; a closure reopened early covers only until it was reopened. The arguments default to the outer slot's
    columns (``OuterRef``), for ``Exists(...)`` in the search and in the statement that locks a slot to book it;
    given values read one slot's closures now."""
    facility = OuterRef("facility_id") if facility is None else facility
    clinician = OuterRef("clinician_id") if clinician is None else clinician
    starts_at = OuterRef("starts_at") if starts_at is None else starts_at
    ends_at = OuterRef("ends_at") if ends_at is None else ends_at
    return FacilityClosure.objects.filter(
        Q(clinician__isnull=True) | Q(clinician_id=clinician),
        Q(reopened_at__isnull=True) | Q(reopened_at__gt=starts_at),
        facility_id=facility,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
