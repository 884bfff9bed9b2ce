"""Build the CareNet demo network: a deterministic, realistic Polish network with patients, schedules and bookings.

    uv run manage.py seed_demo                      # the default demo (16 cities, 40 + 120 facilities, 600
                                                    # clinicians, 5,000 patients, 4 weeks back and 8 weeks ahead)
    uv run manage.py seed_demo --reset              # flush the database first (everything: it is a demo database)
    uv run manage.py seed_demo --small              # a small network for tests and quick looks
    uv run manage.py seed_demo --scale-slots 20000000 --clinicians 20000 --facilities 3000 --cities 150
                                                    # the benchmark network: slots written set-based in SQL

Demo passwords are fixed and printed at the end (see ``carenet.demo.people.PASSWORDS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from carenet.demo import builder


class Command(BaseCommand):
    help = "Build the deterministic CareNet demo network (cities, facilities, clinicians, patients, schedules)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Pretend today is YYYY-MM-DD.")
        parser.add_argument("--reset", action="store_true", help="Flush the whole database first.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when the demo is already built."
        )
        parser.add_argument("--small", action="store_true", help="A small network (tests, quick looks).")
        parser.add_argument("--cities", type=int)
        parser.add_argument("--facilities", type=int, help="Own medical centres (default 40).")
        parser.add_argument("--partners", type=int, help="Partner facilities (default 120).")
        parser.add_argument("--clinicians", type=int)
        parser.add_argument("--patients", type=int)
        parser.add_argument("--specialties", type=int, help="Use at most this many specialties.")
        parser.add_argument("--weeks", type=int, help="Weeks of schedules ahead (default 8).")
        parser.add_argument(
            "--scale-slots",
            type=int,
            default=0,
            help="Benchmark mode: write about this many slots set-based in SQL (e.g. 20000000).",
        )
        parser.add_argument("--days", type=int, default=90, help="Benchmark mode: days of slots (default 90).")
        parser.add_argument(
            "--booked", type=float, default=0.1, help="Benchmark mode: share of slots booked (default 0.1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # A production database is never flushed, and never gets the demo accounts with their published
            # passwords (the demo administrator among them).
            raise CommandError("seed_demo is for the demo and development only (CARENET_DEBUG is off).")
        if options["reset"]:
            self.stdout.write("Flushing the database…")
            if connection.vendor == "postgresql" and connection.in_atomic_block:
                # Inside an outer transaction (tests), TRUNCATE needs the pending deferred checks run first.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            call_command("flush", interactive=False, verbosity=0)
        else:
            existing = builder.database_is_empty()
            if existing and options["if_empty"]:
                self.stdout.write("The demo is already built; keeping it (`seed_demo --reset` builds it anew).")
                return
            if existing:
                listed = ", ".join(f"{count} {name}" for name, count in existing.items())
                raise CommandError(
                    f"The database is not empty ({listed}). The demo builds on an empty database: run "
                    "`manage.py seed_demo --reset` to flush it first (this deletes everything in it)."
                )
        base = builder.SMALL if options["small"] else builder.DEFAULT
        overrides = {
            "cities": options["cities"],
            "own_facilities": options["facilities"],
            "partners": options["partners"],
            "clinicians": options["clinicians"],
            "patients": options["patients"],
            "specialties": options["specialties"],
            "weeks": options["weeks"],
        }
        if options["scale_slots"]:
            sizes = builder.sizes_for_scale(options["scale_slots"], base, **overrides)
        else:
            sizes = builder.replace(base, **{k: v for k, v in overrides.items() if v is not None})
        self.stdout.write(f"Building the CareNet demo on {connection.vendor} (seed {options['seed']}): {sizes}")
        report = builder.build(
            seed=options["seed"],
            sizes=sizes,
            today=options["today"],
            scale_slots=options["scale_slots"],
            scale_days=options["days"],
            scale_booked=options["booked"],
            progress=self.stdout.write,
        )
        self.stdout.write("")
        for name, count in report.counts.items():
            self.stdout.write(f"  {name:<20} {count:>12,}")
        if report.appointments:
            self.stdout.write(
                "  appointments by status: " + ", ".join(f"{k} {v:,}" for k, v in report.appointments.items())
            )
        if report.scale is not None:
            self.stdout.write(
                f"  scaled slots: {report.scale.slots:,} rows in {report.scale.seconds:.1f} s "
                f"= {report.scale.rows_per_second:,.0f} rows/s"
            )
        self.stdout.write("")
        self.stdout.write("Demo logins (demo data only):")
        width = max(len(login) for _, login, _, _ in report.logins)
        for role, login, password, who in report.logins:
            self.stdout.write(f"  {role:<19} {login:<{width}}  {password:<22} {who}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {report.seconds:.1f} s."))
