"""B6 Peer: CareNet beside the open-source django-appointment package on the same data shape — 200 clinicians
(staff members), 30 days of 30-minute slots from 08:00 to 16:00, a quarter of them booked.

Operations, side by side, each through the project's own code in-process (no HTTP on either side):

- availability of one clinician on one day (CareNet: ``slot_search`` for the clinician and the day; the peer:
  ``get_available_slots_for_staff``, what its availability view calls);
- a 10-clinician × 5-day search (CareNet: ``slot_search`` per clinician over the 5 days, every page; the peer has
  no multi-staff search, so its per-day function 50 times);
- the one-slot race: 200 threads book the same free slot (CareNet: ``appointment_book``; the peer: its booking
  form and ``Appointment.objects.create``, as its views do); the double bookings are counted in the database.

The peer runs in its own virtual environment (``var/.bench-peer``; created by this script with ``uv venv`` and
``uv pip install django-appointment==3.12.0 psycopg[binary]`` if missing) with the minimal project in
``bench/peer/``, in a database ``carenet_b6_peer`` on the same PostgreSQL server; CareNet in ``carenet_b6``.

    uv run python bench/b6_peer.py --database-url postgres://… [--quick] [--time-limit 180]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lib
import race_lib

PEER_VERSION = "3.12.0"
PEER_VENV = race_lib.ROOT / "var" / ".bench-peer"  # hidden: mypy and ruff do not walk into it
PEER_PYTHON = PEER_VENV / "bin" / "python"
CLINICIANS, DAYS, SLOTS_PER_DAY = 200, 30, 16
RACE_CLIENTS = 200


def ensure_peer() -> str:
    """The peer's virtual environment, installed from PyPI when missing; returns the installed version."""
    probe = [str(PEER_PYTHON), "-c", "import importlib.metadata as m; print(m.version('django-appointment'))"]
    if PEER_PYTHON.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout.strip()
    uv = subprocess.run(["scripts/ensure-uv"], cwd=race_lib.ROOT, capture_output=True, text=True, check=True)
    uv_bin = uv.stdout.strip() or "uv"
    subprocess.run([uv_bin, "venv", "-q", "--python", "3.11", str(PEER_VENV)], cwd=race_lib.ROOT, check=True)
    subprocess.run(
        [
            uv_bin,
            "pip",
            "install",
            "-q",
            "--python",
            str(PEER_PYTHON),
            f"django-appointment=={PEER_VERSION}",
            "psycopg[binary]",
        ],
        cwd=race_lib.ROOT,
        check=True,
    )
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def run_peer(url: str, *, quick: bool, timeout: float) -> dict[str, Any]:
    peer_url = race_lib.fresh_database(url, "carenet_b6_peer")
    argv = [str(PEER_PYTHON), str(race_lib.ROOT / "bench" / "peer" / "peer_bench.py"), "--database-url", peer_url]
    if quick:
        argv += ["--samples", "50", "--searches", "5", "--race-rounds", "1"]
    done = subprocess.run(
        argv, cwd=race_lib.ROOT / "bench" / "peer", capture_output=True, text=True, timeout=timeout, check=False
    )
    race_lib.drop_database(peer_url)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise RuntimeError("the peer's benchmark failed")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def load_carenet(url: str, world: race_lib.World, patients: list[race_lib.Client], first_day: dt.date) -> None:
    """The same shape with set-based SQL: slot (c, d, s) of clinician c on day d at 08:00 + 30 min × s (Warsaw);
    every 4th slot of a day booked."""
    import psycopg

    from carenet.core.clock import at_warsaw

    clinicians = world.clinician_ids
    starts = [at_warsaw(first_day + dt.timedelta(days=d), dt.time(8)) for d in range(DAYS)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO scheduling_slot (schedule_id, clinician_id, facility_id, city_id, room_id, specialty_id,"
            " mode, starts_at, ends_at, is_free)"
            " SELECT (%(schedules)s::bigint[])[c], (%(clinicians)s::bigint[])[c], %(facility)s, %(city)s, %(room)s,"
            " %(specialty)s, 'in_person', (%(starts)s::timestamptz[])[d] + make_interval(mins => 30 * s),"
            " (%(starts)s::timestamptz[])[d] + make_interval(mins => 30 * s + 30), s %% 4 <> 0"
            " FROM generate_series(1, %(nc)s) AS c, generate_series(1, %(nd)s) AS d,"
            " generate_series(0, %(ns)s - 1) AS s",
            {
                "schedules": [world.schedule_ids[c] for c in clinicians],
                "clinicians": clinicians,
                "facility": world.facility_id,
                "city": world.city_id,
                "room": world.room_id,
                "specialty": world.specialty_id,
                "starts": starts,
                "nc": len(clinicians),
                "nd": DAYS,
                "ns": SLOTS_PER_DAY,
            },
        )
        conn.execute(
            "INSERT INTO booking_appointment (status, channel, price, limit_pool, created_at, cancel_channel,"
            " patient_id, service_id, slot_id, coverage_kind, check_in_channel)"
            " SELECT 'booked', 'portal', 0, '', now(), '', (%(patients)s::bigint[])[s.id %% %(p)s + 1], %(service)s,"
            " s.id, 'covered', '' FROM scheduling_slot s WHERE NOT s.is_free",
            {"patients": [c.patient_id for c in patients], "p": len(patients), "service": world.service_id},
        )
        conn.execute("ANALYZE")


def carenet_figures(url: str, *, quick: bool) -> dict[str, Any]:
    from django.db import connection, connections
    from django.utils import timezone

    from carenet.accounts.models import Patient
    from carenet.booking.errors import SlotUnavailable
    from carenet.booking.services import appointment_book
    from carenet.scheduling.models import Slot
    from carenet.scheduling.search import SlotQuery, slot_search

    began = time.perf_counter()
    first_day = timezone.localdate() + dt.timedelta(days=2)
    world = race_lib.build_world(clinicians=CLINICIANS, first_day=first_day, days=DAYS, tag="b6")
    patients = race_lib.add_patients(world, RACE_CLIENTS, tag="b6", tokens=False)
    load_carenet(url, world, patients, first_day)
    setup_seconds = time.perf_counter() - began

    rng = random.Random(6)
    now = timezone.now()

    def one_day(clinician_id: int, day: dt.date) -> int:
        query = SlotQuery(clinician_id=clinician_id, date_from=day, date_to=day, page_size=50)
        return len(slot_search(query=query, now=now).slots)

    def ten_by_five(clinician_ids: list[int], start: dt.date) -> int:
        found = 0
        for clinician_id in clinician_ids:
            page = 1
            while True:
                query = SlotQuery(
                    clinician_id=clinician_id,
                    date_from=start,
                    date_to=start + dt.timedelta(days=4),
                    page=page,
                    page_size=50,
                )
                result = slot_search(query=query, now=now)
                found += len(result.slots)
                if not result.has_next:
                    break
                page += 1
        return found

    for _ in range(10):
        one_day(rng.choice(world.clinician_ids), first_day)
    samples, searches = (50, 5) if quick else (200, 20)
    day_ms, free = [], []
    for _ in range(samples):
        t = time.perf_counter()
        free.append(one_day(rng.choice(world.clinician_ids), first_day + dt.timedelta(days=rng.randrange(DAYS))))
        day_ms.append((time.perf_counter() - t) * 1000)
    search_ms = []
    found = 0
    for _ in range(searches):
        chosen = rng.sample(world.clinician_ids, 10)
        t = time.perf_counter()
        found = ten_by_five(chosen, first_day + dt.timedelta(days=rng.randrange(DAYS - 5)))
        search_ms.append((time.perf_counter() - t) * 1000)

    people = {p.pk: p for p in Patient.objects.select_related("user").filter(pk__in=[c.patient_id for c in patients])}
    connection.close()
    race = []
    for round_number in range(1 if quick else 3):
        # The 08:30 slot of the second day (never pre-booked) of a different clinician each round.
        slot_id = (
            Slot.objects.filter(clinician_id=world.clinician_ids[round_number], is_free=True)
            .order_by("starts_at")
            .values_list("pk", flat=True)[SLOTS_PER_DAY * 3 // 4]
        )
        outcomes: list[str] = []
        lock = threading.Lock()

        def book(i: int, slot_id: int = slot_id, outcomes: list[str] = outcomes, lock: threading.Lock = lock) -> None:
            patient = people[patients[i].patient_id]
            try:
                assert patient.user is not None
                appointment_book(actor=patient.user, patient=patient, slot_id=slot_id, channel="mobile")
                outcome = "booked"
            except SlotUnavailable:
                outcome = "lost"
            except Exception as error:  # noqa: BLE001 - counted
                outcome = f"error {type(error).__name__}"
            finally:
                connections["default"].close()
            with lock:
                outcomes.append(outcome)

        seconds = race_lib.run_together(RACE_CLIENTS, book)
        active, _ = race_lib.double_bookings(url, [slot_id])
        race.append(
            {
                "clients": RACE_CLIENTS,
                "booked": active,
                "double_bookings": max(0, active - 1),
                "attempts_per_s": round(RACE_CLIENTS / seconds, 1),
                "lost": outcomes.count("lost"),
                "errors": sum(1 for o in outcomes if o.startswith("error")),
            }
        )
    return {
        "setup_seconds": round(setup_seconds, 1),
        "one_day_ms": lib.percentiles(day_ms),
        "one_day_free_slots_mean": round(sum(free) / len(free), 1),
        "search_10x5_ms": lib.percentiles(search_ms),
        "search_10x5_free_slots_last": found,
        "race": race,
        "race_double_bookings": sum(r["double_bookings"] for r in race),
    }


def main() -> None:
    args = lib.arguments("B6 CareNet beside django-appointment")
    limit = lib.deadline(args.time_limit)
    if race_lib.is_sqlite(args.database_url):
        raise SystemExit("B6 runs both projects on PostgreSQL")
    version = ensure_peer()
    peer = run_peer(args.database_url, quick=args.quick, timeout=max(60.0, limit.left() * 0.6))
    url = race_lib.fresh_database(args.database_url, "carenet_b6")
    race_lib.migrate(url)
    race_lib.setup(url)
    ours = carenet_figures(url, quick=args.quick)
    race_lib.drop_database(url)

    rows = [
        ["one clinician-day, p50 ms", ours["one_day_ms"]["p50"], peer["one_day_ms"]["p50"]],
        ["one clinician-day, p95 ms", ours["one_day_ms"]["p95"], peer["one_day_ms"]["p95"]],
        ["free slots found per day (mean)", ours["one_day_free_slots_mean"], peer["one_day_free_slots_mean"]],
        ["10 clinicians × 5 days, p50 ms", ours["search_10x5_ms"]["p50"], peer["search_10x5_ms"]["p50"]],
        ["10 clinicians × 5 days, p95 ms", ours["search_10x5_ms"]["p95"], peer["search_10x5_ms"]["p95"]],
        [
            "free slots in the last 10×5 search",
            ours["search_10x5_free_slots_last"],
            peer["search_10x5_free_slots_last"],
        ],
        [
            "one-slot race: rounds × clients",
            f"{len(ours['race'])} × {RACE_CLIENTS}",
            f"{len(peer['race'])} × {RACE_CLIENTS}",
        ],
        ["one-slot race: double bookings", ours["race_double_bookings"], peer["race_double_bookings"]],
        [
            "one-slot race: attempts/s (median round)",
            sorted(r["attempts_per_s"] for r in ours["race"])[len(ours["race"]) // 2],
            sorted(r["attempts_per_s"] for r in peer["race"])[len(peer["race"]) // 2],
        ],
    ]
    lib.print_table(
        f"B6 CareNet beside django-appointment {version} ({CLINICIANS} clinicians, {DAYS} days, 16 slots a day, "
        "25% booked; PostgreSQL, in-process)",
        ["operation", "CareNet", "django-appointment"],
        rows,
    )
    figures = {"peer_version": version, "carenet": ours, "peer": peer}
    targets = [lib.target("CareNet one-slot race: double bookings", ours["race_double_bookings"], 0)]
    lib.json_line("B6", figures, targets)


if __name__ == "__main__":
    main()
