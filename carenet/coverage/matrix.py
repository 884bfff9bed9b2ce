"""Load the coverage matrix (PKG-1) from ``coverage/data/matrix.yaml`` into the database.

The file is reviewed data: tiers, the specialty and service catalogue, and one benefit per row of the programme's
table with the items that say exactly what it covers. :func:`matrix_load` validates the whole file first and
reports every problem at once (:class:`~carenet.core.errors.ValidationFailed`); only a valid file is written, in one
transaction. Loading is idempotent: a second run changes nothing, a run after an edit updates what changed (a
benefit's items are replaced when they differ). Services and specialties missing from the file are kept (bookings
and schedules may point at them); benefits missing from the file are removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from carenet.core.errors import ValidationFailed
from carenet.coverage.models import Benefit, BenefitItem, Rule, Tier
from carenet.coverage.selectors import coverage_items_cache_clear, matrix_changed
from carenet.network.models import Service, Specialty

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "matrix.yaml"

ADULT_AGE = 18
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_LEVEL = {"tiers", "specialties", "services", "benefits", "defaults"}
_TIER_REQUIRED = {"code", "name", "rank"}
_TIER_KEYS = _TIER_REQUIRED | {"name_en"}
#: ``patient_name``/``patient_name_en``: what patients call the specialist ("internista"), optional (SCH-2, issue 14).
_SPECIALTY_KEYS = {"code", "name", "name_en", "patient_name", "patient_name_en"}
_SERVICE_REQUIRED = {"code", "name", "kind"}
_SERVICE_KEYS = _SERVICE_REQUIRED | {
    "name_en",
    "specialty",
    "requires_referral",
    "min_age",
    "max_age",
    "preparation",
    "preparation_en",
    "duration_minutes",
    "base_price",
    "is_bookable",
}
_BENEFIT_REQUIRED = {"code", "group", "title", "text", "tiers"}
_BENEFIT_KEYS = _BENEFIT_REQUIRED | {"scope_count", "includes", "items", "specialties"}
_ITEM_KEYS = {
    "service",
    "specialty",
    "other_services",
    "ages",
    "min_age",
    "max_age",
    "rule",
    "limit",
    "pool",
    "percent",
    "without_referral",
}
_AGE_BANDS: Mapping[str, tuple[int | None, int | None]] = {"adults": (ADULT_AGE, None), "children": (None, ADULT_AGE)}


@dataclass(frozen=True)
class MatrixLoadResult:
    """What the file holds and what loading it changed, per kind of row."""

    tiers: int
    specialties: int
    services: int
    benefits: int
    items: int
    created: Mapping[str, int] = field(default_factory=dict)
    updated: Mapping[str, int] = field(default_factory=dict)
    removed: Mapping[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or any(self.removed.values())


@dataclass(frozen=True)
class _TierSpec:
    code: str
    name: str
    rank: int
    name_en: str = ""


@dataclass(frozen=True)
class _SpecialtySpec:
    code: str
    name: str
    name_en: str
    patient_name: str = ""
    patient_name_en: str = ""


@dataclass(frozen=True)
class _ServiceSpec:
    code: str
    name: str
    name_en: str
    kind: str
    specialty: str | None
    requires_referral: bool
    min_age: int | None
    max_age: int | None
    preparation: str
    preparation_en: str
    duration_minutes: int
    base_price: Decimal
    is_bookable: bool


@dataclass(frozen=True)
class _ItemSpec:
    service: str | None
    specialty: str | None
    other_services: bool
    min_age: int | None
    max_age: int | None
    rule: str
    annual_limit: int | None
    limit_pool: str
    discount_percent: int | None
    without_referral: bool


@dataclass
class _BenefitSpec:
    code: str
    group: str
    title: str
    text: str
    scope_count: int | None
    tiers: tuple[str, ...]
    position: int
    includes: tuple[str, ...]
    own_items: list[_ItemSpec]
    items: list[_ItemSpec] = field(default_factory=list)


@dataclass
class _MatrixSpec:
    tiers: list[_TierSpec]
    specialties: list[_SpecialtySpec]
    services: list[_ServiceSpec]
    benefits: list[_BenefitSpec]


def matrix_load(*, path: Path | None = None) -> MatrixLoadResult:
    """Validate the matrix file, then upsert tiers, specialties, services, benefits and items in one transaction.

    Raises :class:`ValidationFailed` listing every problem (``details["errors"]``) before anything is written.
    """
    spec = _validated(_read(path or DEFAULT_PATH))
    with transaction.atomic():
        result = _apply(spec)
        matrix_changed()  # every process reads the new matrix on its next request (issue 16)
        transaction.on_commit(coverage_items_cache_clear)
    coverage_items_cache_clear()
    return result


# --- reading and validating ---------------------------------------------------------------------------------------


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(f"cannot read the matrix file {path}: {exc.strerror}", code="matrix_invalid") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"the matrix file {path} is not valid YAML: {exc}", code="matrix_invalid") from exc


class _Errors(list[str]):
    def unknown_keys(self, where: str, row: Mapping[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(row) - allowed, key=str):
            self.append(f"{where} has an unknown field '{key}'")

    def missing_keys(self, where: str, row: Mapping[str, Any], required: set[str]) -> None:
        for key in sorted(required - set(row)):
            self.append(f"{where} lacks '{key}'")


def _validated(data: Any) -> _MatrixSpec:
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationFailed("the matrix file must be a mapping with tiers, specialties, services and benefits")
    errors.unknown_keys("the matrix file", data, _TOP_LEVEL)
    sections: dict[str, list[Any]] = {}
    for name in ("tiers", "specialties", "services", "benefits"):
        value = data.get(name)
        if not isinstance(value, list) or not value:
            errors.append(f"the matrix file needs a non-empty list '{name}'")
            value = []
        sections[name] = value

    tiers = _tiers(sections["tiers"], errors)
    specialties = _specialties(sections["specialties"], errors)
    specialty_codes = {s.code for s in specialties}
    services = _services(sections["services"], specialty_codes, errors)
    benefits = _benefits(
        sections["benefits"],
        tier_codes={t.code for t in tiers},
        specialty_codes=specialty_codes,
        service_codes={s.code for s in services},
        errors=errors,
    )
    if errors:
        raise ValidationFailed(
            f"the coverage matrix has {len(errors)} problem(s): " + "; ".join(errors),
            code="matrix_invalid",
            details={"errors": list(errors)},
        )
    return _MatrixSpec(tiers=tiers, specialties=specialties, services=services, benefits=benefits)


def _rows(section: str, rows: list[Any], errors: _Errors) -> list[tuple[str, dict[str, Any]]]:
    """The section's rows that are mappings, each with a name for messages ("service 'mri-head'")."""
    named: list[tuple[str, dict[str, Any]]] = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append(f"{section} #{index} is not a mapping")
            continue
        code = row.get("code")
        named.append((f"{section} '{code}'" if isinstance(code, str) else f"{section} #{index}", row))
    return named


