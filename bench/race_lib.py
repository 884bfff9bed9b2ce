"""Helpers of the booking and messaging benchmarks (B2, B3, B5, B6) on top of :mod:`bench.lib`.

Each of those benchmarks works in a database of its own on the server it is given (PostgreSQL: ``CREATE DATABASE
carenet_bN`` next to the one in the URL, dropped and created again at every run; SQLite: a file in a temporary
directory, WAL, as in production), so it never touches the 20-million-slot load of B1 and needs nothing from it.

The world they build is small and bookable: one city, one own centre with a room, one specialty and its
consultation, a tier whose package covers it, clinicians with one schedule each, slots in the days ahead, and
patients at level II, each with a login, an enrolment and (for the HTTP clients) a bearer token.

Raw-SQL references (:class:`RawBooker`) do the writes a booking must do, and nothing else: lock the slot row, see
it free, insert the appointment, mark the slot taken, insert the confirmation's outbox row, commit — psycopg on
PostgreSQL, ``sqlite3`` with ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lib

ROOT = lib.ROOT
ACTIVE_STATUSES = ("held", "booked", "checked_in", "completed")
UNUSABLE = "!"  # Django's mark of an unusable password


# --- Databases ------------------------------------------------------------------------------------------------


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> str:
    return urllib.parse.urlsplit(url).path if not url.startswith("sqlite:///") else url[len("sqlite://") :]


def fresh_database(url: str, name: str) -> str:
    """A new empty database ``name`` on the server of ``url`` (dropped first if it exists); returns its URL.
    For a SQLite URL, ``name`` becomes a file next to the given one."""
    if is_sqlite(url):
        path = Path(sqlite_path(url)).with_name(f"{name}.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
        return f"sqlite:///{path}"
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    """Drop a database made by :func:`fresh_database` (best effort)."""
    if is_sqlite(url):
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with contextlib.suppress(Exception), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def env_for(url: str) -> dict[str, str]:
    """The environment that points CareNet's settings at ``url``. SQLite goes through ``CARENET_SQLITE_PATH`` (with
    ``DATABASE_URL`` empty) so that the settings' WAL / BEGIN IMMEDIATE / busy-timeout options apply."""
    if is_sqlite(url):
        return {"DATABASE_URL": "", "CARENET_SQLITE_PATH": sqlite_path(url)}
    return {"DATABASE_URL": url}


def django_url(url: str) -> str:
    """What to hand :func:`lib.serve` / :func:`lib.django_setup` (empty for SQLite: see :func:`env_for`)."""
    return "" if is_sqlite(url) else url


def migrate(url: str) -> None:
    """``manage.py migrate`` into ``url`` in a subprocess (the benchmark's own process configures Django after)."""
    env = lib.bench_env(django_url(url))
    env.update(env_for(url))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def setup(url: str) -> None:
    """Configure this process's Django for ``url`` (DEBUG off, see :data:`lib.BENCH_ENV`)."""
    os.environ.update(env_for(url))
    lib.django_setup(django_url(url))


