"""B8 Coordinators' dashboard (BEY-4): the whole dashboard — every figure's query (waiting time to the first free slot
per specialty × city, the waiting time of the period's bookings, no-shows, utilisation, cancellations, ratings, open
cases: 9 queries) — computed in-process on the scale data, beside the same statements replayed with psycopg (the
database's own speed for them; the ratio is what Django and the selectors add).

    uv run python bench/b8_dashboard.py --database-url URL [--quick] [--time-limit SECONDS]

Three shapes: the page as it opens (the whole network, the last 30 days — the scale data has no past visits,
but every booking was made at the load, so the waiting time of bookings reads them all), the whole network over a
period that covers the scale data (from a week back to 30 days ahead: about a third of all slots), and one city and
specialty over that period. The size is whatever the database holds (``bench/run`` loads 20 million slots;
``seed_demo --reset --scale-slots N`` any other size). ``--plans`` prints the plans of the long network-wide shape
(EXPLAIN ANALYZE, BUFFERS).

The figures of whole past days are read from the daily roll-up (``carenet.insights.models.DailyFigures``, at the
coarsest grain the filters allow: network, city or facility), today's from its roll-up of a few minutes ago (the task
``roll-up-figures-today``), the days ahead live. The scale data begins on the day it was loaded (every booking made
that day, every visit from then on), so ``--as-of-day N`` (default 30) measures the dashboard as the network would see
it N days later: the days before are rolled up first (timed, with the periodic re-roll of the last days, and today so
far), then the shapes are read as of that day; ``--as-of-day 0`` reads it on the day of the load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import lib

#: Whole-dashboard targets (p95, in-process): the page as it opens, and a city + specialty over the long period.
OPENING_TARGET_MS = 500.0
NARROW_TARGET_MS = 250.0


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plans", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the long network-wide shape"
    )
    parser.add_argument("--live", action="store_true", help="compute every day live (no roll-up: the reference)")
    parser.add_argument(
        "--as-of-day",
        type=int,
        default=30,
        help="read the dashboard N days after the load (the days before rolled up; 0: on the day of the load)",
    )


def main() -> None:
    args = lib.arguments(__doc__.splitlines()[0], _options)
    limit = lib.deadline(args.time_limit - 5)
    lib.django_setup(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from carenet.core import clock
    from carenet.insights import policies, selectors, services
    from carenet.insights.selectors import Filters
    from carenet.scheduling.models import Slot

    now = clock.now() + dt.timedelta(days=args.as_of_day)
    today = clock.today() + dt.timedelta(days=args.as_of_day)
    rollup: dict[str, Any] = {}
    rollup_on = not args.live
    if args.as_of_day > 0:
        began = time.perf_counter()
        rows = services.roll_up(clock.today(), today - dt.timedelta(days=1), now=now)
        rollup["days_rolled"] = args.as_of_day
        rollup["roll_up_s"] = round(time.perf_counter() - began, 2)
        rollup["rows"] = rows
        began = time.perf_counter()
        # What the hourly task does: re-roll the last days (nothing missing) and count the days ahead as they stand.
        services.roll_up_due(now=now)
        rollup["hourly_reroll_days"] = settings.CARENET_INSIGHTS_REROLL_DAYS
        rollup["hourly_ahead_days"] = settings.CARENET_INSIGHTS_AHEAD_DAYS
        rollup["hourly_task_s"] = round(time.perf_counter() - began, 2)
    if rollup_on:
        began = time.perf_counter()  # what the task roll-up-figures-today does every few minutes
        rollup["today_rows"] = services.roll_up_today(now=now)
        rollup["today_s"] = round(time.perf_counter() - began, 2)
    if rollup:
        print(f"roll-up as of {today}: {rollup}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'scheduling_slot'")
        slots = int(cursor.fetchone()[0])
    busiest = (
        Slot.objects.filter(city__isnull=False)
        .values("city_id", "specialty_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
        if slots < 3_000_000
        else None
    )
    if busiest is None:  # at 20 million a GROUP BY over every slot is itself a benchmark: take any schedule's pair
        from carenet.scheduling.models import Schedule

        schedule = Schedule.objects.filter(facility__isnull=False).select_related("facility").order_by("pk").first()
        assert schedule is not None and schedule.facility is not None, "no scale data"
        busiest = {"city_id": schedule.facility.city_id, "specialty_id": schedule.specialty_id}
    covering = policies.Period(today - dt.timedelta(days=6), today + dt.timedelta(days=30))
    shapes = {
        "network, last 30 days (the page as it opens)": Filters(period=policies.preset_period(30, today=today)),
        "network, -7 … +30 days": Filters(period=covering),
        "one city + specialty, -7 … +30 days": Filters(
            period=covering, city_id=busiest["city_id"], specialty_id=busiest["specialty_id"]
        ),
    }

    def dashboard(filters: Filters) -> dict[str, int]:
        sizes = {
            "waiting now": len(selectors.waiting_now(filters=filters, now=now)),
            "waiting of bookings": len(selectors.waiting_booked(filters=filters, now=now, rollup=rollup_on)),
            "no-shows": len(selectors.no_shows(filters=filters, now=now, rollup=rollup_on)),
            "utilisation": len(selectors.utilisation(filters=filters, now=now, rollup=rollup_on)),
            "cancellations": len(selectors.cancellations(filters=filters, now=now, rollup=rollup_on).by_channel),
            "ratings": len(selectors.ratings(filters=filters, now=now, rollup=rollup_on).by_specialty),
        }
        selectors.open_cases(filters=filters, today=today)
        return sizes

    repeat = 3 if args.quick else 7
    rows = []
    figures: dict[str, Any] = {"slots": slots, "as_of_day": args.as_of_day, "live": args.live, "roll_up": rollup}
    targets = []
    pairs = []
    for index, (name, filters) in enumerate(shapes.items()):
        statements: list[tuple[str, Any]] = []

        def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append((sql, params))  # noqa: B023 - used at once, inside this iteration
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            sizes = dashboard(filters)  # warm-up, and the statements for the reference
        samples: list[float] = []
        stop = time.monotonic() + limit.left() / (2 * (len(shapes) - index))
        while len(samples) < repeat and (len(samples) < 2 or time.monotonic() < stop):
            began = time.perf_counter()
            dashboard(filters)
            samples.append((time.perf_counter() - began) * 1000)
        raw = raw_replay(args.database_url, statements, min(3, len(samples)))
        ours, reference = lib.percentiles(samples), lib.percentiles(raw)
        rows.append([name, len(statements), ours["p50"], ours["p95"], reference["p50"], reference["p95"], str(sizes)])
        key = "".join(c if c.isalnum() else "_" for c in name.split(" (")[0]).strip("_")
        figures[key] = {"queries": len(statements), "p50_ms": ours["p50"], "p95_ms": ours["p95"],
                        "raw_p50_ms": reference["p50"], "raw_p95_ms": reference["p95"], "rows": sizes}  # fmt: skip
        pairs.append(lib.pair(f"dashboard p50, {name}", ours["p50"], reference["p50"], "raw SQL p50"))
        if index == 0:
            targets.append(lib.target(f"dashboard p95, {name} (ms)", ours["p95"], OPENING_TARGET_MS))
        if index == 2:
            targets.append(lib.target(f"dashboard p95, {name} (ms)", ours["p95"], NARROW_TARGET_MS))
        if index == 1 and args.plans:
            show_plans(args.database_url, statements)
    lib.print_table(
        f"B8 coordinators' dashboard, {slots:,} slots, as of {today}{', all live' if args.live else ''} "
        "(7 figures, whole dashboard per run, in-process)",
        ["shape", "queries", "p50 ms", "p95 ms", "raw SQL p50", "raw SQL p95", "rows per figure"],
        rows,
    )
    lib.json_line("B8", figures, targets, pairs)


def raw_replay(database_url: str, statements: list[tuple[str, Any]], repeat: int) -> list[float]:
    """The dashboard's SELECTs replayed with psycopg ``repeat`` times: milliseconds per whole dashboard."""
    conn = lib.pg_connect(database_url)
    try:
        totals = [0.0] * repeat
        for sql, params in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            # No warm-up of its own: the in-process runs just read the same pages into the cache.
            for index, ms in enumerate(lib.raw_sql_timings(conn, sql, [params] * repeat, warmup=0)):
                totals[index] += ms
        return totals
    finally:
        conn.close()


def show_plans(database_url: str, statements: list[tuple[str, Any]]) -> None:
    """The plan of each statement of the long network-wide period (where the time goes)."""
    conn = lib.pg_connect(database_url)
    try:
        for sql, params in statements:
            plan = lib.explain(conn, sql, params)
            first = sql.split("FROM", 1)[1][:60].strip() if "FROM" in sql else sql[:60]
            print(f"\n-- plan: FROM {first} …\n{plan}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