def _code(where: str, value: Any, errors: _Errors, *, max_length: int, what: str = "code") -> str:
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > max_length:
        errors.append(f"{where} has an invalid {what} {value!r} (lower-case slug, at most {max_length} characters)")
        return str(value)
    return value


def _text(where: str, row: Mapping[str, Any], key: str, errors: _Errors, *, max_length: int | None = None) -> str:
    value = row.get(key, "")
    if not isinstance(value, str) or (key in row and not value.strip()):
        errors.append(f"{where} has an empty or non-text '{key}'")
        return ""
    if max_length is not None and len(value) > max_length:
        errors.append(f"{where} has a '{key}' longer than {max_length} characters")
    return value.strip()


def _int(where: str, row: Mapping[str, Any], key: str, errors: _Errors, *, minimum: int = 0) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        errors.append(f"{where} has an invalid '{key}' {value!r} (a whole number, at least {minimum})")
        return None
    return value


def _flag(where: str, row: Mapping[str, Any], key: str, errors: _Errors, *, default: bool = False) -> bool:
    value = row.get(key, default)
    if not isinstance(value, bool):
        errors.append(f"{where} has a non-boolean '{key}' {value!r}")
        return default
    return value


def _age_band(where: str, min_age: int | None, max_age: int | None, errors: _Errors) -> None:
    if min_age is not None and max_age is not None and min_age >= max_age:
        errors.append(f"{where} has min_age {min_age} not below max_age {max_age}")


