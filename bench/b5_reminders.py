"""B5 Reminders (SMS-1, SMS-3): day-before reminders for 75,000 visits tomorrow, enqueued by the real service
(``reminders_enqueue``) and sent by the real ``manage.py db_worker`` processes (with ``manage.py scheduler`` for the
outbox sweep) through the SMSAPI backend to the fake gateway on loopback (``carenet/dev/fake_smsapi.py``).
One worker is killed with SIGKILL mid-run and started again.

Reported: enqueue rate, messages sent per second, and beside them the database's raw claim rate — ``SELECT … FOR
UPDATE SKIP LOCKED`` batches of the same size over the same table (claim, mark sending, commit, mark sent), by as
many connections as there are workers, timed in the same run. Checked: 0 duplicates (the fake gateway counts every
accepted ``idx``) and 0 misses (every reminder key accepted once, every outbox row sent).

    uv run python bench/b5_reminders.py --database-url postgres://… [--quick] [--time-limit 180]

PostgreSQL only (the claim is ``SKIP LOCKED``); works in a database ``carenet_b5`` of its own. The number of visits is
75,000 when the time limit allows sending them all (about 5 minutes on the 2-core machine), otherwise as many as fit
(--visits sets it; --quick: 5,000); the figures say which.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lib
import race_lib

WORKERS = 4
BATCH = 50
SLOTS_PER_CLINICIAN = 144  # 07:00-19:00 in 5-minute slots
TOKEN = "b5-bench-token"  # noqa: S105 - the fake gateway's token, not a secret


FULL_SCALE = 75_000
#: Conservative messages per second on the 2-core machine, to size a run to its time limit (measured: 355/s with a
#: connection per SMS, 445/s with the connection kept alive, 773/s with each batch recorded sent in one UPDATE).
EXPECTED_SEND_RATE = 650
#: Seconds per visit besides sending: set-up (0.2 ms), reminders_enqueue (0.35 ms), the raw reference (0.25 ms).
SECONDS_PER_VISIT = 0.0008
#: Seconds of a run whatever its size (start, migrate, workers, checks: 13 s measured) and the 25 s margin the
#: sending loop keeps for the checks and the raw reference.
FIXED_SECONDS = 40


def fitting_visits(time_limit: float) -> int:
    """The issue's 75,000 visits when the time limit allows sending them all, otherwise as many as fit."""
    fit = int((time_limit - FIXED_SECONDS) / (1 / EXPECTED_SEND_RATE + SECONDS_PER_VISIT)) // 1000 * 1000
    return max(5_000, min(FULL_SCALE, fit))


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visits", type=int, default=0, help="visits tomorrow (default 75,000; --quick 5,000)")


def load_visits(url: str, world: race_lib.World, patients: list[race_lib.Client], day: dt.date, visits: int) -> None:
    """``visits`` booked appointments on ``day`` with set-based SQL: slot g belongs to clinician g // 144 at
    07:00 + 5 min × (g % 144) Warsaw, booked by patient g % len(patients)."""
    import psycopg

    from carenet.core.clock import at_warsaw

    start = at_warsaw(day, dt.time(7))
    clinicians = world.clinician_ids
    schedules = [world.schedule_ids[c] for c in clinicians]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO scheduling_slot (schedule_id, clinician_id, facility_id, city_id, room_id, specialty_id,"
            " mode, starts_at, ends_at, is_free)"
            " SELECT (%(schedules)s::bigint[])[g / %(per)s + 1], (%(clinicians)s::bigint[])[g / %(per)s + 1],"
            " %(facility)s, %(city)s, %(room)s, %(specialty)s, 'in_person',"
            " %(start)s + make_interval(mins => 5 * (g %% %(per)s)),"
            " %(start)s + make_interval(mins => 5 * (g %% %(per)s) + 5), false"
            " FROM generate_series(0, %(n)s - 1) AS g",
            {
                "schedules": schedules,
                "clinicians": clinicians,
                "per": SLOTS_PER_CLINICIAN,
                "facility": world.facility_id,
                "city": world.city_id,
                "room": world.room_id,
                "specialty": world.specialty_id,
                "start": start,
                "n": visits,
            },
        )
        conn.execute(
            "INSERT INTO booking_appointment (status, channel, price, limit_pool, created_at, cancel_channel,"
            " patient_id, service_id, slot_id, coverage_kind, check_in_channel)"
            " SELECT 'booked', 'portal', 0, '', now(), '', (%(patients)s::bigint[])[s.id %% %(p)s + 1], %(service)s,"
            " s.id, 'covered', '' FROM scheduling_slot s WHERE s.specialty_id = %(specialty)s",
            {
                "patients": [c.patient_id for c in patients],
                "p": len(patients),
                "service": world.service_id,
                "specialty": world.specialty_id,
            },
        )
        conn.execute("ANALYZE")


