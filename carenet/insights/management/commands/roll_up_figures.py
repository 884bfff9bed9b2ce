from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carenet.core import clock
from carenet.insights import services


class Command(BaseCommand):
    help = (
        "Roll up the coordinators' dashboard figures (BEY-4) of whole past days: --from/--to a range of days, "
        "otherwise what the periodic task rolls (yesterday, the re-rolled days, any day never rolled); --today: "
        "today's figures so far (what the task roll-up-figures-today does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", type=dt.date.fromisoformat, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", type=dt.date.fromisoformat, help="last day (default: yesterday)")
        parser.add_argument("--today", action="store_true", help="today's figures so far")

    def handle(self, *args: Any, first: dt.date | None, last: dt.date | None, today: bool, **options: Any) -> None:
        now = clock.now()
        if today:
            rows = services.roll_up_today(now=now)
        elif first is None and last is None:
            rows = services.roll_up_due(now=now)
        else:
            last = last or clock.today() - dt.timedelta(days=1)
            try:
                rows = services.roll_up(first or last, last, now=now)
            except services.RollUpError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(f"{rows} rows of daily figures written")
