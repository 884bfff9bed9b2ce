"""Slot search (SCH-2, SCH-3, NET-2, NET-3): the free slots a patient may book, earliest first, one page at a time.

:class:`SlotQuery` is the validated question (pure: its checks raise :class:`ValidationFailed` with stable codes and
touch no database); :func:`slot_search` answers it with a :class:`SlotPage`.

The query reads the ``slot`` table through its partial indexes on free slots ((specialty, city, starts_at),
(specialty, mode, starts_at), (clinician, starts_at), and (specialty, starts_at, id) for a city search, which also
offers remote slots nationwide); it orders by ``(starts_at, id)`` and fetches one row more than
the page to tell whether there is a next page, so no ``COUNT(*)`` runs over millions of slots. A page costs a
constant number of queries whatever its size: the page's slots with their facility and city (the filtering query
joins only what it filters on), their clinician, specialty, room and their schedules' service ids by primary key,
and the partner facilities to phone. The split is deliberate: with all six relations joined into the filtering
query, PostgreSQL spent ~10× longer choosing a join order than running it (B1 in ``bench/``).

PERF (issue 16): a page is built from rows, not model instances: each slot is a read-only :class:`SlotRow` with the
columns the API and the pages show (the clinician's name, the facility's address, the room's number, the specialty's
names) and its schedule's service ids — four related model instances per slot and a prefetch cost more Python than
the whole rest of a search. The slot query and the page's details are baked (:mod:`carenet.core.baked`): compiled
once per process and shape — which filters a search applies, its sort and page; the number of slots on the page —
and run with each search's values (building and compiling them was ~2.5 ms of Python per search).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Q, QuerySet, Subquery
from django.db.models.functions import ExtractHour, TruncDate
from django.utils.translation import gettext_lazy as _

from carenet.core.baked import BakedQuery, BoundQuery
from carenet.core.clock import WARSAW, at_warsaw, local
from carenet.core.errors import ValidationFailed
from carenet.network.models import Facility, Service, Specialty
from carenet.network.selectors import closures_of_slot
from carenet.scheduling.models import Mode, Schedule, Slot

#: SCH-2: the longest date range one search may span (days, both ends included).
MAX_RANGE_DAYS = 90
#: The range searched when the patient gives no end date.
DEFAULT_RANGE_DAYS = 30
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
#: Deep pages cost an OFFSET scan; nobody pages this far — they narrow the dates instead.
MAX_PAGE = 200
#: Partner facilities listed next to the results ("call them", NET-2).
MAX_PARTNERS = 10
#: PERF (issue 16): compiled slot queries a process keeps (a shape per set of filters, sort and page).
SEARCH_SHAPES_KEPT = 64

#: Times of day on the Warsaw wall clock, as [from, to) hours.
TIMES_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}

#: The sort orders a client may ask for (an allow-list); ``id`` breaks ties so paging is stable.
SORTS: dict[str, tuple[str, str]] = {
    "starts_at": ("starts_at", "id"),
    "-starts_at": ("-starts_at", "-id"),
}
DEFAULT_SORT = "starts_at"

#: Modes served from anywhere in the country (SCH-3): the city does not narrow them.
REMOTE_MODES = frozenset({Mode.PHONE.value, Mode.VIDEO.value})


@dataclass(frozen=True)
class SlotQuery:
    """A validated search question. Build it with the patient's input; invalid input raises at once."""

    specialty: str | None = None
    service: str | None = None
    city_id: int | None = None
    facility_id: int | None = None
    clinician_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    time_of_day: str | None = None
    hour_from: int | None = None
    hour_to: int | None = None
    language: str | None = None
    mode: str | None = None
    #: Phone or video only (issue 14: in person and remote kept apart); the city does not narrow them (SCH-3).
    remote: bool = False
    sort: str = DEFAULT_SORT
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if not (self.specialty or self.service or self.clinician_id):
            raise ValidationFailed(
                _("Choose a specialty, a service or a clinician."), code="specialty_or_service_required"
            )
        if self.date_from and self.date_to:
            if self.date_to < self.date_from:
                raise ValidationFailed(_("The end date is before the start date."), code="dates_reversed")
            if (self.date_to - self.date_from).days >= MAX_RANGE_DAYS:
                raise ValidationFailed(
                    _("Search at most %(days)d days at once.") % {"days": MAX_RANGE_DAYS}, code="range_too_long"
                )
        if self.time_of_day is not None and self.time_of_day not in TIMES_OF_DAY:
            raise ValidationFailed(_("Time of day is one of: morning, afternoon, evening."), code="unknown_time_of_day")
        if self.time_of_day is not None and (self.hour_from is not None or self.hour_to is not None):
            raise ValidationFailed(_("Give either a time of day or hours, not both."), code="time_filter_conflict")
        for hour in (self.hour_from, self.hour_to):
            if hour is not None and not 0 <= hour <= 24:
                raise ValidationFailed(_("Hours are between 0 and 24."), code="bad_hours")
        if self.hour_from is not None and self.hour_to is not None and self.hour_from >= self.hour_to:
            raise ValidationFailed(_("The hours are reversed."), code="hours_reversed")
        if self.mode is not None and self.mode not in Mode.values:
            raise ValidationFailed(_("Mode is one of: in_person, phone, video."), code="unknown_mode")
        if self.remote and self.mode is not None and self.mode not in REMOTE_MODES:
            raise ValidationFailed(_("A remote visit is by phone or video."), code="mode_conflict")
        if self.sort not in SORTS:
            raise ValidationFailed(_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)}, code="unknown_sort")
        if not 1 <= self.page <= MAX_PAGE:
            raise ValidationFailed(_("The page is a number from 1 to %(max)d.") % {"max": MAX_PAGE}, code="bad_page")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValidationFailed(
                _("The page size is a number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}, code="bad_page_size"
            )

    def window(self, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The searched period as instants ``[start, end)``: from the start date (never before ``now``) through the
        end of the end date, Warsaw days (SCH-2)."""
        today = local(now).date()
        first = self.date_from or today
        last = self.date_to or (first + dt.timedelta(days=DEFAULT_RANGE_DAYS - 1))
        if (last - max(first, today)).days >= MAX_RANGE_DAYS:
            raise ValidationFailed(
                _("Search at most %(days)d days at once.") % {"days": MAX_RANGE_DAYS}, code="range_too_long"
            )
        start = max(at_warsaw(first, dt.time.min), now)
        end = at_warsaw(last + dt.timedelta(days=1), dt.time.min)
        return start, end

    def hours(self) -> tuple[int, int] | None:
        """The wall-clock hours ``[from, to)`` the slot must start in, or ``None`` for any time."""
        if self.time_of_day is not None:
            return TIMES_OF_DAY[self.time_of_day]
        if self.hour_from is None and self.hour_to is None:
            return None
        return (self.hour_from or 0, 24 if self.hour_to is None else self.hour_to)


@dataclass(frozen=True)
class PartnerFacility:
    """NET-2: a partner facility that matches the search: never bookable online, the patient phones it."""

    id: int
    name: str
    city: str
    address: str
    phone: str
    scope: str
    offers_telemedicine: bool
    scope_en: str = ""  # BEY-5: the scope in English, shown on English pages when filled


@dataclass(frozen=True, slots=True)
class CityRow:
    id: int
    name: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class FacilityRow:
    """The facility of a slot as the results show it (own and active: the search never lists a partner, NET-2)."""

    id: int
    name: str
    address: str
    city: CityRow

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class ClinicianRow:
    id: int
    first_name: str
    last_name: str
    title: str

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:  # as ``network.Clinician`` names itself
        return f"{self.title} {self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class SpecialtyRow:
    id: int
    code: str
    name: str
    name_en: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class RoomRow:
    id: int
    number: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class SlotRow:
    """One free slot of a results page, read-only (PERF, issue 16): the slot's own columns, what the API and the
    pages show of its clinician, facility (with its city), room and specialty, and ``service_ids``: the ids of its
    schedule's services, in order (the catalogue's services are read apart, under the coverage matrix's token:
    :func:`carenet.coverage.selectors.catalogue_services`). It answers the attributes of a ``Slot`` that the results
    read (``pk``, ``starts_at``, ``mode``, ``get_mode_display()``, ``clinician``, …)."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    clinician_id: int
    facility_id: int | None
    city_id: int | None
    room_id: int | None
    specialty_id: int
    schedule_id: int | None
    facility: FacilityRow | None
    clinician: ClinicianRow
    specialty: SpecialtyRow
    room: RoomRow | None
    service_ids: tuple[int, ...]

    @property
    def pk(self) -> int:
        return self.id

    def get_mode_display(self) -> str:
        return str(Mode(self.mode).label)


#: PKG-2: the partner facilities a patient's contracts allow — ids, or a query of them read as a subquery.
PartnerIds = Collection[int] | QuerySet[Any, int] | BoundQuery


@dataclass(frozen=True)
class SlotPage:
    slots: list[SlotRow]
    page: int
    page_size: int
    has_next: bool
    partners: list[PartnerFacility] = field(default_factory=list)
    #: The service named in the query (``None`` for a specialty or clinician search).
    service: Service | None = None


def slot_search(*, query: SlotQuery, now: dt.datetime, allowed_partner_ids: PartnerIds | None = None) -> SlotPage:
    """SCH-2: one page of free, bookable slots matching ``query``, earliest first (or as sorted), plus the partner
    facilities to phone (NET-2).

    Only free slots starting after ``now``; never at a partner facility (NET-2), an inactive one, or one closed at
    that time (NET-3). Phone and video consultations are searched nationwide: the city narrows in-person visits
    only (SCH-3). Each slot is a :class:`SlotRow` with its clinician, facility (and city), room, specialty and its
    schedule's services. ``allowed_partner_ids`` narrows the partners to those the patient's contract allows
    (PKG-2); ``None`` lists every partner that matches.
    """
    window = query.window(now=now)
    service = _resolve_service(query)
    shape, values = _search_values(query=query, service=service, window=window, now=now)
    offset = (query.page - 1) * query.page_size
    rows = _PAGE.rows(shape=(shape, offset, query.page_size + 1), **values)
    if not rows and query.specialty and not Specialty.objects.filter(code=query.specialty).exists():
        # Asked only when nothing matched: a known specialty costs no lookup of its own (see _search_values).
        raise ValidationFailed(_("There is no such specialty."), code="unknown_specialty")
    has_next = len(rows) > query.page_size
    return SlotPage(
        slots=_with_details(rows[: query.page_size]),
        page=query.page,
        page_size=query.page_size,
        has_next=has_next,
        partners=partner_facilities_for(query=query, allowed_ids=allowed_partner_ids),
        service=service,
    )


def free_days(*, query: SlotQuery, now: dt.datetime) -> list[dt.date]:
    """SCH-2 by day (issue 14): the Warsaw days of ``query``'s period that have at least one free slot matching it,
    earliest first — one query, so the results can page by day and jump over empty days. The page and sort of the
    query are ignored."""
    window = query.window(now=now)
    shape, values = _search_values(query=query, service=_resolve_service(query), window=window, now=now)
    slots = _free_slots(shape, **values)
    days = (
        slots.order_by()
        .annotate(day=TruncDate("starts_at", tzinfo=WARSAW))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )
    return list(days[:MAX_RANGE_DAYS])


def _resolve_service(query: SlotQuery) -> Service | None:
    """The bookable service named in the query (with its specialty), or ``None`` when it names none."""
    if not query.service:
        return None
    service = Service.objects.select_related("specialty").filter(code=query.service, is_bookable=True).first()
    if service is None:
        raise ValidationFailed(_("There is no such service."), code="unknown_service")
    return service


#: Which filters a search applies (the names of its values), whether it is remote only, and its sort: the shape of
#: its slot query, compiled once per process and shape (:data:`_PAGE`).
SearchShape = tuple[tuple[str, ...], bool, str]


def _search_values(
    *, query: SlotQuery, service: Service | None, window: tuple[dt.datetime, dt.datetime], now: dt.datetime
) -> tuple[SearchShape, dict[str, Any]]:
    """The values the slot query compares its columns with, by name, and the query's shape (which filters apply).

    A specialty code is looked up inside the slot query itself (a scalar subquery): PostgreSQL runs it once before
    the scan and still walks the specialty's partial index, and the search saves a round trip; an unknown code
    simply matches nothing and :func:`slot_search` tells the patient when the page is empty. A service belongs to
    one specialty: narrowing by it lets the search use the specialty indexes. SCH-3: the city narrows in-person
    visits only; remote consultations are served nationwide."""
    start, end = window
    values: dict[str, Any] = {"now": now, "start": start, "end": end}
    if query.specialty:
        values["specialty_code"] = query.specialty
    elif service is not None and service.specialty_id is not None:
        values["specialty_id"] = service.specialty_id
    if service is not None:
        values["service_id"] = service.pk
    if query.clinician_id is not None:
        values["clinician_id"] = query.clinician_id
    if query.facility_id is not None:
        values["facility_id"] = query.facility_id
    if query.mode is not None:
        values["mode"] = query.mode
    if query.city_id is not None and query.mode not in REMOTE_MODES and not query.remote:
        values["city_id"] = query.city_id
    if query.language:
        values["language"] = query.language
    hours = query.hours()
    if hours is not None:
        values["hour_from"], values["hour_to"] = hours
    return (tuple(values), query.mode is None and query.remote, query.sort), values


def _free_slots(shape: SearchShape, **values: Any) -> QuerySet[Slot]:
    """The free, bookable slots of a search of ``shape`` (:func:`_search_values`), ordered as asked. Every value is
    only compared with a column: which filters apply is the shape's (:mod:`carenet.core.baked`'s contract)."""
    _names, remote_only, sort = shape
    slots = Slot.objects.filter(
        is_free=True, starts_at__gt=values["now"], starts_at__gte=values["start"], starts_at__lt=values["end"]
    )
    if "specialty_code" in values:
        slots = slots.filter(
            specialty_id=Subquery(Specialty.objects.filter(code=values["specialty_code"]).values("pk")[:1])
        )
    elif "specialty_id" in values:
        slots = slots.filter(specialty_id=values["specialty_id"])
    if "service_id" in values:
        slots = slots.filter(
            schedule_id__in=Schedule.services.through.objects.filter(service_id=values["service_id"]).values(
                "schedule_id"
            )
        )
    if "clinician_id" in values:
        slots = slots.filter(clinician_id=values["clinician_id"])
    if "facility_id" in values:
        slots = slots.filter(facility_id=values["facility_id"])
    if "mode" in values:
        slots = slots.filter(mode=values["mode"])
    elif remote_only:
        slots = slots.filter(mode__in=sorted(REMOTE_MODES))
    if "city_id" in values:
        slots = slots.filter(Q(city_id=values["city_id"]) | Q(mode__in=sorted(REMOTE_MODES)))
    if "language" in values:
        slots = slots.filter(clinician__languages__code=values["language"])
    if "hour_from" in values:
        slots = slots.annotate(local_hour=ExtractHour("starts_at", tzinfo=WARSAW)).filter(
            local_hour__gte=values["hour_from"], local_hour__lt=values["hour_to"]
        )
    # NET-2: partner facilities are never bookable online; remote slots have no facility.
    slots = slots.filter(Q(facility__isnull=True) | Q(facility__kind=Facility.Kind.OWN, facility__is_active=True))
    # NET-3: nothing inside a closure of its facility (or of its clinician there).
    slots = slots.exclude(Exists(closures_of_slot()))
    return slots.order_by(*SORTS[sort])


def _page_query(shape: tuple[SearchShape, int, int], **values: Any) -> QuerySet[Slot, tuple[Any, ...]]:
    """One page of a search's slots (:data:`_PAGE_COLUMNS`): ``shape`` is the search's, the page's offset and the
    rows to read (Django writes the two as numbers into the SQL, so they are part of the shape)."""
    search_shape, offset, limit = shape
    return _free_slots(search_shape, **values).values_list(*_PAGE_COLUMNS)[offset : offset + limit]


#: The columns of a page's slot query: the slot's own and its facility's (with the city's name) — no more.
_PAGE_COLUMNS = (
    "id",
    "starts_at",
    "ends_at",
    "mode",
    "clinician_id",
    "facility_id",
    "city_id",
    "room_id",
    "specialty_id",
    "schedule_id",
    "facility__name",
    "facility__address",
    "facility__city_id",
    "facility__city__name",
)

#: PERF (issue 16): the page's slot query, compiled once per process and shape (which filters, the sort, the page):
#: building and compiling it was ~2 ms of Python per search, several times what PostgreSQL spends running it.
_PAGE: BakedQuery[Slot] = BakedQuery(Slot, _page_query, kept_shapes=SEARCH_SHAPES_KEPT)


def _details_query(count: int, **slot_ids: int) -> QuerySet[Slot, tuple[Any, ...]]:
    """The clinician, specialty, room and schedule's services of ``count`` slots by primary key (a row per service)."""
    return (
        Slot.objects.filter(pk__in=[slot_ids[f"slot_{n}"] for n in range(count)])
        .order_by()
        .values_list(
            "pk",
            "clinician__first_name",
            "clinician__last_name",
            "clinician__title",
            "specialty__code",
            "specialty__name",
            "specialty__name_en",
            "room__number",
            "schedule__services__id",
        )
    )


#: PERF (issue 16): the page's details, compiled once per process and number of slots (a page has at most
#: MAX_PAGE_SIZE, a full page of the usual size is the usual shape).
_DETAILS: BakedQuery[Slot] = BakedQuery(Slot, _details_query, kept_shapes=MAX_PAGE_SIZE)


def _with_details(rows: list[tuple[Any, ...]]) -> list[SlotRow]:
    """The page's slot rows (:data:`_PAGE_COLUMNS`) as :class:`SlotRow` with their clinician, specialty, room and
    their schedules' service ids: one query by primary key (a row per service), whatever the page size. A slot
    deleted in between is left out."""
    if not rows:
        return []
    details: dict[int, tuple[Any, ...]] = {}
    service_ids: dict[int, list[int]] = {}
    for pk, *columns, service_id in _DETAILS.rows(
        shape=len(rows), **{f"slot_{n}": row[0] for n, row in enumerate(rows)}
    ):
        details[pk] = tuple(columns)
        if service_id is not None:
            service_ids.setdefault(pk, []).append(service_id)
    cities: dict[int, CityRow] = {}
    facilities: dict[int, FacilityRow] = {}
    specialties: dict[int, SpecialtyRow] = {}
    found = []
    for (
        pk,
        starts_at,
        ends_at,
        mode,
        clinician_id,
        facility_id,
        city_id,
        room_id,
        specialty_id,
        schedule_id,
        facility_name,
        facility_address,
        facility_city_id,
        facility_city_name,
    ) in rows:
        detail = details.get(pk)
        if detail is None:
            continue
        first_name, last_name, title, specialty_code, specialty_name, specialty_name_en, room_number = detail
        facility = None
        if facility_id is not None:
            facility = facilities.get(facility_id)
            if facility is None:
                city = cities.get(facility_city_id)
                if city is None:
                    city = cities[facility_city_id] = CityRow(id=facility_city_id, name=facility_city_name)
                facility = facilities[facility_id] = FacilityRow(
                    id=facility_id, name=facility_name, address=facility_address, city=city
                )
        specialty = specialties.get(specialty_id)
        if specialty is None:
            specialty = specialties[specialty_id] = SpecialtyRow(
                id=specialty_id, code=specialty_code, name=specialty_name, name_en=specialty_name_en
            )
        found.append(
            SlotRow(
                id=pk,
                starts_at=starts_at,
                ends_at=ends_at,
                mode=mode,
                clinician_id=clinician_id,
                facility_id=facility_id,
                city_id=city_id,
                room_id=room_id,
                specialty_id=specialty_id,
                schedule_id=schedule_id,
                facility=facility,
                clinician=ClinicianRow(id=clinician_id, first_name=first_name, last_name=last_name, title=title),
                specialty=specialty,
                room=RoomRow(id=room_id, number=room_number) if room_id is not None else None,
                service_ids=tuple(sorted(service_ids.get(pk, ()))),
            )
        )
    return found


#: How a search's partners are narrowed: by facility or city, remote only or not, and by what the patient's contracts
#: allow — nothing (``None``), a number of ids, or a query's build function with its values' names.
PartnersNarrowed = int | tuple[Callable[..., QuerySet[Any, Any]], tuple[str, ...]] | None
PartnersShape = tuple[str, bool, PartnersNarrowed]


def partner_facilities_for(*, query: SlotQuery, allowed_ids: PartnerIds | None = None) -> list[PartnerFacility]:
    """NET-2: partner facilities in the searched city (or the named partner facility), with their phone and scope.

    Remote searches list only partners that offer telemedicine. A search without a city lists none: a nationwide
    list of phone numbers helps nobody.

    PERF (issue 16): the statement is baked (:data:`_PARTNERS`): compiled once per process and shape — by facility
    or by city, remote or not, and what narrows it (nothing, ``n`` ids, or a query of them such as the patient's
    contracts, whose own values become the statement's). A plain ``QuerySet`` of ids is read through the ORM.
    """
    if query.facility_id is not None:
        by, place = "facility", query.facility_id
    elif query.city_id is not None:
        by, place = "city", query.city_id
    else:
        return []
    remote = query.mode in REMOTE_MODES or query.remote
    values: dict[str, Any] = {"place": place}
    allowed: PartnersNarrowed
    if allowed_ids is None:
        allowed = None
    elif isinstance(allowed_ids, BoundQuery):
        allowed = (allowed_ids.build, tuple(name for name, _value in allowed_ids.values))
        values.update({f"allowed_{name}": value for name, value in allowed_ids.values})
    elif isinstance(allowed_ids, QuerySet):
        rows = list(_partners_query((by, remote, None), place=place, subquery=allowed_ids))
        return [_partner(row) for row in rows]
    else:
        ids = sorted(set(allowed_ids))
        if not ids:  # nothing allowed: no partner, and no query (as the ORM answers an empty ``IN``)
            return []
        allowed = len(ids)
        values.update({f"allowed_{n}": pk for n, pk in enumerate(ids)})
    return [_partner(row) for row in _PARTNERS.rows(shape=(by, remote, allowed), **values)]


#: The columns of a partner facility as :class:`PartnerFacility` takes them, in order.
_PARTNER_COLUMNS = ("pk", "name", "city__name", "address", "phone", "scope", "offers_telemedicine", "scope_en")


def _partners_query(
    shape: PartnersShape, *, place: int, subquery: QuerySet[Any, int] | None = None, **allowed: Any
) -> QuerySet[Facility, tuple[Any, ...]]:
    by, remote, narrowed = shape
    partners = Facility.objects.filter(kind=Facility.Kind.PARTNER, is_active=True)
    if subquery is not None:  # ids, as a query read as a subquery of this one (PKG-2: the patient's contracts)
        partners = partners.filter(pk__in=subquery)
    elif isinstance(narrowed, int):  # a number of ids
        partners = partners.filter(pk__in=[allowed[f"allowed_{n}"] for n in range(narrowed)])
    elif narrowed is not None:  # a query's build function and its values' names
        build, names = narrowed
        partners = partners.filter(pk__in=build(**{name: allowed[f"allowed_{name}"] for name in names}))
    partners = partners.filter(pk=place) if by == "facility" else partners.filter(city_id=place)
    if remote:
        partners = partners.filter(offers_telemedicine=True)
    return partners.order_by("name", "id").values_list(*_PARTNER_COLUMNS)[:MAX_PARTNERS]


#: PERF (issue 16): the search's partners, compiled once per process and shape (building the query with the
#: contracts' subquery and compiling it was about a third of a search's Python).
_PARTNERS: BakedQuery[Facility] = BakedQuery(Facility, _partners_query, kept_shapes=SEARCH_SHAPES_KEPT)


def _partner(row: tuple[Any, ...]) -> PartnerFacility:
    pk, name, city, address, phone, scope, offers_telemedicine, scope_en = row
    return PartnerFacility(
        id=pk,
        name=name,
        city=city,
        address=address,
        phone=phone,
        scope=scope,
        offers_telemedicine=offers_telemedicine,
        scope_en=scope_en,
    )