def raw_claim_rate(url: str, *, connections: int, batch: int, seconds: float) -> tuple[float, int]:
    """Drain the reminder rows again with plain SQL, as the workers claim them (see the module docstring), for at
    most ``seconds``; returns (rows per second, rows)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE messaging_outboundmessage SET status = 'pending', lease_until = NULL, attempts = 0"
            " WHERE purpose = 'reminder'"
        )
        conn.execute("VACUUM ANALYZE messaging_outboundmessage")
    counts = [0] * connections
    stop = time.monotonic() + seconds

    def drain(i: int) -> None:
        with psycopg.connect(url) as conn:
            while time.monotonic() < stop:
                with conn.transaction():
                    ids = [
                        row[0]
                        for row in conn.execute(
                            "SELECT id FROM messaging_outboundmessage WHERE (status = 'pending' AND"
                            " next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())"
                            " ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
                            (batch,),
                        ).fetchall()
                    ]
                    if ids:
                        conn.execute(
                            "UPDATE messaging_outboundmessage SET status = 'sending', attempts = attempts + 1,"
                            " lease_until = now() + interval '60 seconds' WHERE id = ANY(%s)",
                            (ids,),
                        )
                if not ids:
                    return
                with conn.transaction():
                    conn.execute(
                        "UPDATE messaging_outboundmessage SET status = 'sent', sent_at = now(), lease_until = NULL"
                        " WHERE id = ANY(%s)",
                        (ids,),
                    )
                counts[i] += len(ids)

    seconds = race_lib.run_together(connections, drain)
    return sum(counts) / seconds, sum(counts)


def main() -> None:
    args = lib.arguments("B5 reminders through the outbox and real workers", options)
    limit = lib.deadline(args.time_limit)
    if race_lib.is_sqlite(args.database_url):
        raise SystemExit("B5 needs PostgreSQL (the outbox claim is FOR UPDATE SKIP LOCKED)")
    visits = args.visits or (5_000 if args.quick else fitting_visits(args.time_limit))
    print(f"  {visits:,} visits (the issue's scale is {FULL_SCALE:,}; --visits or a longer --time-limit for more)")
    began = time.perf_counter()
    url = race_lib.fresh_database(args.database_url, "carenet_b5")
    race_lib.migrate(url)
    print(f"  database created and migrated in {time.perf_counter() - began:.1f} s")
    # Reminders are due from CARENET_REMINDER_HOUR of the day before; 0 makes them due now, whatever the hour.
    os.environ["CARENET_REMINDER_HOUR"] = "0"
    race_lib.setup(url)
    from django.db import connection
    from django.utils import timezone

    from carenet.booking.services import reminders_enqueue
    from carenet.dev.fake_smsapi import start_in_thread
    from carenet.messaging.models import OutboundMessage

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    clinicians = -(-visits // SLOTS_PER_CLINICIAN)
    began = time.perf_counter()
    world = race_lib.build_world(clinicians=clinicians, first_day=tomorrow, days=2, tag="b5")
    patients = race_lib.add_patients(world, min(visits, 20_000), tag="b5", tokens=False)
    load_visits(url, world, patients, tomorrow, visits)
    setup_seconds = time.perf_counter() - began

    began = time.perf_counter()
    enqueued = reminders_enqueue(day=tomorrow)
    enqueue_seconds = time.perf_counter() - began
    connection.close()
    print(f"  set-up {setup_seconds:.1f} s; reminders_enqueue: {enqueued:,} in {enqueue_seconds:.1f} s")

    fake = start_in_thread(token=TOKEN)
    env = lib.bench_env(url)
    env.update(
        {
            "CARENET_LOG_LEVEL": "WARNING",
            "CARENET_SMS_BACKEND": "smsapi",
            "CARENET_SMSAPI_URL": fake.url,
            "CARENET_SMSAPI_TOKEN": TOKEN,
            "CARENET_SMSAPI_TIMEOUT": "5",
            "CARENET_OUTBOX_BATCH_SIZE": str(BATCH),
            "CARENET_OUTBOX_LEASE_SECONDS": "5",
            "CARENET_OUTBOX_RETRY_BASE_SECONDS": "0.5",
            "CARENET_OUTBOX_RETRY_MAX_SECONDS": "2",
            "CARENET_OUTBOX_SWEEP_SECONDS": "1",
        }
    )
    manage = [sys.executable, str(race_lib.ROOT / "manage.py")]
    log_path = race_lib.ROOT / "var" / "bench-b5-workers.log"
    log = log_path.open("w")

    def start(*argv: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([*manage, *argv], env=env, cwd=race_lib.ROOT, stdout=log, stderr=subprocess.STDOUT)

    def start_worker() -> subprocess.Popen[bytes]:
        return start("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", "--verbosity", "0")

    sent = OutboundMessage.objects.filter(purpose="reminder", status=OutboundMessage.Status.SENT)
    work_began = time.perf_counter()
    scheduler = start("scheduler", "--tick", "0.5", "--verbosity", "0")
    workers = [start_worker() for _ in range(WORKERS)]
    killed_at: int | None = None
    in_flight = 0
    done = 0
    try:
        while not limit.expired():
            time.sleep(0.25)
            done = sent.count()
            if killed_at is None and done >= enqueued * 0.3:
                in_flight = OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING).count()
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
                killed_at = done
                workers[0] = start_worker()
            if done >= enqueued:
                break
            if limit.left() < 25:  # leave time for the checks and the raw reference
                break
        work_seconds = time.perf_counter() - work_began
    finally:
        for process in [*workers, scheduler]:
            process.send_signal(signal.SIGKILL)
            process.wait()
        log.close()
        fake.shutdown()
        fake.server_close()
    connection.close()

    statuses = Counter(OutboundMessage.objects.filter(purpose="reminder").values_list("status", flat=True))
    keys = set(OutboundMessage.objects.filter(purpose="reminder").values_list("key", flat=True))
    accepted = Counter(record["idx"] for record in fake.state.accepted)
    stats = fake.state.stats()
    duplicates = sum(n - 1 for n in accepted.values() if n > 1)
    sent_keys = set(
        OutboundMessage.objects.filter(purpose="reminder", status=OutboundMessage.Status.SENT).values_list(
            "key", flat=True
        )
    )
    # A miss: recorded as sent but never accepted by the gateway, or accepted for a key the outbox does not hold.
    misses = len(sent_keys - set(accepted)) + len(set(accepted) - keys)
    unsent = enqueued - statuses.get("sent", 0)
    span = [
        at
        for at in OutboundMessage.objects.filter(purpose="reminder").values_list("sent_at", flat=True)
        if at is not None
    ]
    first, last = min(span, default=None), max(span, default=None)
    send_rate = (
        statuses.get("sent", 0) / (last - first).total_seconds() if first and last and last > first else float("nan")
    )
    end_to_end = statuses.get("sent", 0) / work_seconds if work_seconds else float("nan")
    connection.close()

    raw_rate, raw_rows = raw_claim_rate(url, connections=WORKERS, batch=BATCH, seconds=min(10.0, limit.left()))
    figures: dict[str, Any] = {
        "visits": visits,
        "enqueued": enqueued,
        "enqueue_seconds": round(enqueue_seconds, 2),
        "enqueue_per_s": round(enqueued / enqueue_seconds, 1),
        "workers": WORKERS,
        "batch": BATCH,
        "sent": statuses.get("sent", 0),
        "outbox_statuses": dict(statuses),
        "send_seconds_end_to_end": round(work_seconds, 2),
        "messages_per_s": round(send_rate, 1),
        "messages_per_s_end_to_end": round(end_to_end, 1),
        "raw_claim_rows_per_s": round(raw_rate, 1),
        "raw_claim_rows": raw_rows,
        "messages_vs_raw_claim": round(send_rate / raw_rate, 4),
        "killed_worker_after_sent": killed_at,
        "in_flight_at_kill": in_flight,
        "gateway_requests": stats["requests"],
        "gateway_repeats_refused": stats["duplicates"],
        "duplicates": duplicates,
        "misses": misses,
        "unsent_at_end": unsent,
        "completed": unsent == 0,
    }
    lib.print_table(
        f"B5 reminders: {visits:,} visits tomorrow, {WORKERS} db_workers, batches of {BATCH}, one SIGKILL",
        ["phase", "messages", "seconds", "per second", "vs raw claim"],
        [
            ["reminders_enqueue (service)", enqueued, enqueue_seconds, enqueued / enqueue_seconds, ""],
            [
                "send to fake SMSAPI (sent_at span)",
                statuses.get("sent", 0),
                work_seconds,
                send_rate,
                f"{100 * send_rate / raw_rate:.1f}%",
            ],
            ["raw claim, SKIP LOCKED (same table)", raw_rows, raw_rows / raw_rate, raw_rate, "100%"],
        ],
    )
    lib.print_table(
        "B5 exactly once",
        ["killed after", "in flight at kill", "repeats refused by gateway", "duplicates", "misses", "unsent at end"],
        [[killed_at, in_flight, stats["duplicates"], duplicates, misses, unsent]],
    )
    targets = [
        lib.target("duplicates at the gateway", duplicates, 0),
        lib.target("misses (reminders never accepted)", misses, 0),
        lib.target("reminders not sent within the time limit", unsent, 0),
        {"name": "a worker was killed mid-run", "value": killed_at, "target": "killed", "met": killed_at is not None},
        lib.target("visits at the issue's scale", visits, FULL_SCALE, higher_is_better=True),
    ]
    race_lib.drop_database(url)
    lib.json_line("B5", figures, targets)


if __name__ == "__main__":
    main()