@contextlib.contextmanager
def serve(url: str, *, workers: int, threads: int, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """:func:`lib.serve` on ``url`` (SQLite included)."""
    env = {**env_for(url), **(extra_env or {})}
    with lib.serve(django_url(url), workers=workers, threads=threads, extra_env=env) as base:
        yield base


# --- The world ------------------------------------------------------------------------------------------------


@dataclass
class World:
    """What :func:`build_world` made (ids, so threads and subprocesses can use them)."""

    city_id: int
    facility_id: int
    room_id: int
    specialty_id: int
    specialty_code: str
    service_id: int
    tier_id: int
    contract_id: int
    clinician_ids: list[int]
    schedule_ids: dict[int, int]  # clinician id → its schedule


def build_world(*, clinicians: int, first_day: dt.date, days: int, tag: str = "bench") -> World:
    """The bookable network (see the module docstring), with ``clinicians`` clinicians each holding one schedule
    over ``days`` days from ``first_day``. Slots come from :func:`add_slots`."""
    from carenet.coverage.models import Benefit, BenefitItem, Contract, Rule, Tier
    from carenet.coverage.selectors import matrix_changed
    from carenet.network.models import City, Clinician, Facility, Room, Service, Specialty
    from carenet.scheduling.models import Mode, Schedule

    city = City.objects.create(name=f"Warszawa {tag}", voivodeship="mazowieckie")
    facility = Facility.objects.create(
        code=f"{tag}-centre",
        name=f"CareNet Centrum Medyczne {tag}",
        kind=Facility.Kind.OWN,
        brand=Facility.Brand.CENTRE,
        city=city,
        address="ul. Puławska 10",
        postal_code="00-001",
        phone="+48 22 100 20 30",
        opening_hours={day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    room = Room.objects.create(facility=facility, number="12")
    specialty = Specialty.objects.create(code=f"{tag}-interna", name="Choroby wewnętrzne")
    service = Service.objects.create(
        code=f"{tag}-konsultacja",
        name="Konsultacja internisty",
        kind=Service.Kind.CONSULTATION,
        specialty=specialty,
        base_price=180,
    )
    tier = Tier.objects.create(code=f"{tag}-tier"[:20], name="Pakiet bench", rank=900)
    benefit = Benefit.objects.create(code=f"{tag}-benefit", group="bench", title="Konsultacje", text="—")
    benefit.tiers.add(tier)
    BenefitItem.objects.create(benefit=benefit, specialty=specialty, rule=Rule.COVERED)
    contract = Contract.objects.create(
        code=f"{tag}-contract",
        name="Program bench",
        kind=Contract.Kind.EMPLOYER,
        client_name="Pracodawca Sp. z o.o.",
        starts_on=first_day - dt.timedelta(days=365),
    )
    contract.tiers.add(tier)
    people = Clinician.objects.bulk_create(
        [Clinician(first_name="Jan", last_name=f"Lekarz{n:05d}", title="lek.") for n in range(clinicians)]
    )
    Clinician.specialties.through.objects.bulk_create(
        [Clinician.specialties.through(clinician_id=c.pk, specialty_id=specialty.pk) for c in people]
    )
    Clinician.facilities.through.objects.bulk_create(
        [Clinician.facilities.through(clinician_id=c.pk, facility_id=facility.pk) for c in people]
    )
    matrix_changed()  # clinicians bulk inserted: every process reads the search form's lists again (issue 16)
    schedules = Schedule.objects.bulk_create(
        [
            Schedule(
                clinician=c,
                facility=facility,
                room=room,
                mode=Mode.IN_PERSON,
                specialty=specialty,
                valid_from=first_day,
                valid_until=first_day + dt.timedelta(days=max(days, 1)),
                weekdays="1234567",
                start_time=dt.time(0, 0),
                end_time=dt.time(23, 55),
                slot_minutes=5,
                skip_holidays=False,
            )
            for c in people
        ]
    )
    Schedule.services.through.objects.bulk_create(
        [Schedule.services.through(schedule_id=s.pk, service_id=service.pk) for s in schedules]
    )
    return World(
        city_id=city.pk,
        facility_id=facility.pk,
        room_id=room.pk,
        specialty_id=specialty.pk,
        specialty_code=specialty.code,
        service_id=service.pk,
        tier_id=tier.pk,
        contract_id=contract.pk,
        clinician_ids=[c.pk for c in people],
        schedule_ids={s.clinician_id: s.pk for s in schedules},
    )


def add_slots(world: World, starts: Sequence[tuple[int, dt.datetime]], *, minutes: int = 5) -> list[int]:
    """Slots for ``(clinician id, start)`` pairs (bulk insert); returns their ids in the same order."""
    from carenet.scheduling.models import Mode, Slot

    made: list[int] = []
    batch = 5000
    for offset in range(0, len(starts), batch):
        rows = [
            Slot(
                schedule_id=world.schedule_ids[clinician_id],
                clinician_id=clinician_id,
                facility_id=world.facility_id,
                city_id=world.city_id,
                room_id=world.room_id,
                specialty_id=world.specialty_id,
                mode=Mode.IN_PERSON,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                is_free=True,
            )
            for clinician_id, start in starts[offset : offset + batch]
        ]
        made.extend(slot.pk for slot in Slot.objects.bulk_create(rows))
    return made


def slot_grid(world: World, *, first_day: dt.date, count: int, minutes: int = 5) -> list[tuple[int, dt.datetime]]:
    """``count`` distinct (clinician, start) pairs: every clinician's day filled from 07:00 Warsaw in ``minutes``
    steps (up to 12 hours a day), then the next day."""
    from carenet.core.clock import at_warsaw

    per_day = 12 * 60 // minutes
    pairs: list[tuple[int, dt.datetime]] = []
    day = 0
    while len(pairs) < count:
        base = at_warsaw(first_day + dt.timedelta(days=day), dt.time(7))
        for clinician_id in world.clinician_ids:
            for step in range(per_day):
                pairs.append((clinician_id, base + dt.timedelta(minutes=minutes * step)))
                if len(pairs) == count:
                    return pairs
        day += 1
    return pairs


@dataclass
class Client:
    """A patient who books for themself: their patient and user ids and a bearer token for the API."""

    patient_id: int
    user_id: int
    token: str


def add_patients(world: World, count: int, *, tag: str = "bench", tokens: bool = True) -> list[Client]:
    """``count`` adult patients at level II with a login (unusable password: they use tokens), a +48 mobile, an
    enrolment in the world's tier, and a bearer token each (issued the way ``POST /auth/token`` issues it, without
    the password hashing — 200 PBKDF2 hashes would only measure the set-up)."""
    import secrets

    from django.utils import timezone

    from carenet.accounts.models import Patient, User
    from carenet.api.auth import TOKEN_LIFETIME, token_hash
    from carenet.api.models import AccessToken
    from carenet.coverage.models import Enrolment

    today = timezone.localdate()
    users = User.objects.bulk_create(
        # "!" is Django's unusable password: these patients authenticate with tokens.
        [User(username=f"{tag}-p{n:06d}", role=User.Role.PATIENT, password=UNUSABLE) for n in range(count)]
    )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                user=user,
                first_name="Anna",
                last_name=f"Nowak{n:06d}",
                pesel=f"85{n:09d}",
                birth_date=dt.date(1985, 1, 1),
                sex=Patient.Sex.FEMALE,
                mobile=f"+4850{n:07d}",
                account_level=Patient.Level.FULL,
            )
            for n, user in enumerate(users)
        ],
        batch_size=5000,
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                patient=patient,
                contract_id=world.contract_id,
                tier_id=world.tier_id,
                activated_on=today - dt.timedelta(days=30),
                paid_through=today + dt.timedelta(days=365),
                ecard_number=f"EB{n:010d}",
            )
            for n, patient in enumerate(patients)
        ],
        batch_size=5000,
    )
    keys = [secrets.token_urlsafe(32) if tokens else "" for _ in users]
    if tokens:
        now = timezone.now()
        AccessToken.objects.bulk_create(
            [
                AccessToken(
                    user=user, key_hash=token_hash(key), name="bench", created_at=now, expires_at=now + TOKEN_LIFETIME
                )
                for user, key in zip(users, keys, strict=True)
            ],
            batch_size=5000,
        )
    return [Client(patient.pk, user.pk, key) for patient, user, key in zip(patients, users, keys, strict=True)]


