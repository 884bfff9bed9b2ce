"""B7 Closure (NET-3, issue 15): a facility closed for a day with 2,000 booked visits inside, by the real service
(``closure_create``): in one transaction the closure, the slots taken, every visit cancelled, a notice per visit and
one SMS per patient in the outbox. The process is warm, as a server is (the URL configuration loaded).

Reported: seconds and visits per second, and beside them the database's own speed — the same set-based writes in
plain SQL over the same tables (lock the slots, mark them taken, cancel the visits, insert the notices and the
outbox rows, one statement each), timed in the same run and rolled back. Checked: every visit cancelled, one notice
per visit, one SMS per patient.

    uv run python bench/b7_closure.py --database-url postgres://… [--quick]

PostgreSQL only (as B5); works in a database ``carenet_b7`` of its own.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import b5_reminders
import lib
import race_lib

VISITS = 2_000
PATIENTS = 1_500
SLOTS_PER_CLINICIAN = b5_reminders.SLOTS_PER_CLINICIAN


def raw_closure_seconds(url: str, *, facility_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> float:
    """The closure's writes in plain SQL, one set-based statement each, in one transaction rolled back."""
    import psycopg

    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        with conn.transaction(force_rollback=True):
            closure_id = conn.execute(
                "INSERT INTO network_facilityclosure (facility_id, starts_at, ends_at, reason, created_at)"
                " VALUES (%s, %s, %s, 'raw', now()) RETURNING id",
                (facility_id, starts_at, ends_at),
            ).fetchone()[0]  # type: ignore[index]
            inside = "facility_id = %(f)s AND starts_at < %(e)s AND ends_at > %(s)s"
            params = {"f": facility_id, "s": starts_at, "e": ends_at, "c": closure_id}
            conn.execute(f"SELECT id FROM scheduling_slot WHERE {inside} ORDER BY id FOR NO KEY UPDATE", params)
            conn.execute(f"UPDATE scheduling_slot SET is_free = false WHERE {inside} AND is_free", params)
            conn.execute(
                "CREATE TEMP TABLE cancelled ON COMMIT DROP AS WITH done AS ("
                " UPDATE booking_appointment a SET status = 'cancelled', cancelled_at = now(),"
                " cancel_channel = 'closure' FROM scheduling_slot s WHERE a.slot_id = s.id AND a.status = 'booked'"
                " AND s.facility_id = %(f)s AND s.starts_at < %(e)s AND s.ends_at > %(s)s"
                " RETURNING a.id, a.patient_id) SELECT * FROM done",
                params,
            )
            conn.execute(
                "INSERT INTO closures_closurenotice (closure_id, appointment_id, patient_id, created_at, note)"
                " SELECT %(c)s, id, patient_id, now(), '' FROM cancelled",
                params,
            )
            conn.execute(
                "INSERT INTO messaging_outboundmessage (key, purpose, channel, recipient, subject, body, patient_id,"
                " status, attempts, next_attempt_at, provider, provider_message_id, last_error, created_at)"
                " SELECT 'raw:' || %(c)s || ':' || c.patient_id, 'closure', 'sms', p.mobile, '',"
                " 'CareNet: placówka zamknięta', c.patient_id, 'pending', 0, now(), '', '', '', now()"
                " FROM (SELECT DISTINCT patient_id FROM cancelled) c JOIN accounts_patient p ON p.id = c.patient_id",
                params,
            )
        return time.perf_counter() - began


def main() -> None:
    args = lib.arguments("B7 a closure of 2,000 booked visits")
    if race_lib.is_sqlite(args.database_url):
        raise SystemExit("B7 needs PostgreSQL (as B5)")
    visits = 500 if args.quick else VISITS
    url = race_lib.fresh_database(args.database_url, "carenet_b7")
    race_lib.migrate(url)
    race_lib.setup(url)
    from django.db import connection
    from django.utils import timezone

    from carenet.accounts.models import User
    from carenet.booking.models import Appointment
    from carenet.closures.models import ClosureNotice
    from carenet.closures.services import closure_create
    from carenet.core.clock import at_warsaw
    from carenet.messaging.models import OutboundMessage

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    world = race_lib.build_world(clinicians=-(-visits // SLOTS_PER_CLINICIAN), first_day=tomorrow, days=2, tag="b7")
    patients = race_lib.add_patients(world, min(visits, PATIENTS), tag="b7", tokens=False)
    b5_reminders.load_visits(url, world, patients, tomorrow, visits)
    coordinator = User.objects.create(username="b7-koordynator", role=User.Role.COORDINATOR, is_staff=True)
    starts_at, ends_at = at_warsaw(tomorrow, dt.time(0)), at_warsaw(tomorrow + dt.timedelta(days=1), dt.time(0))
    connection.close()

    # As in a running server: the URL configuration is loaded (the SMS link is reversed) and the coverage caches
    # warm; a cold process spent 3.4 s importing the URLconf inside the first closure.
    from django.urls import reverse

    reverse("portal:visits")
    raw = min(
        raw_closure_seconds(url, facility_id=world.facility_id, starts_at=starts_at, ends_at=ends_at) for _ in range(3)
    )
    began = time.perf_counter()
    done = closure_create(
        actor=coordinator, facility_id=world.facility_id, starts_at=starts_at, ends_at=ends_at, reason="Kwarantanna"
    )
    seconds = time.perf_counter() - began
    cancelled = Appointment.objects.filter(status=Appointment.Status.CANCELLED).count()
    notices = ClosureNotice.objects.count()
    messages = OutboundMessage.objects.filter(purpose="closure").count()
    figures = {
        "visits": visits,
        "patients": len(patients),
        "service_seconds": seconds,
        "service_visits_per_second": done.cancelled / seconds,
        "raw_sql_seconds": raw,
        "raw_sql_visits_per_second": visits / raw,
        "service_vs_raw": raw / seconds,
        "cancelled": cancelled,
        "notices": notices,
        "sms": messages,
    }
    lib.print_table(
        f"B7 closure of {visits:,} booked visits ({len(patients):,} patients), one transaction",
        ["how", "seconds", "visits/s", "vs raw SQL"],
        [
            ["closure_create (service)", seconds, done.cancelled / seconds, f"{100 * raw / seconds:.1f}%"],
            ["the same writes in plain SQL", raw, visits / raw, "100%"],
        ],
    )
    targets = [
        lib.target("closure of the visits, seconds", seconds, 10.0),
        lib.target("visits left booked inside", visits - cancelled, 0),
        lib.target("notices missing", visits - notices, 0),
        lib.target("SMS per patient beyond one", messages - len(patients), 0),
    ]
    pairs = [lib.pair("closure seconds", seconds, raw, "raw SQL seconds")]
    race_lib.drop_database(url)
    lib.json_line("B7", figures, targets, pairs)


if __name__ == "__main__":
    main()