def _duplicates(section: str, codes: list[str], errors: _Errors) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            errors.append(f"{section} code '{code}' is used more than once")
        seen.add(code)


def _tiers(rows: list[Any], errors: _Errors) -> list[_TierSpec]:
    specs = []
    for where, row in _rows("tier", rows, errors):
        errors.unknown_keys(where, row, _TIER_KEYS)
        errors.missing_keys(where, row, _TIER_REQUIRED)
        code = _code(where, row.get("code"), errors, max_length=20)
        rank = _int(where, row, "rank", errors, minimum=1)
        specs.append(
            _TierSpec(
                code=code,
                name=_text(where, row, "name", errors, max_length=60),
                rank=rank or 0,
                name_en=_text(where, row, "name_en", errors, max_length=60),
            )
        )
    _duplicates("tier", [t.code for t in specs], errors)
    ranks = [t.rank for t in specs]
    if len(set(ranks)) != len(ranks):
        errors.append("tier ranks must be distinct")
    return specs


def _specialties(rows: list[Any], errors: _Errors) -> list[_SpecialtySpec]:
    specs = []
    for where, row in _rows("specialty", rows, errors):
        errors.unknown_keys(where, row, _SPECIALTY_KEYS)
        errors.missing_keys(where, row, {"code", "name"})
        specs.append(
            _SpecialtySpec(
                code=_code(where, row.get("code"), errors, max_length=60),
                name=_text(where, row, "name", errors, max_length=120),
                name_en=_text(where, row, "name_en", errors, max_length=120),
                patient_name=_text(where, row, "patient_name", errors, max_length=120),
                patient_name_en=_text(where, row, "patient_name_en", errors, max_length=120),
            )
        )
    _duplicates("specialty", [s.code for s in specs], errors)
    return specs


def _services(rows: list[Any], specialty_codes: set[str], errors: _Errors) -> list[_ServiceSpec]:
    kinds = set(Service.Kind.values)
    specs = []
    for where, row in _rows("service", rows, errors):
        errors.unknown_keys(where, row, _SERVICE_KEYS)
        errors.missing_keys(where, row, _SERVICE_REQUIRED)
        kind = row.get("kind")
        if kind not in kinds:
            errors.append(f"{where} has an unknown kind {kind!r} (one of {', '.join(sorted(kinds))})")
        specialty = row.get("specialty")
        if specialty is not None and specialty not in specialty_codes:
            errors.append(f"{where} names unknown specialty {specialty!r}")
        min_age = _int(where, row, "min_age", errors)
        max_age = _int(where, row, "max_age", errors, minimum=1)
        _age_band(where, min_age, max_age, errors)
        specs.append(
            _ServiceSpec(
                code=_code(where, row.get("code"), errors, max_length=80),
                name=_text(where, row, "name", errors, max_length=200),
                name_en=_text(where, row, "name_en", errors, max_length=200),
                kind=str(kind),
                specialty=specialty,
                requires_referral=_flag(where, row, "requires_referral", errors),
                min_age=min_age,
                max_age=max_age,
                preparation=_text(where, row, "preparation", errors),
                preparation_en=_text(where, row, "preparation_en", errors),
                duration_minutes=_int(where, row, "duration_minutes", errors) or 0,
                base_price=_price(where, row.get("base_price", 0), errors),
                is_bookable=_flag(where, row, "is_bookable", errors, default=True),
            )
        )
    _duplicates("service", [s.code for s in specs], errors)
    return specs


def _price(where: str, value: Any, errors: _Errors) -> Decimal:
    try:
        price = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.append(f"{where} has an invalid base_price {value!r}")
        return Decimal("0.00")
    if price < 0 or isinstance(value, bool):
        errors.append(f"{where} has an invalid base_price {value!r}")
    return price


