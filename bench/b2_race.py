"""B2 Booking race (BKG-2): 200 concurrent clients over HTTP for 50 slots, and 200 for one slot, repeated, on
PostgreSQL and on SQLite.

Each client is a thread with its own patient and bearer token; all 200 open their connection first, wait at a
barrier and then send ``POST /api/v1/appointments`` (with an ``Idempotency-Key``) at once to gunicorn (several
workers × threads). After every round the database is asked, in SQL, how many active appointments each raced slot
holds: double bookings must be 0, the winners exactly one per slot, every loser a 409, no 5xx. Beside it, a raw-SQL
race of the same shape (200 threads with their own connection, the booking transaction in plain SQL: lock the slot
row, check it, insert the appointment, mark the slot, insert the outbox row) gives the attempts per second the
database itself manages.

    uv run python bench/b2_race.py --database-url postgres://… [--quick] [--time-limit 180]

PostgreSQL: a database ``carenet_b2`` is created on the given server; SQLite: a file in a temporary directory
(WAL, BEGIN IMMEDIATE, busy timeout, as in production). Each backend runs in a child process of its own.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lib
import race_lib

CLIENTS = 200
SHAPES = (("200 clients / 50 slots", 50), ("200 clients / 1 slot", 1))
WORKERS, THREADS = 4, 8
#: Seconds a backend's run needs after its last round: stop gunicorn, close 200 connections, report, drop.
STOP_SECONDS = 8


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], help="(internal) run one backend only")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per shape (default 10, --quick 3)")
    parser.add_argument(
        "--migrated", action="store_true", help="(internal) --database-url is a migrated database of its own"
    )


def http_round(base: str, clients: list[race_lib.Client], slot_ids: list[int]) -> tuple[float, Counter[int]]:
    """One race over HTTP: client i wants slot ``slot_ids[i % len(slot_ids)]``; returns (seconds, statuses)."""
    parts = urllib.parse.urlsplit(base)
    connections: list[http.client.HTTPConnection] = [
        http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120) for _ in clients
    ]
    statuses: Counter[int] = Counter()

    def prepare(i: int) -> None:
        connections[i].connect()

    def attempt(i: int) -> None:
        body = json.dumps({"slot_id": slot_ids[i % len(slot_ids)]})
        headers = {
            "Authorization": f"Bearer {clients[i].token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        try:
            connections[i].request("POST", "/api/v1/appointments", body=body, headers=headers)
            response = connections[i].getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            connections[i].close()
        statuses[status] += 1

    seconds = race_lib.run_together(len(clients), attempt, prepare=prepare)
    return seconds, statuses


def raw_round(
    bookers: list[race_lib.RawBooker], clients: list[race_lib.Client], slot_ids: list[int]
) -> tuple[float, Counter[str]]:
    outcomes: Counter[str] = Counter()

    def attempt(i: int) -> None:
        try:
            won = bookers[i].book(slot_ids[i % len(slot_ids)], clients[i].patient_id)
            outcomes["won" if won else "lost"] += 1
        except Exception as error:  # noqa: BLE001 - counted: the raw race must not fail either
            outcomes[f"error {type(error).__name__}"] += 1

    return race_lib.run_together(len(bookers), attempt), outcomes


def prepare_database(url: str) -> str:
    """A fresh, migrated database ``carenet_b2`` on the server (or next to the SQLite file) of ``url``."""
    fresh = race_lib.fresh_database(url, "carenet_b2")
    race_lib.migrate(fresh)
    return fresh


def run_backend(args: argparse.Namespace) -> None:
    limit = lib.deadline(args.time_limit)
    began = time.perf_counter()
    rounds = args.rounds or (3 if args.quick else 10)
    url = args.database_url if args.migrated else prepare_database(args.database_url)
    race_lib.setup(url)
    from django.utils import timezone

    first_day = timezone.localdate() + dt.timedelta(days=2)
    world = race_lib.build_world(clinicians=10, first_day=first_day, days=30, tag="b2")
    clients = race_lib.add_patients(world, CLIENTS, tag="b2")
    per_round = sum(n for _, n in SHAPES)
    slot_ids = race_lib.add_slots(world, race_lib.slot_grid(world, first_day=first_day, count=2 * rounds * per_round))
    fresh = iter(slot_ids)
    from django.db import connections

    connections.close_all()

    figures: dict[str, Any] = {}
    rows: list[list[Any]] = []
    problems: list[str] = []
    backend = args.backend
    with race_lib.serve(url, workers=WORKERS, threads=THREADS) as base:
        # Warm-up: every gunicorn thread opens its database connection and imports what a booking needs.
        lib.http_load(
            base,
            ["/api/v1/appointments"],
            connections=WORKERS * THREADS,
            count=WORKERS * THREADS * 2,
            headers={"Authorization": f"Bearer {clients[0].token}"},
        )
        bookers = [race_lib.RawBooker(url, service_id=world.service_id) for _ in clients]
        setup_seconds = time.perf_counter() - began
        round_seconds: list[float] = []
        # The two shapes take turns, so that a time limit shortens both alike.
        http_rates: dict[int, list[float]] = {n: [] for _, n in SHAPES}
        raw_rates: dict[int, list[float]] = {n: [] for _, n in SHAPES}
        totals: dict[int, Counter[str]] = {n: Counter() for _, n in SHAPES}
        done: Counter[int] = Counter()
        try:
            for round_number in range(rounds):
                # Another round only if it fits, with time left to stop gunicorn and report.
                if round_number and limit.left() < 1.5 * max(round_seconds) + STOP_SECONDS:
                    break
                round_began = time.perf_counter()
                for shape, slots in SHAPES:
                    total = totals[slots]
                    raced = [next(fresh) for _ in range(slots)]
                    seconds, statuses = http_round(base, clients, raced)
                    active, doubled = race_lib.double_bookings(url, raced)
                    http_rates[slots].append(CLIENTS / seconds)
                    total["201"] += statuses[201]
                    total["409"] += statuses[409]
                    total["5xx"] += sum(n for s, n in statuses.items() if s >= 500)
                    total["other"] += sum(n for s, n in statuses.items() if s not in (201, 409) and s < 500)
                    total["double"] += doubled
                    total["booked"] += active
                    if statuses[201] != slots or statuses[409] != CLIENTS - slots or doubled or active != slots:
                        problems.append(
                            f"{backend} {shape}: statuses {dict(statuses)}, active {active}, doubled {doubled}"
                        )
                    raw_slots = [next(fresh) for _ in range(slots)]
                    raw_seconds, outcomes = raw_round(bookers, clients, raw_slots)
                    raw_active, raw_doubled = race_lib.double_bookings(url, raw_slots)
                    raw_rates[slots].append(CLIENTS / raw_seconds)
                    total["raw_double"] += raw_doubled
                    if outcomes["won"] != slots or raw_active != slots:
                        problems.append(f"{backend} raw {shape}: {dict(outcomes)}, active {raw_active}")
                    done[slots] += 1
                round_seconds.append(time.perf_counter() - round_began)
            for shape, slots in SHAPES:
                total = totals[slots]
                key = "50_slots" if slots > 1 else "1_slot"
                http_median = statistics.median(http_rates[slots])
                raw_median = statistics.median(raw_rates[slots])
                figures[key] = {
                    "rounds": done[slots],
                    "attempts": done[slots] * CLIENTS,
                    "booked_201": total["201"],
                    "lost_409": total["409"],
                    "http_5xx": total["5xx"],
                    "other_status": total["other"],
                    "double_bookings": total["double"],
                    "raw_double_bookings": total["raw_double"],
                    "http_attempts_per_s": round(http_median, 1),
                    "raw_attempts_per_s": round(raw_median, 1),
                    "http_vs_raw": round(http_median / raw_median, 3),
                }
                rows.append(
                    [
                        f"{backend} {shape}",
                        done[slots],
                        total["201"],
                        total["409"],
                        total["5xx"] + total["other"],
                        total["double"],
                        http_median,
                        raw_median,
                        f"{100 * http_median / raw_median:.1f}%",
                    ]
                )
        finally:
            for booker in bookers:
                booker.close()
    figures["problems"] = problems[:10]
    figures["setup_seconds"] = round(setup_seconds, 1)
    figures["seconds_per_round"] = round(statistics.median(round_seconds), 2) if round_seconds else None
    print(
        f"  {backend}: set-up (database, world, gunicorn, warm-up, raw connections) {setup_seconds:.1f} s;"
        f" {len(round_seconds)} rounds of both shapes, median {figures['seconds_per_round']} s each"
    )
    lib.print_table(
        f"B2 booking race on {backend} (gunicorn {WORKERS}×{THREADS}; attempts/s = median of rounds)",
        ["shape", "rounds", "201", "409", "5xx/other", "double", "HTTP att/s", "raw SQL att/s", "HTTP/raw"],
        rows,
    )
    for problem in problems[:10]:
        print(f"  PROBLEM: {problem}")
    lib.json_line(f"B2-{backend}", figures, [])
    race_lib.drop_database(url)


def main() -> None:
    args = lib.arguments("B2 booking race (HTTP) on PostgreSQL and SQLite", options)
    if args.backend:
        run_backend(args)
        return
    began = time.monotonic()
    common = ["--quick"] if args.quick else []
    if args.rounds:
        common += ["--rounds", str(args.rounds)]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="carenet-b2-") as tmp:
        plans = []
        if not race_lib.is_sqlite(args.database_url):
            plans.append(("postgresql", args.database_url, 0.5))
        plans.append(("sqlite", f"sqlite:///{tmp}/b2.sqlite3", 0.95))
        # Both databases are migrated at once before anything is measured (a migrate is mostly one core's Python
        # for several seconds, and this is a 2-core machine): the time saved goes to rounds.
        with concurrent.futures.ThreadPoolExecutor(len(plans)) as pool:
            urls = list(pool.map(prepare_database, [url for _, url, _ in plans]))
        print(f"  databases created and migrated in {time.monotonic() - began:.1f} s")
        for (backend, _, share), url in zip(plans, urls, strict=True):
            left = args.time_limit - (time.monotonic() - began)
            budget = max(30.0, left * share)
            script = str(Path(__file__).resolve())
            line = race_lib.child_json(
                [
                    script,
                    "--database-url",
                    url,
                    "--migrated",
                    "--backend",
                    backend,
                    "--time-limit",
                    f"{budget:.0f}",
                    *common,
                ],
                timeout=budget + 60,
            )
            results[backend] = line["figures"]
    targets = []
    rows = []
    for backend, figures in results.items():
        for key in ("50_slots", "1_slot"):
            f = figures[key]
            targets.append(lib.target(f"{backend} {key}: double bookings", f["double_bookings"], 0))
            targets.append(lib.target(f"{backend} {key}: 5xx or other answers", f["http_5xx"] + f["other_status"], 0))
            losers_ok = f["lost_409"] == f["attempts"] - f["booked_201"]
            targets.append(
                {
                    "name": f"{backend} {key}: every loser 409",
                    "value": f["lost_409"],
                    "target": f"= {f['attempts'] - f['booked_201']}",
                    "met": losers_ok,
                }
            )
            rows.append(
                [backend, key, f["rounds"], f["double_bookings"], f["http_attempts_per_s"], f["raw_attempts_per_s"]]
            )
    lib.print_table(
        "B2 summary", ["backend", "shape", "rounds", "double", "HTTP attempts/s", "raw SQL attempts/s"], rows
    )
    lib.json_line("B2", results, targets)


if __name__ == "__main__":
    main()
