"""The demo network (NET-1, NET-2, NET-4): cities, own centres of two brands with rooms and price lists, partner
facilities, clinicians with specialties, titles, languages and 1–3 own centres each."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from carenet.coverage.selectors import matrix_changed
from carenet.demo import names
from carenet.demo.catalogue import clinician_kind_for
from carenet.demo.geography import CityData, cities
from carenet.network.models import City, Clinician, Facility, FacilityPrice, Language, Room, Service, Specialty

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Opening hours per brand; the working blocks are the halves of a day in which clinicians hold a room.
OPENING: dict[str, dict[str, tuple[str, str] | None]] = {
    Facility.Brand.CENTRE: {"weekday": ("07:00", "20:00"), "sat": ("08:00", "14:00")},
    Facility.Brand.FAMILY: {"weekday": ("08:00", "18:00"), "sat": None},
}
BLOCKS: dict[str, dict[int, tuple[tuple[int, int], ...]]] = {
    # ISO weekday -> (start, end) in minutes after midnight
    Facility.Brand.CENTRE: {
        **dict.fromkeys(range(1, 6), ((8 * 60, 14 * 60), (14 * 60, 20 * 60))),
        6: ((8 * 60, 14 * 60),),
    },
    Facility.Brand.FAMILY: dict.fromkeys(range(1, 6), ((8 * 60, 13 * 60), (13 * 60, 18 * 60))),
}
BRAND_PREFIX = {
    Facility.Brand.CENTRE: "CareNet Centrum Medyczne",
    Facility.Brand.FAMILY: "CareNet Medycyna Rodzinna",
}
# Relative frequency of clinicians per specialty (stand-in codes and the matrix's codes); others weigh 1.
COMMON_SPECIALTIES = {
    "internal-medicine": 8,
    "family-medicine": 8,
    "paediatrics": 6,
    "gynaecology": 4,
    "nursing": 4,
    "dermatology": 3,
    "ophthalmology": 3,
    "otolaryngology": 3,
    "orthopaedics": 3,
    "cardiology": 3,
    "physiotherapy": 3,
    "dentistry": 3,
    "psychology": 2,
    "endocrinology": 2,
    "neurology": 2,
    "midwifery": 2,
    "dietetics": 2,
    "interna": 8,
    "medycyna-rodzinna": 8,
    "pediatria": 6,
    "ginekologia": 4,
    "pielegniarstwo": 4,
    "dermatologia": 3,
    "okulistyka": 3,
    "laryngologia": 3,
    "ortopedia": 3,
    "kardiologia": 3,
    "fizjoterapia": 3,
    "psychologia": 2,
    "endokrynologia": 2,
    "neurologia": 2,
    "poloznictwo": 2,
    "dietetyka": 2,
}
TITLE_WEIGHTS = (
    (Clinician.Title.LEK, 58),
    (Clinician.Title.DR, 27),
    (Clinician.Title.DR_HAB, 10),
    (Clinician.Title.PROF, 5),
)
KIND_PRICE: dict[str, int] = {
    Service.Kind.CONSULTATION: 200,
    Service.Kind.LAB: 30,
    Service.Kind.IMAGING: 220,
    Service.Kind.FUNCTIONAL: 90,
    Service.Kind.PROCEDURE: 120,
    Service.Kind.VACCINATION: 80,
    Service.Kind.REHABILITATION: 150,
    Service.Kind.ONLINE: 120,
}


@dataclass
class Network:
    cities: list[City] = field(default_factory=list)
    own: list[Facility] = field(default_factory=list)
    partners: list[Facility] = field(default_factory=list)
    rooms: dict[int, list[Room]] = field(default_factory=dict)  # facility id -> rooms
    clinicians: list[Clinician] = field(default_factory=list)
    clinician_facilities: dict[int, list[Facility]] = field(default_factory=dict)
    clinician_specialties: dict[int, list[Specialty]] = field(default_factory=dict)
    specialties: list[Specialty] = field(default_factory=list)
    services_by_specialty: dict[int, list[Service]] = field(default_factory=dict)


#: What a partner facility offers (NET-2), in Polish and English.
PARTNER_SCOPES = (
    ("internista", "internist"),
    ("pediatra", "paediatrician"),
    ("ginekolog", "gynaecologist"),
    ("laboratorium", "laboratory"),
    ("USG", "ultrasound"),
    ("RTG", "X-ray"),
    ("okulista", "ophthalmologist"),
    ("laryngolog", "ENT specialist"),
    ("dermatolog", "dermatologist"),
    ("ortopeda", "orthopaedist"),
    ("stomatologia", "dentistry"),
    ("rehabilitacja", "rehabilitation"),
)


def _scope_text(picked: list[tuple[str, str]], *, english: bool) -> str:
    text = ", ".join(en if english else pl for pl, en in picked)
    return text[:1].upper() + text[1:] if english else text.capitalize()


def postal_code(rng: random.Random, data: CityData) -> str:
    digits = (data.postal_prefix + "".join(str(rng.randrange(10)) for _ in range(5)))[:5]
    return f"{digits[:2]}-{digits[2:]}"


def landline(rng: random.Random, data: CityData, used: set[str]) -> str:
    while True:
        number = f"+48 {data.area_code} {rng.randrange(200, 900)} {rng.randrange(100):02d} {rng.randrange(100):02d}"
        if number not in used:
            used.add(number)
            return number


def opening_hours(brand: str, rng: random.Random) -> dict[str, list[list[str]]]:
    hours = OPENING.get(brand, {"weekday": ("08:00", "18:00"), "sat": None})
    week: dict[str, list[list[str]]] = {key: [list(hours["weekday"] or ())] for key in WEEKDAY_KEYS[:5]}
    if hours["sat"]:
        week["sat"] = [list(hours["sat"])]
    return week


def build_cities(count: int) -> tuple[list[City], list[CityData]]:
    data = cities(count)
    rows = City.objects.bulk_create(
        [City(name=c.name, voivodeship=c.voivodeship, latitude=c.latitude, longitude=c.longitude) for c in data]
    )
    return rows, data


def _spread(count: int, weights: list[int]) -> list[int]:
    """Distribute ``count`` items over slots proportionally to ``weights`` (largest remainders, stable)."""
    total = sum(weights)
    exact = [count * w / total for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: count - sum(shares)]:
        shares[i] += 1
    return shares


def build_facilities(
    rng: random.Random, city_rows: list[City], city_data: list[CityData], own_count: int, partner_count: int
) -> tuple[list[Facility], list[Facility]]:
    phones: set[str] = set()
    own: list[Facility] = []
    weights = [d.weight for d in city_data]
    for city, data, share in zip(city_rows, city_data, _spread(own_count, weights), strict=True):
        districts = list(data.districts or ("Centrum",))
        for index in range(share):
            brand = Facility.Brand.CENTRE if index % 3 != 2 else Facility.Brand.FAMILY
            district = districts[index % len(districts)]
            street = rng.choice(names.STREETS)
            label = f"{city.name} {district}" if index < len(districts) else f"{city.name} {street.split(' ', 1)[1]}"
            own.append(
                Facility(
                    code=f"{brand}-{slugify(names.ascii_fold(city.name))}-{index + 1}",
                    name=f"{BRAND_PREFIX[brand]} {label}",
                    kind=Facility.Kind.OWN,
                    brand=brand,
                    city=city,
                    address=f"{street} {rng.randrange(1, 160)}",
                    postal_code=postal_code(rng, data),
                    latitude=round(data.latitude + rng.uniform(-0.04, 0.04), 5),
                    longitude=round(data.longitude + rng.uniform(-0.06, 0.06), 5),
                    phone=landline(rng, data, phones),
                    email=f"{slugify(names.ascii_fold(label))}-{index + 1}@carenet.example",
                    opening_hours=opening_hours(brand, rng),
                    offers_telemedicine=True,
                    scope="Konsultacje specjalistyczne, diagnostyka, punkt pobrań, gabinet zabiegowy.",
                    scope_en="Specialist consultations, diagnostics, blood collection, treatment room.",
                )
            )
    # Every city gets a partner facility before bigger cities get more.
    partners: list[Facility] = []
    partner_weights = [d.weight + 1 for d in city_data]
    shares = _spread(max(partner_count - len(city_rows), 0), partner_weights)
    per_city = [1 + s for s in shares] if partner_count >= len(city_rows) else _spread(partner_count, partner_weights)
    serial = 0
    for city, data, share in zip(city_rows, city_data, per_city, strict=True):
        for _ in range(share):
            serial += 1
            pattern = rng.choice(names.PARTNER_PATTERNS)
            word = rng.choice(names.PARTNER_WORDS)
            name = pattern.format(f"„{word}”")
            partners.append(
                Facility(
                    code=f"partner-{serial:05d}",
                    name=name,
                    kind=Facility.Kind.PARTNER,
                    brand=Facility.Brand.PARTNER,
                    city=city,
                    address=f"{rng.choice(names.STREETS)} {rng.randrange(1, 200)}",
                    postal_code=postal_code(rng, data),
                    latitude=round(data.latitude + rng.uniform(-0.05, 0.05), 5),
                    longitude=round(data.longitude + rng.uniform(-0.07, 0.07), 5),
                    phone=landline(rng, data, phones),
                    opening_hours={key: [["08:00", "18:00"]] for key in WEEKDAY_KEYS[:5]},
                    offers_telemedicine=rng.random() < 0.3,
                    # (drawn here, after the other fields, as always: the same seed builds the same network)
                    scope=_scope_text(scope := rng.sample(PARTNER_SCOPES, k=rng.randrange(3, 7)), english=False),
                    scope_en=_scope_text(scope, english=True),
                )
            )
    own = Facility.objects.bulk_create(own)
    partners = Facility.objects.bulk_create(partners)
    return own, partners


def build_rooms(rng: random.Random, own: list[Facility]) -> dict[int, list[Room]]:
    rooms: list[Room] = []
    for facility in own:
        count = rng.randrange(10, 17) if facility.brand == Facility.Brand.CENTRE else rng.randrange(6, 10)
        floor = 0
        for n in range(count):
            if n % 8 == 0:
                floor += 1
            rooms.append(
                Room(facility=facility, number=f"{floor}{n % 8 + 1:02d}", name=f"Gabinet {floor}{n % 8 + 1:02d}")
            )
    by_facility: dict[int, list[Room]] = defaultdict(list)
    for room in Room.objects.bulk_create(rooms):
        by_facility[room.facility_id].append(room)
    return dict(by_facility)


def build_prices(rng: random.Random, own: list[Facility], services: list[Service]) -> int:
    prices = []
    for facility in own:
        for service in services:
            base = service.base_price or Decimal(KIND_PRICE.get(service.kind, 150))
            prices.append(
                FacilityPrice(
                    facility=facility,
                    service=service,
                    price=(base * Decimal(str(round(rng.uniform(0.85, 1.15), 3)))).quantize(Decimal("1")),
                )
            )
    FacilityPrice.objects.bulk_create(prices, batch_size=2000)
    return len(prices)


def bookable_catalogue(specialty_limit: int | None) -> tuple[list[Specialty], dict[int, list[Service]]]:
    """Specialties that have at least one bookable service, with those services (consultations first)."""
    services_by: dict[int, list[Service]] = defaultdict(list)
    for service in Service.objects.filter(is_bookable=True, specialty__isnull=False).order_by("specialty_id", "code"):
        assert service.specialty_id is not None
        services_by[service.specialty_id].append(service)
    for group in services_by.values():
        group.sort(key=lambda s: (s.kind != Service.Kind.CONSULTATION, s.code))
    specialties = [s for s in Specialty.objects.order_by("id") if s.pk in services_by]
    # Keep the common ones first so a capped catalogue still has internal medicine, paediatrics, ...
    specialties.sort(key=lambda s: (-COMMON_SPECIALTIES.get(s.code, 0), s.pk))
    if specialty_limit:
        specialties = specialties[:specialty_limit]
    return specialties, {s.pk: services_by[s.pk] for s in specialties}


def build_clinicians(
    rng: random.Random, count: int, own: list[Facility], specialties: list[Specialty]
) -> tuple[list[Clinician], dict[int, list[Facility]], dict[int, list[Specialty]]]:
    languages = {lang.code: lang for lang in Language.objects.all()}
    weights = [COMMON_SPECIALTIES.get(s.code, 1) for s in specialties]
    by_city: dict[int, list[Facility]] = defaultdict(list)
    for facility in own:
        by_city[facility.city_id].append(facility)
    licences: set[str] = set()
    rows: list[Clinician] = []
    plans: list[tuple[list[Specialty], list[Facility], list[str]]] = []
    for index in range(count):
        # Every specialty has at least one clinician; after that, common specialties are more frequent.
        primary = specialties[index] if index < len(specialties) else rng.choices(specialties, weights)[0]
        kind = clinician_kind_for(primary.code)
        chosen = [primary]
        if kind == Clinician.Kind.DOCTOR and rng.random() < 0.25:
            second = rng.choices(specialties, weights)[0]
            if second not in chosen and clinician_kind_for(second.code) == Clinician.Kind.DOCTOR:
                chosen.append(second)
        sex = "F" if rng.random() < (0.9 if kind in {Clinician.Kind.NURSE, Clinician.Kind.MIDWIFE} else 0.6) else "M"
        first = rng.choice(names.FEMALE_FIRST_NAMES if sex == "F" else names.MALE_FIRST_NAMES)
        last = names.surname_for(rng.choice(names.SURNAMES), sex)
        if kind == Clinician.Kind.DOCTOR:
            title = rng.choices([t for t, _ in TITLE_WEIGHTS], [w for _, w in TITLE_WEIGHTS])[0]
        elif kind == Clinician.Kind.PSYCHOLOGIST and rng.random() < 0.2:
            title = Clinician.Title.DR
        else:
            title = Clinician.Title.NONE
        licence = None
        if kind in {
            Clinician.Kind.DOCTOR,
            Clinician.Kind.NURSE,
            Clinician.Kind.MIDWIFE,
            Clinician.Kind.PHYSIOTHERAPIST,
        }:
            suffix = {"nurse": "P", "midwife": "A", "physiotherapist": "F"}.get(kind, "")
            while licence is None or licence in licences:
                licence = f"{rng.randrange(1_000_000, 9_999_999)}{suffix}"
            licences.add(licence)
        home = own[index % len(own)] if index < len(own) * 2 else rng.choice(own)
        facilities = [home]
        for _ in range(rng.choices([0, 1, 2], [50, 35, 15])[0]):
            nearby = by_city[home.city_id] if rng.random() < 0.8 else own
            other = rng.choice(nearby)
            if other not in facilities:
                facilities.append(other)
        spoken = ["pl"]
        for code, share in (("en", 0.35), ("de", 0.08), ("uk", 0.08), ("ru", 0.05)):
            if rng.random() < share:
                spoken.append(code)
        rows.append(Clinician(first_name=first, last_name=last, kind=kind, title=title, licence_number=licence))
        plans.append((chosen, facilities, spoken))
    rows = Clinician.objects.bulk_create(rows, batch_size=2000)
    through_specialties = Clinician.specialties.through
    through_facilities = Clinician.facilities.through
    through_languages = Clinician.languages.through
    spec_links, fac_links, lang_links = [], [], []
    for clinician, (chosen, facilities, spoken) in zip(rows, plans, strict=True):
        spec_links += [through_specialties(clinician_id=clinician.pk, specialty_id=s.pk) for s in chosen]
        fac_links += [through_facilities(clinician_id=clinician.pk, facility_id=f.pk) for f in facilities]
        lang_links += [
            through_languages(clinician_id=clinician.pk, language_id=languages[c].pk) for c in spoken if c in languages
        ]
    through_specialties.objects.bulk_create(spec_links, batch_size=5000)
    through_facilities.objects.bulk_create(fac_links, batch_size=5000)
    through_languages.objects.bulk_create(lang_links, batch_size=5000)
    return (
        rows,
        {c.pk: plan[1] for c, plan in zip(rows, plans, strict=True)},
        {c.pk: plan[0] for c, plan in zip(rows, plans, strict=True)},
    )


def build_network(
    rng: random.Random,
    *,
    cities: int,
    own_facilities: int,
    partners: int,
    clinicians: int,
    specialty_limit: int | None,
) -> Network:
    network = Network()
    network.cities, city_data = build_cities(cities)
    network.own, network.partners = build_facilities(rng, network.cities, city_data, own_facilities, partners)
    network.rooms = build_rooms(rng, network.own)
    network.specialties, network.services_by_specialty = bookable_catalogue(specialty_limit)
    bookable = [s for group in network.services_by_specialty.values() for s in group]
    build_prices(rng, network.own, bookable)
    network.clinicians, network.clinician_facilities, network.clinician_specialties = build_clinicians(
        rng, clinicians, network.own, network.specialties
    )
    # Cities, facilities and clinicians bulk inserted without save signals: a new catalogue token, so every process
    # reads the search form's lists again (issue 16).
    matrix_changed()
    return network