def _benefits(
    rows: list[Any],
    *,
    tier_codes: set[str],
    specialty_codes: set[str],
    service_codes: set[str],
    errors: _Errors,
) -> list[_BenefitSpec]:
    specs: list[_BenefitSpec] = []
    for position, (where, row) in enumerate(_rows("benefit", rows, errors), start=1):
        errors.unknown_keys(where, row, _BENEFIT_KEYS)
        errors.missing_keys(where, row, _BENEFIT_REQUIRED)
        tiers = row.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            errors.append(f"{where} needs a non-empty list of tiers")
            tiers = []
        for tier in tiers:
            if tier not in tier_codes:
                errors.append(f"{where} names unknown tier {tier!r}")
        if len(set(map(str, tiers))) != len(tiers):
            errors.append(f"{where} names a tier twice")
        includes = row.get("includes", [])
        if not isinstance(includes, list):
            errors.append(f"{where} has 'includes' that is not a list")
            includes = []
        own_items = [
            item
            for index, raw in enumerate(_raw_items(where, row, errors), start=1)
            if (item := _item(f"{where} item #{index}", where, raw, specialty_codes, service_codes, errors))
        ]
        if len(set(own_items)) != len(own_items):
            errors.append(f"{where} lists the same item twice")
        specs.append(
            _BenefitSpec(
                code=_code(where, row.get("code"), errors, max_length=60),
                group=_code(where, row.get("group"), errors, max_length=40, what="group"),
                title=_text(where, row, "title", errors, max_length=200),
                text=" ".join(_text(where, row, "text", errors).split()),
                scope_count=_int(where, row, "scope_count", errors, minimum=1),
                tiers=tuple(map(str, tiers)),
                position=position,
                includes=tuple(map(str, includes)),
                own_items=own_items,
            )
        )
    _duplicates("benefit", [b.code for b in specs], errors)
    _resolve_includes(specs, errors)
    for spec in specs:
        if not spec.items:
            errors.append(f"benefit '{spec.code}' covers nothing (no items)")
    return specs


def _raw_items(where: str, row: Mapping[str, Any], errors: _Errors) -> list[Any]:
    """The benefit's items, with the specialist rows' compact lists expanded (adults 18+, children under 18)."""
    raw = row.get("items", [])
    if not isinstance(raw, list):
        errors.append(f"{where} has 'items' that is not a list")
        raw = []
    items = list(raw)
    groups = row.get("specialties")
    if groups is None:
        return items
    if not isinstance(groups, dict) or set(groups) - set(_AGE_BANDS):
        errors.append(f"{where} has 'specialties' that is not a mapping of adults/children lists")
        return items
    for band, entries in groups.items():
        default_min, default_max = _AGE_BANDS[band]
        for entry in entries or []:
            if isinstance(entry, str):
                entry = {"code": entry}
            if not isinstance(entry, dict) or set(entry) - {"code", "min_age", "max_age"}:
                errors.append(f"{where} has an invalid {band} specialty entry {entry!r}")
                continue
            items.append(
                {
                    "specialty": entry.get("code"),
                    "min_age": entry.get("min_age", default_min),
                    "max_age": entry.get("max_age", default_max),
                }
            )
    return items


