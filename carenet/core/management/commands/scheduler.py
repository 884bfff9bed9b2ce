"""``manage.py scheduler``: enqueue CareNet's periodic jobs, each run exactly once (see ``carenet.core.periodic``).

Run one (or, for availability, more) next to the task workers (``manage.py db_worker``). ``--once`` enqueues what
is due now and exits (cron style).
"""

from __future__ import annotations

import datetime as dt
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from carenet.core import clock, periodic

PRUNE_EVERY_SECONDS = 3600.0
KEEP_RUNS = dt.timedelta(days=2)


class Command(BaseCommand):
    help = "Enqueue periodic jobs (idempotently: a run is enqueued once however many schedulers run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now, then exit.")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks (default 1).")

    def handle(self, *args: Any, once: bool, tick: float, verbosity: int, **options: Any) -> None:
        self.running = True
        if once:
            self._tick(verbosity)
            return
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if verbosity >= 1:
            names = ", ".join(f"{job.name} (every {job.every_seconds} s)" for job in periodic.jobs())
            self.stdout.write(f"scheduler: {names or 'no jobs registered'}")
        last_prune = 0.0
        while self.running:
            close_old_connections()
            self._tick(verbosity)
            if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                periodic.prune_runs(before=clock.now() - KEEP_RUNS)
                last_prune = time.monotonic()
            # Sleep to the next whole tick so that buckets are hit near their start.
            time.sleep(tick - (time.time() % tick))

    def _tick(self, verbosity: int) -> None:
        enqueued = periodic.enqueue_due(now=clock.now())
        if enqueued and verbosity >= 2:
            self.stdout.write(f"scheduler: enqueued {', '.join(enqueued)}")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
