"""B6, the peer's half: django-appointment (its own virtual environment, var/.bench-peer) on CareNet's data shape.

Run by bench/b6_peer.py as ``var/.bench-peer/bin/python bench/peer/peer_bench.py --database-url URL …``; prints one
JSON line. Measures, through django-appointment's own functions (those its views call):

- availability of one staff member on one day: ``get_available_slots_for_staff`` (what ``get_available_slots_ajax``
  calls), with day-off and working-day checks as the view does;
- a 10-staff × 5-day search: the same for 10 staff members over 5 days (the package has no multi-staff search);
- the one-slot race: N threads submit the same staff member, date and time as its booking does
  (``AppointmentRequestForm`` → ``form.save()``, then ``Appointment.objects.create`` as
  ``create_and_save_appointment`` does); the double bookings are the appointments beyond one on that slot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan}
    return {
        name: round(ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1], 3)
        for name, q in (("p50", 50), ("p95", 95), ("p99", 99))
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--race-clients", type=int, default=200)
    parser.add_argument("--race-rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["PEER_DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    import django

    django.setup()
    from appointment.forms import AppointmentRequestForm
    from appointment.models import Appointment, AppointmentRequest, Service, StaffMember, WorkingHours
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import check_day_off_for_staff, get_weekday_num_from_date, is_working_day
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    # The package ships no migrations: its tables come from the models (after auth's, which they reference).
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    service = Service.objects.create(name="Konsultacja", duration=dt.timedelta(minutes=30), price=0)
    users = User.objects.bulk_create(
        [User(username=f"staff{n:04d}", first_name="Jan", last_name=f"Lekarz{n:04d}") for n in range(args.staff)]
    )
    staff = StaffMember.objects.bulk_create(
        [
            StaffMember(
                user=user,
                slot_duration=30,
                lead_time=dt.time(8),
                finish_time=dt.time(16),
                work_on_saturday=True,
                work_on_sunday=True,
            )
            for user in users
        ]
    )
    StaffMember.services_offered.through.objects.bulk_create(
        [StaffMember.services_offered.through(staffmember_id=s.pk, service_id=service.pk) for s in staff]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(staff_member=s, day_of_week=day, start_time=dt.time(8), end_time=dt.time(16))
            for s in staff
            for day in range(7)
        ]
    )
    # A quarter of the slots booked, as in CareNet's half: every 4th slot of each staff member's day.
    first_day = timezone.localdate() + dt.timedelta(days=2)
    requests: list[Any] = []
    for s in staff:
        for day in range(args.days):
            date = first_day + dt.timedelta(days=day)
            for step in range(0, 16, 4):
                start = dt.time(8 + step // 2, 30 * (step % 2))
                end = (dt.datetime.combine(date, start) + dt.timedelta(minutes=30)).time()
                requests.append(
                    AppointmentRequest(
                        date=date,
                        start_time=start,
                        end_time=end,
                        service=service,
                        staff_member=s,
                        id_request=f"r{len(requests)}",
                    )
                )
    requests = AppointmentRequest.objects.bulk_create(requests, batch_size=5000)
    Appointment.objects.bulk_create(
        [Appointment(appointment_request=r, amount_to_pay=0, id_request=r.id_request) for r in requests],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - began

    def availability(member: StaffMember, date: dt.date) -> list[dt.datetime]:
        if check_day_off_for_staff(staff_member=member, date=date):
            return []
        weekday = get_weekday_num_from_date(date)
        if not is_working_day(staff_member=member, day=weekday):
            return []
        return list(get_available_slots_for_staff(date, member, weekday, service=service))

    rng = random.Random(6)
    for _ in range(10):  # warm-up
        availability(rng.choice(staff), first_day)
    one_day: list[float] = []
    free_counts: list[int] = []
    for _ in range(args.samples):
        member, date = rng.choice(staff), first_day + dt.timedelta(days=rng.randrange(args.days))
        t = time.perf_counter()
        free_counts.append(len(availability(member, date)))
        one_day.append((time.perf_counter() - t) * 1000)
    search: list[float] = []
    for _ in range(args.searches):
        members = rng.sample(staff, 10)
        first = first_day + dt.timedelta(days=rng.randrange(args.days - 5))
        t = time.perf_counter()
        found = sum(len(availability(m, first + dt.timedelta(days=d))) for m in members for d in range(5))
        search.append((time.perf_counter() - t) * 1000)
    connection.close()

    # The one-slot race: a free slot (08:30 is never pre-booked) of a different staff member each round.
    race: list[dict[str, float]] = []
    for round_number in range(args.race_rounds):
        member = staff[round_number]
        date = first_day + dt.timedelta(days=1)
        clients = User.objects.bulk_create(
            [
                User(username=f"client{round_number}-{n}", email=f"c{round_number}-{n}@example.com")
                for n in range(args.race_clients)
            ]
        )
        barrier = threading.Barrier(args.race_clients + 1)
        outcomes: list[str] = []

        def book(
            client: User,
            member: StaffMember = member,
            date: dt.date = date,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                form = AppointmentRequestForm(
                    data={
                        "date": date.isoformat(),
                        "start_time": "08:30",
                        "end_time": "09:00",
                        "service": service.pk,
                        "staff_member": member.pk,
                    }
                )
                if not form.is_valid():
                    outcomes.append("refused")
                    return
                request = form.save()
                Appointment.objects.create(client=client, appointment_request=request, phone="+48500100200")
                outcomes.append("booked")
            except Exception as error:  # noqa: BLE001 - counted
                outcomes.append(f"error {type(error).__name__}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=book, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        barrier.wait()
        t = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - t
        booked = Appointment.objects.filter(
            appointment_request__staff_member=member,
            appointment_request__date=date,
            appointment_request__start_time=dt.time(8, 30),
        ).count()
        race.append(
            {
                "clients": args.race_clients,
                "booked": booked,
                "double_bookings": max(0, booked - 1),
                "attempts_per_s": round(args.race_clients / seconds, 1),
                "refused": outcomes.count("refused"),
                "errors": sum(1 for o in outcomes if o.startswith("error")),
            }
        )
    print(
        json.dumps(
            {
                "package": "django-appointment",
                "setup_seconds": round(setup_seconds, 1),
                "staff": args.staff,
                "days": args.days,
                "booked_share": 0.25,
                "one_day_ms": percentiles(one_day),
                "one_day_free_slots_mean": round(sum(free_counts) / len(free_counts), 1),
                "search_10x5_ms": percentiles(search),
                "search_10x5_free_slots_last": found,
                "race": race,
                "race_double_bookings": sum(r["double_bookings"] for r in race),
            }
        )
    )


if __name__ == "__main__":
    main()