def _item(
    where: str,
    benefit: str,
    raw: Any,
    specialty_codes: set[str],
    service_codes: set[str],
    errors: _Errors,
) -> _ItemSpec | None:
    if not isinstance(raw, dict):
        errors.append(f"{where} is not a mapping")
        return None
    errors.unknown_keys(where, raw, _ITEM_KEYS)
    service, specialty = raw.get("service"), raw.get("specialty")
    other_services = _flag(where, raw, "other_services", errors)
    if sum((service is not None, specialty is not None, other_services)) != 1:
        errors.append(f"{where} must name exactly one of service, specialty or other_services")
    if service is not None and service not in service_codes:
        errors.append(f"{benefit} names unknown service {service!r}")
    if specialty is not None and specialty not in specialty_codes:
        errors.append(f"{benefit} names unknown specialty {specialty!r}")

    min_age, max_age = _int(where, raw, "min_age", errors), _int(where, raw, "max_age", errors, minimum=1)
    ages = raw.get("ages")
    if ages is not None:
        if ages not in _AGE_BANDS:
            errors.append(f"{where} has unknown ages {ages!r} (adults or children)")
        elif min_age is not None or max_age is not None:
            errors.append(f"{where} gives both 'ages' and min_age/max_age")
        else:
            min_age, max_age = _AGE_BANDS[ages]
    _age_band(where, min_age, max_age, errors)

    rule = raw.get("rule", Rule.COVERED.value)
    limit = _int(where, raw, "limit", errors, minimum=1)
    percent = _int(where, raw, "percent", errors, minimum=1)
    pool = raw.get("pool")
    if rule not in Rule.values:
        errors.append(f"{where} has an unknown rule {rule!r} (one of {', '.join(Rule.values)})")
    if pool is not None:
        _code(where, pool, errors, max_length=60, what="pool")
    if rule == Rule.ANNUAL_LIMIT and (limit is None or pool is None):
        errors.append(f"{where}: an annual limit needs 'limit' and 'pool'")
    if rule == Rule.ONCE_A_YEAR and pool is None:
        errors.append(f"{where}: a once-a-year item needs a 'pool'")
    if rule not in (Rule.ANNUAL_LIMIT, Rule.ONCE_A_YEAR) and pool is not None:
        errors.append(f"{where}: only annual-limit and once-a-year items have a pool")
    if rule != Rule.ANNUAL_LIMIT and limit is not None:
        errors.append(f"{where}: only annual-limit items have a 'limit'")
    if rule == Rule.DISCOUNT and (percent is None or percent > 100):
        errors.append(f"{where}: a discount needs a 'percent' between 1 and 100")
    if rule != Rule.DISCOUNT and percent is not None:
        errors.append(f"{where}: only discount items have a 'percent'")
    return _ItemSpec(
        service=service,
        specialty=specialty,
        other_services=other_services,
        min_age=min_age,
        max_age=max_age,
        rule=str(rule),
        annual_limit=limit,
        limit_pool=str(pool or ""),
        discount_percent=percent,
        without_referral=_flag(where, raw, "without_referral", errors),
    )


def _resolve_includes(specs: list[_BenefitSpec], errors: _Errors) -> None:
    """A benefit that includes another covers the other's items (resolved transitively), then its own."""
    by_code = {spec.code: spec for spec in specs}
    resolved: dict[str, list[_ItemSpec]] = {}

    def items_of(code: str, chain: tuple[str, ...]) -> list[_ItemSpec]:
        if code in resolved:
            return resolved[code]
        spec = by_code[code]
        collected: list[_ItemSpec] = []
        for included in spec.includes:
            if included not in by_code:
                errors.append(f"benefit '{code}' includes unknown benefit {included!r}")
            elif included in chain:
                errors.append(f"benefit '{code}' includes itself through {' → '.join((*chain, included))}")
            else:
                collected.extend(items_of(included, (*chain, included)))
        collected.extend(spec.own_items)
        resolved[code] = list(dict.fromkeys(collected))
        return resolved[code]

    for spec in specs:
        spec.items = items_of(spec.code, (spec.code,))


# --- writing --------------------------------------------------------------------------------------------------------


class _Counter:
    def __init__(self) -> None:
        self.created: dict[str, int] = defaultdict(int)
        self.updated: dict[str, int] = defaultdict(int)
        self.removed: dict[str, int] = defaultdict(int)


def _apply(spec: _MatrixSpec) -> MatrixLoadResult:
    counter = _Counter()
    tiers = _upsert(
        Tier, spec.tiers, "tiers", counter, lambda s: {"name": s.name, "name_en": s.name_en, "rank": s.rank}
    )
    specialties = _upsert(
        Specialty,
        spec.specialties,
        "specialties",
        counter,
        lambda s: {
            "name": s.name,
            "name_en": s.name_en,
            "patient_name": s.patient_name,
            "patient_name_en": s.patient_name_en,
        },
    )
    services = _upsert(
        Service,
        spec.services,
        "services",
        counter,
        lambda s: {
            "name": s.name,
            "name_en": s.name_en,
            "kind": s.kind,
            "specialty_id": specialties[s.specialty].pk if s.specialty else None,
            "requires_referral": s.requires_referral,
            "min_age": s.min_age,
            "max_age": s.max_age,
            "preparation": s.preparation,
            "preparation_en": s.preparation_en,
            "duration_minutes": s.duration_minutes,
            "base_price": s.base_price,
            "is_bookable": s.is_bookable,
        },
    )
    benefits = _upsert(
        Benefit,
        spec.benefits,
        "benefits",
        counter,
        lambda s: {
            "group": s.group,
            "title": s.title,
            "text": s.text,
            "scope_count": s.scope_count,
            "position": s.position,
        },
    )
    _, removed = Benefit.objects.exclude(code__in=[b.code for b in spec.benefits]).delete()
    counter.removed["benefits"] += removed.get(Benefit._meta.label, 0)
    _sync_benefit_tiers(spec.benefits, benefits, tiers, counter)
    _sync_items(spec.benefits, benefits, services, specialties, counter)
    return MatrixLoadResult(
        tiers=len(spec.tiers),
        specialties=len(spec.specialties),
        services=len(spec.services),
        benefits=len(spec.benefits),
        items=sum(len(b.items) for b in spec.benefits),
        created={kind: n for kind, n in counter.created.items() if n},
        updated={kind: n for kind, n in counter.updated.items() if n},
        removed={kind: n for kind, n in counter.removed.items() if n},
    )


