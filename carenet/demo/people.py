"""Demo people (ACC, PKG-2, PKG-3): contracts of invented employers and an insurer, patients in households with valid
PESELs and mobiles, their roster entries and enrolments over all tiers, portal accounts at levels I and II, and the
staff accounts."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission

from carenet.accounts.models import IdentityConfirmation, Patient, User
from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.core.dates import age_on, latest_birth_date_of_age
from carenet.coverage.models import Contract, Enrolment, RosterEntry, Tier
from carenet.demo import identity, names
from carenet.demo.totp import totp_devices_for_demo_staff
from carenet.network.models import Clinician, Facility

# Documented demo passwords (README / the command's output). Demo only: the command refuses nothing in production,
# so never run it against a real database.
PASSWORDS = {
    "admin": "demo-admin-2026",
    "coordinator": "demo-koordynator-2026",
    "call_centre": "demo-infolinia-2026",
    "receptionist": "demo-recepcja-2026",
    "clinician": "demo-lekarz-2026",
    "partner_staff": "demo-partner-2026",
    "patient": "demo-pacjent-2026",
    "employer_contact": "demo-kadry-2026",
}
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# code, name, kind, client, tier ranks offered, share of patients, share of partners allowed
CONTRACTS = (
    ("zielony-klos", "Program Zdrowie – Zielony Kłos Logistyka", Contract.Kind.EMPLOYER,
     "Zielony Kłos Logistyka sp. z o.o.", (1, 2, 3), 24, 0.35),
    ("hefajstos", "Pakiet pracowniczy – Hefajstos Software", Contract.Kind.EMPLOYER,
     "Hefajstos Software sp. z o.o.", (3, 4, 5), 16, 0.6),
    ("piastowe-okna", "Opieka medyczna – Grupa Piastowe Okna", Contract.Kind.EMPLOYER,
     "Grupa Piastowe Okna S.A.", (1, 2, 3, 4, 5), 22, 0.5),
    ("wodociagi-nadrzeczne", "Program medyczny – Wodociągi Nadrzeczne", Contract.Kind.EMPLOYER,
     "Wodociągi Nadrzeczne sp. z o.o.", (1, 2), 10, 0.25),
    ("tu-bursztyn", "Ubezpieczenie zdrowotne TU Bursztyn", Contract.Kind.INSURER,
     "Towarzystwo Ubezpieczeń Bursztyn S.A.", (2, 3, 4, 5), 18, 0.8),
    ("indywidualni", "Pakiety indywidualne CareNet", Contract.Kind.INDIVIDUAL, "Klienci indywidualni",
     (1, 2, 3, 4, 5), 10, 0.2),
)  # fmt: skip


@dataclass
class Person:
    patient: Patient
    contract: Contract
    tier: Tier
    activated_on: dt.date
    paid_through: dt.date
    guardian_index: int | None = None
    user: User | None = None
    enrolment: Enrolment | None = None

    def age_on(self, day: dt.date) -> int:
        return age_on(self.patient.birth_date, day)


@dataclass
class People:
    contracts: list[Contract] = field(default_factory=list)
    tiers: list[Tier] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    staff: dict[str, User] = field(default_factory=dict)
    receptionists: list[User] = field(default_factory=list)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # role, login, password, who


def _add_months_end(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _birth_date(rng: random.Random, today: dt.date, min_age: int, max_age: int) -> dt.date:
    # The earliest birth date of someone at most max_age today, the latest of someone at least min_age (a 29
    # February today has no twin in a common year: the helper moves it, as age_on counts it).
    oldest = latest_birth_date_of_age(max_age + 1, today) + dt.timedelta(days=1)
    youngest = latest_birth_date_of_age(min_age, today)
    return oldest + dt.timedelta(days=rng.randrange(max((youngest - oldest).days, 1)))


def _adult_age(rng: random.Random) -> tuple[int, int]:
    band = rng.choices([(18, 29), (30, 44), (45, 59), (60, 74), (75, 90)], [18, 34, 26, 15, 7])[0]
    return band


def build_contracts(rng: random.Random, today: dt.date, partners: list[Facility]) -> tuple[list[Contract], list[Tier]]:
    tiers = list(Tier.objects.order_by("rank"))
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                code=code,
                name=name,
                kind=kind,
                client_name=client,
                starts_on=today - dt.timedelta(days=rng.randrange(400, 2000)),
                ends_on=None if rng.random() < 0.5 else _add_months_end(today, rng.randrange(6, 30)),
            )
            for code, name, kind, client, _ranks, _share, _partners in CONTRACTS
        ]
    )
    tier_links, partner_links = [], []
    for contract, (_c, _n, _k, _cl, ranks, _share, partner_share) in zip(contracts, CONTRACTS, strict=True):
        tier_links += [
            Contract.tiers.through(contract_id=contract.pk, tier_id=tiers[r - 1].pk) for r in ranks if r <= len(tiers)
        ]
        allowed = sorted(rng.sample(range(len(partners)), k=round(len(partners) * partner_share)))
        partner_links += [
            Contract.partner_facilities.through(contract_id=contract.pk, facility_id=partners[i].pk) for i in allowed
        ]
    Contract.tiers.through.objects.bulk_create(tier_links)
    Contract.partner_facilities.through.objects.bulk_create(partner_links, batch_size=5000)
    return contracts, tiers


def _enrolment_dates(rng: random.Random, today: dt.date) -> tuple[dt.date, dt.date]:
    """PKG-3: activated in the past year and paid ahead (most), expired (some), or starting soon (a few)."""
    roll = rng.random()
    if roll < 0.02:
        activated = today + dt.timedelta(days=rng.randrange(1, 31))
        return activated, _add_months_end(activated, 12)
    if roll < 0.09:
        activated = today - dt.timedelta(days=rng.randrange(90, 366))
        return activated, max(activated, today - dt.timedelta(days=rng.randrange(1, 60)))
    activated = today - dt.timedelta(days=rng.randrange(0, 366))
    return activated, _add_months_end(today, rng.randrange(1, 13))


def build_patients(
    rng: random.Random, today: dt.date, count: int, contracts: list[Contract], tiers: list[Tier]
) -> list[Person]:
    """Households: an adult member, sometimes with 1–3 children (<18) linked to them in the same contract and tier."""
    pesels: set[str] = set()
    mobiles: set[str] = set()
    emails: set[str] = set()
    shares = [c[5] for c in CONTRACTS]
    persons: list[Person] = []
    guardians: list[tuple[int, int]] = []  # (child index, guardian index)
    while len(persons) < count:
        contract_index = rng.choices(range(len(contracts)), shares)[0]
        contract = contracts[contract_index]
        ranks = [r for r in CONTRACTS[contract_index][4] if r <= len(tiers)]
        tier = tiers[rng.choices(ranks, [6 - r for r in ranks])[0] - 1]
        activated, paid_through = _enrolment_dates(rng, today)
        sex = rng.choice("FM")
        low, high = _adult_age(rng)
        family_name = rng.choice(names.SURNAMES)
        adult = _new_patient(rng, today, sex, low, high, family_name, pesels, mobiles, emails)
        persons.append(Person(adult, contract, tier, activated, paid_through))
        adult_index = len(persons) - 1
        age = persons[-1].age_on(today)
        if 25 <= age <= 55 and rng.random() < 0.45:
            for _ in range(rng.choices([1, 2, 3], [50, 38, 12])[0]):
                if len(persons) >= count:
                    break
                child_sex = rng.choice("FM")
                oldest = min(17, age - 20)
                child = _new_patient(rng, today, child_sex, 0, max(oldest, 0), family_name, pesels, mobiles, emails)
                persons.append(Person(child, contract, tier, activated, paid_through, guardian_index=adult_index))
                guardians.append((len(persons) - 1, adult_index))
    created = Patient.objects.bulk_create([p.patient for p in persons], batch_size=2000)
    for person, patient in zip(persons, created, strict=True):
        person.patient = patient
    for child_index, guardian_index in guardians:
        persons[child_index].patient.guardian = persons[guardian_index].patient
    Patient.objects.bulk_update([persons[c].patient for c, _ in guardians], ["guardian"], batch_size=2000)
    return persons


def _new_patient(
    rng: random.Random,
    today: dt.date,
    sex: str,
    min_age: int,
    max_age: int,
    family_name: str,
    pesels: set[str],
    mobiles: set[str],
    emails: set[str],
) -> Patient:
    born = _birth_date(rng, today, min_age, max_age)
    first = rng.choice(names.FEMALE_FIRST_NAMES if sex == "F" else names.MALE_FIRST_NAMES)
    last = names.surname_for(family_name, sex)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    mobile = email = ""
    if age >= 13:  # younger children are reached through their guardian
        mobile = identity.mobile(rng, mobiles)
        local = f"{names.ascii_fold(first)}.{names.ascii_fold(last)}".lower().replace(" ", "")
        email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        serial = 1
        while email in emails:
            serial += 1
            email = f"{local}{serial}@{email.split('@')[1]}"
        emails.add(email)
    return Patient(
        first_name=first,
        last_name=last,
        pesel=identity.unique_pesel(rng, born, sex, pesels),
        birth_date=born,
        sex=sex,
        mobile=mobile,
        email=email,
    )


def build_enrolments(rng: random.Random, persons: list[Person]) -> None:
    """PKG-2/3: a roster entry (what the employer ordered) and the enrolment made from it, for every patient."""
    entries = []
    for person in persons:
        patient = person.patient
        holder = persons[person.guardian_index].patient.pesel if person.guardian_index is not None else ""
        entries.append(
            RosterEntry(
                contract=person.contract,
                tier=person.tier,
                first_name=patient.first_name,
                last_name=patient.last_name,
                pesel=patient.pesel,
                mobile=patient.mobile,
                email=patient.email,
                holder_pesel=holder,
                activation_date=person.activated_on,
                paid_through=person.paid_through,
            )
        )
    entries = RosterEntry.objects.bulk_create(entries, batch_size=2000)
    cards: set[str] = set()
    enrolments = [
        Enrolment(
            patient=person.patient,
            contract=person.contract,
            tier=person.tier,
            roster_entry=entry,
            activated_on=person.activated_on,
            paid_through=person.paid_through,
            ecard_number=identity.ecard_number(rng, cards),
        )
        for person, entry in zip(persons, entries, strict=True)
    ]
    for person, enrolment in zip(persons, Enrolment.objects.bulk_create(enrolments, batch_size=2000), strict=True):
        person.enrolment = enrolment


def _hashes() -> dict[str, str]:
    # One hash per documented password (hashing is deliberately slow; the demo shares a hash between accounts).
    return {role: make_password(password) for role, password in PASSWORDS.items()}


def build_users(
    rng: random.Random,
    today: dt.date,
    now: dt.datetime,
    persons: list[Person],
    own: list[Facility],
    clinicians: list[Clinician],
    demo_clinician: Clinician | None,
    tiers: list[Tier],
    partner: Facility | None = None,
) -> People:
    people = People(persons=persons, tiers=tiers)
    hashes = _hashes()

    def staff(username: str, role: str, first: str, last: str, **extra: object) -> User:
        return User(
            username=username,
            password=hashes[role],
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@carenet.example",
            is_staff=role in {"admin", "coordinator"},
            is_superuser=role == "admin",
            **extra,
        )

    staff_rows = [
        staff("admin", "admin", "Adam", "Administracyjny"),
        staff("koordynator", "coordinator", "Katarzyna", "Koordynacka"),
        staff("infolinia", "call_centre", "Iwona", "Infoliniowa"),
    ]
    receptionist_facilities = own[:4]
    staff_rows += [
        staff(f"recepcja{i}", "receptionist", rng.choice(names.FEMALE_FIRST_NAMES), "Recepcyjna", facility=f)
        for i, f in enumerate(receptionist_facilities, 1)
    ]
    if demo_clinician is not None:
        staff_rows.append(staff("lekarz", "clinician", demo_clinician.first_name, demo_clinician.last_name))
    if partner is not None:  # a partner facility's desk verifies E-Karta cards (PKG-6) and sees no patient data
        staff_rows.append(staff("partner", "partner_staff", "Paulina", "Partnerska", facility=partner))
    created = User.objects.bulk_create(staff_rows)
    # Demo only: every staff login has a confirmed TOTP device with a published secret (see print_demo_logins).
    totp_devices_for_demo_staff(created)
    by_name = {u.username: u for u in created}
    people.staff = by_name
    people.receptionists = [by_name[f"recepcja{i}"] for i in range(1, len(receptionist_facilities) + 1)]
    coordinator = by_name["koordynator"]
    coordinator.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["network", "scheduling"]).order_by("id")
    )
    if demo_clinician is not None:
        demo_clinician.user = by_name["lekarz"]
        demo_clinician.save(update_fields=["user"])

    people.logins += [
        ("administrator", "admin", PASSWORDS["admin"], "superuser, Django admin"),
        ("koordynator sieci", "koordynator", PASSWORDS["coordinator"], "network coordinator"),
        ("infolinia", "infolinia", PASSWORDS["call_centre"], "call-centre operator"),
    ]
    people.logins += [
        ("recepcja", u.username, PASSWORDS["receptionist"], f.name)
        for u, f in zip(people.receptionists, receptionist_facilities, strict=True)
    ]
    if demo_clinician is not None:
        people.logins.append(("lekarz", "lekarz", PASSWORDS["clinician"], str(demo_clinician)))
    if partner is not None:
        people.logins.append(("placówka partnerska", "partner", PASSWORDS["partner_staff"], partner.name))

    _patient_accounts(rng, today, now, people, hashes["patient"], by_name)
    return people


def _patient_accounts(
    rng: random.Random, today: dt.date, now: dt.datetime, people: People, password_hash: str, staff: dict[str, User]
) -> None:
    """Two in three adults have registered on the portal; about 40 % of them confirmed their identity (level II).
    Named demo accounts: level I, level II, a parent acting for children, and one level-II patient per tier."""
    persons = people.persons
    guardians = {p.guardian_index for p in persons if p.guardian_index is not None}

    def active(person: Person) -> bool:
        return person.activated_on <= today - dt.timedelta(days=28) and person.paid_through > today + dt.timedelta(
            days=60
        )

    def adult(person: Person) -> bool:
        return person.age_on(today) >= 18 and bool(person.patient.mobile)

    named: dict[int, tuple[str, int, str]] = {}  # person index -> (login, level, description)
    candidates = [i for i, p in enumerate(persons) if adult(p) and active(p) and 25 <= p.age_on(today) <= 60]
    level_one = next(i for i in candidates if i not in guardians)
    named[level_one] = ("pacjent1", 1, "level I (basic)")
    level_two = next(i for i in candidates if i not in guardians and i not in named and persons[i].tier.rank >= 3)
    named[level_two] = ("pacjent2", 2, "level II (full)")
    parent = next((i for i in candidates if i in guardians and i not in named), None)
    if parent is not None:
        named[parent] = ("rodzic", 2, "level II, acts for their children")
    for tier in people.tiers:
        pick = next((i for i in candidates if i not in named and persons[i].tier.pk == tier.pk), None)
        if pick is not None:
            named[pick] = (f"pakiet-{tier.code}", 2, f"level II, {tier.name}")

    users: list[User] = []
    owners: list[int] = []
    levels: dict[int, int] = {}
    for index, person in enumerate(persons):
        if index in named:
            login, level, _ = named[index]
        elif adult(person) and rng.random() < 0.66:
            login, level = person.patient.email, 2 if rng.random() < 0.4 else 1
        else:
            continue
        patient = person.patient
        users.append(
            User(
                username=login,
                password=password_hash,
                role=User.Role.PATIENT,
                first_name=patient.first_name,
                last_name=patient.last_name,
                email=patient.email,
                date_joined=now - dt.timedelta(days=rng.randrange(1, 365)),
            )
        )
        owners.append(index)
        levels[index] = level
    created = User.objects.bulk_create(users, batch_size=2000)
    confirmations: list[IdentityConfirmation] = []
    updated: list[Patient] = []
    methods = list(IdentityConfirmation.Method)
    for index, user in zip(owners, created, strict=True):
        person = persons[index]
        person.user = user
        person.patient.user = user
        person.patient.account_level = levels[index]
        updated.append(person.patient)
        if levels[index] == 2:
            method = rng.choice(methods)
            by = {"call_centre": staff["infolinia"], "in_person": rng.choice(people.receptionists)}.get(method)
            confirmations.append(
                IdentityConfirmation(
                    patient=person.patient,
                    method=method,
                    confirmed_by=by,
                    confirmed_at=now - dt.timedelta(days=rng.randrange(1, 300), minutes=rng.randrange(600)),
                    document="dowód osobisty" if method == "in_person" else "",
                    terms_signed=method == "in_person",
                    note="demo",
                )
            )
    Patient.objects.bulk_update(updated, ["user", "account_level"], batch_size=2000)
    IdentityConfirmation.objects.bulk_create(confirmations, batch_size=2000)
    for index, (login, _level, description) in sorted(named.items(), key=lambda item: item[1][0]):
        person = persons[index]
        who = f"{person.patient.full_name}, {person.tier.name}, {person.contract.code}; {description}"
        people.logins.append(("pacjent", login, PASSWORDS["patient"], who))


def record_demo_reads(people: People, now: dt.datetime) -> int:
    """CLN-6, issue 10: "Kto oglądał moje dane" is not empty in the demo — the reads a real week leaves behind for
    the named level II patients (pacjent2, rodzic and a child): a call-centre search and patient page, a reception
    desk's day list and patient page, an E-Karta check at a reception desk. Written through the one service the
    doors use, as the people who would have read them."""
    named = {person.user.username: person for person in people.persons if person.user is not None}
    children = {person.guardian_index: person for person in people.persons if person.guardian_index is not None}
    operator = people.staff.get("infolinia")
    desk = people.receptionists[0] if people.receptionists else None
    recorded = 0
    for login in ("pacjent2", "rodzic"):
        person = named.get(login)
        if person is None or operator is None or desk is None:
            continue
        ids = [person.patient.pk]
        child = children.get(people.persons.index(person))
        if child is not None:
            ids.append(child.patient.pk)
        reads = [
            (operator, What.PATIENT_SEARCH, Door.STAFF, dt.timedelta(days=6, hours=3)),
            (operator, What.PATIENT_PAGE, Door.STAFF, dt.timedelta(days=6, hours=2, minutes=58)),
            (desk, What.VISIT_LIST, Door.STAFF, dt.timedelta(days=2, hours=5)),
            (desk, What.PATIENT_PAGE, Door.STAFF, dt.timedelta(days=2, hours=4, minutes=40)),
            (desk, What.ECARD_CHECK, Door.STAFF, dt.timedelta(days=2, hours=4, minutes=45)),
        ]
        for reader, what, door, ago in reads:
            recorded += patient_reads_record(
                actor=actor_for_user(reader), patient_ids=ids, what=what, door=door, now=now - ago
            )
    return recorded