# --- Raw SQL bookings -----------------------------------------------------------------------------------------


class RawBooker:
    """One client's connection doing the booking transaction in plain SQL (see the module docstring).

    ``book(slot_id, patient_id)`` returns True when it got the slot, False when the slot was taken."""

    def __init__(self, url: str, *, service_id: int) -> None:
        self.url = url
        self.service_id = service_id
        self.sqlite = is_sqlite(url)
        self.conn: Any
        if self.sqlite:
            self.conn = sqlite3.connect(sqlite_path(url), timeout=30, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
        else:
            import psycopg

            self.conn = psycopg.connect(url)

    def book(self, slot_id: int, patient_id: int) -> bool:
        return self._book_sqlite(slot_id, patient_id) if self.sqlite else self._book_pg(slot_id, patient_id)

    def _book_pg(self, slot_id: int, patient_id: int) -> bool:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT is_free FROM scheduling_slot WHERE id = %s FOR NO KEY UPDATE", (slot_id,))
            row = cur.fetchone()
            if row is None or not row[0]:
                return False
            cur.execute(
                "INSERT INTO booking_appointment (status, channel, price, limit_pool, created_at, cancel_channel,"
                " patient_id, service_id, slot_id, coverage_kind, check_in_channel)"
                " VALUES ('booked', 'mobile', 0, '', now(), '', %s, %s, %s, 'covered', '') RETURNING id",
                (patient_id, self.service_id, slot_id),
            )
            appointment_id = cur.fetchone()[0]
            cur.execute("UPDATE scheduling_slot SET is_free = false WHERE id = %s", (slot_id,))
            cur.execute(
                "INSERT INTO messaging_outboundmessage (key, purpose, channel, recipient, subject, body, status,"
                " attempts, next_attempt_at, provider, provider_message_id, last_error, created_at, patient_id)"
                " VALUES (%s, 'raw-booking', 'sms', '+48500000000', '', 'raw', 'failed', 0, now(), '', '', '',"
                " now(), %s)",
                (f"raw-booking:{appointment_id}", patient_id),
            )
        return True

    def _book_sqlite(self, slot_id: int, patient_id: int) -> bool:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            row = cur.execute("SELECT is_free FROM scheduling_slot WHERE id = ?", (slot_id,)).fetchone()
            if row is None or not row[0]:
                cur.execute("ROLLBACK")
                return False
            now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
            cur.execute(
                "INSERT INTO booking_appointment (status, channel, price, limit_pool, created_at, cancel_channel,"
                " patient_id, service_id, slot_id, coverage_kind, check_in_channel)"
                " VALUES ('booked', 'mobile', 0, '', ?, '', ?, ?, ?, 'covered', '')",
                (now, patient_id, self.service_id, slot_id),
            )
            appointment_id = cur.lastrowid
            cur.execute("UPDATE scheduling_slot SET is_free = 0 WHERE id = ?", (slot_id,))
            cur.execute(
                "INSERT INTO messaging_outboundmessage (key, purpose, channel, recipient, subject, body, status,"
                " attempts, next_attempt_at, provider, provider_message_id, last_error, created_at, patient_id)"
                " VALUES (?, 'raw-booking', 'sms', '+48500000000', '', 'raw', 'failed', 0, ?, '', '', '', ?, ?)",
                (f"raw-booking:{appointment_id}", now, now, patient_id),
            )
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            raise
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


# --- Checks and threads ---------------------------------------------------------------------------------------


def sql_rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one query on a fresh connection (psycopg ``%s`` placeholders; translated for SQLite)."""
    if is_sqlite(url):
        with contextlib.closing(sqlite3.connect(sqlite_path(url), timeout=30)) as conn:
            return list(conn.execute(sql.replace("%s", "?"), tuple(params)).fetchall())
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql, tuple(params)).fetchall())


def double_bookings(url: str, slot_ids: Sequence[int]) -> tuple[int, int]:
    """``(active appointments, slots holding more than one)`` among ``slot_ids`` — checked in SQL, not trusted to
    the answers the clients got."""
    if not slot_ids:
        return 0, 0
    marks = ", ".join(["%s"] * len(slot_ids))
    statuses = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)
    rows = sql_rows(
        url,
        f"SELECT slot_id, COUNT(*) FROM booking_appointment WHERE status IN ({statuses})"
        f" AND slot_id IN ({marks}) GROUP BY slot_id",
        list(slot_ids),
    )
    return sum(int(n) for _, n in rows), sum(1 for _, n in rows if int(n) > 1)


def run_together(count: int, body: Callable[[int], Any], *, prepare: Callable[[int], Any] | None = None) -> float:
    """Start ``count`` threads, let each run ``prepare(i)`` (not timed), release them at once with a barrier and
    run ``body(i)``; returns the seconds from the release to the last thread's end. Exceptions propagate as
    results of ``body`` are the caller's business (wrap them there)."""
    barrier = threading.Barrier(count + 1)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            if prepare is not None:
                prepare(i)
        finally:
            barrier.wait()
        try:
            body(i)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def child_json(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a benchmark (or part of one) as a child process, echo its output, return its last line parsed."""
    import json

    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"{argv[0]} failed with exit code {done.returncode}")
    return dict(json.loads(lines[-1]))