def _upsert(model: Any, specs: list[Any], label: str, counter: _Counter, values: Any) -> dict[str, Any]:
    """Create missing rows and update changed ones, keyed by code; returns every row of the file by code."""
    existing = {obj.code: obj for obj in model.objects.filter(code__in=[s.code for s in specs])}
    rows: dict[str, Any] = {}
    for spec in specs:
        wanted = values(spec)
        obj = existing.get(spec.code)
        if obj is None:
            obj = model.objects.create(code=spec.code, **wanted)
            counter.created[label] += 1
        else:
            changed = [name for name, value in wanted.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, wanted[name])
                obj.save(update_fields=changed)
                counter.updated[label] += 1
        rows[spec.code] = obj
    return rows


def _sync_benefit_tiers(
    specs: list[_BenefitSpec], benefits: dict[str, Benefit], tiers: dict[str, Tier], counter: _Counter
) -> None:
    current: dict[int, set[str]] = defaultdict(set)
    for benefit_id, tier_code in Benefit.tiers.through.objects.values_list("benefit_id", "tier__code"):
        current[benefit_id].add(tier_code)
    for spec in specs:
        benefit = benefits[spec.code]
        if current[benefit.pk] != set(spec.tiers):
            (counter.updated if current[benefit.pk] else counter.created)["benefit tiers"] += 1
            benefit.tiers.set([tiers[code] for code in spec.tiers])


def _sync_items(
    specs: list[_BenefitSpec],
    benefits: dict[str, Benefit],
    services: dict[str, Service],
    specialties: dict[str, Specialty],
    counter: _Counter,
) -> None:
    current: dict[int, list[_ItemSpec]] = defaultdict(list)
    for row in BenefitItem.objects.order_by("id").values(
        "benefit_id",
        "service__code",
        "specialty__code",
        "other_services",
        "min_age",
        "max_age",
        "rule",
        "annual_limit",
        "limit_pool",
        "discount_percent",
        "without_referral",
    ):
        current[row["benefit_id"]].append(
            _ItemSpec(
                service=row["service__code"],
                specialty=row["specialty__code"],
                other_services=row["other_services"],
                min_age=row["min_age"],
                max_age=row["max_age"],
                rule=row["rule"],
                annual_limit=row["annual_limit"],
                limit_pool=row["limit_pool"],
                discount_percent=row["discount_percent"],
                without_referral=row["without_referral"],
            )
        )
    for spec in specs:
        benefit = benefits[spec.code]
        if current[benefit.pk] == spec.items:
            continue
        deleted, _ = BenefitItem.objects.filter(benefit=benefit).delete()
        counter.removed["items"] += deleted
        BenefitItem.objects.bulk_create(
            BenefitItem(
                benefit=benefit,
                service=services[item.service] if item.service else None,
                specialty=specialties[item.specialty] if item.specialty else None,
                other_services=item.other_services,
                min_age=item.min_age,
                max_age=item.max_age,
                rule=item.rule,
                annual_limit=item.annual_limit,
                limit_pool=item.limit_pool,
                discount_percent=item.discount_percent,
                without_referral=item.without_referral,
            )
            for item in spec.items
        )
        counter.created["items"] += len(spec.items)
