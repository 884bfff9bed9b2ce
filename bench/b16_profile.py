"""Issue 16: the Python path per request — a search (``GET /api/v1/slots``), a booking (``POST /api/v1/appointments``),
"Moje wizyty" (``portal:visits``) and B4's other portal pages (the home page — the dashboard —, the search form
without and with a city chosen), each through the whole Django stack in-process (the test client: every
middleware, authentication by bearer token or session, the API's rendering), on the benchmark's data. Prints the
p50/p95 per request (wall time, and the process's CPU time: the Python part, which the machine's other load
moves much less), the database server's CPU per request (its backend's, a mean over the run: PostgreSQL on this
machine) and the SQL queries each costs; ``--profile DIR`` also writes a pyinstrument profile of each
kind (``DIR/<kind>.txt`` and ``.html``) to show where the milliseconds go.

    uv run python bench/b16_profile.py --database-url postgres://…/bench_quick [--quick] [--profile var/profile]

The searches are B1's "specialty + city, 7 days" shape for a patient with an enrolment (bench-b4-200, made by B4
when missing); the bookings are of fresh slots of a small bookable network of their own (``race_lib``) with
patients covered for it; the portal's pages are B4's patient with 200 past visits. ``--kinds home,my visits`` runs
only those requests.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path
from typing import Any

import lib

SEED = 16
#: Issue 16's targets, in-process on the benchmark's data (p95 ms): every rule still through the same services.
IN_PROCESS_TARGETS_MS = {"search": 4.0, "booking": 4.0, "my visits": 6.0}
KINDS = ("search", "booking", "my visits", "home", "search form", "search form city")


def main() -> None:
    args = lib.arguments(
        __doc__.splitlines()[0],
        extra=lambda parser: (
            parser.add_argument("--profile", default="", help="write pyinstrument profiles here"),
            parser.add_argument("--show-sql", action="store_true", help="print the statements of each request"),
            parser.add_argument(
                "--kinds", default="", help=f"only these requests, comma-separated (of: {', '.join(KINDS)})"
            ),
        ),
    )
    lib.django_setup(args.database_url)

    import b4_pages
    import race_lib
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    from carenet.api.auth import token_issue
    from carenet.core import clock
    from carenet.scheduling.models import Mode, Schedule, Slot

    translation.activate(settings.LANGUAGE_CODE)
    now = clock.now()
    today = clock.local(now).date()
    rng = random.Random(SEED)
    repeat = 40 if args.quick else 200

    # --- Search: B1's first shape, as a covered patient with a bearer token ----------------------------------------
    searcher = b4_pages.bench_patient(200)
    token, _record = token_issue(user=searcher, name="b16", now=now)
    in_person = list(
        Schedule.objects.filter(mode=Mode.IN_PERSON, valid_until__gte=today)
        .values_list("specialty__code", "facility__city_id")
        .distinct()
        .order_by("specialty__code", "facility__city_id")
    )
    searches = [
        f"/api/v1/slots?specialty={spec}&city_id={city}&date_from={today}&date_to={today + dt.timedelta(days=6)}"
        for spec, city in (rng.choice(in_person) for _ in range(repeat))
    ]

    chosen = [kind.strip() for kind in args.kinds.split(",")] if args.kinds else list(KINDS)
    if unknown := set(chosen) - set(KINDS):
        raise SystemExit(f"B16: unknown kinds {sorted(unknown)}; known: {', '.join(KINDS)}")

    # --- Booking: fresh slots of a network of its own, patients covered for it --------------------------------------
    bookers: list[Any] = []
    slot_ids: list[int] = []
    if "booking" in chosen:
        world, bookers = booking_world(today=today)
        schedules = world.schedule_ids.values()
        last = Slot.objects.filter(schedule_id__in=schedules).aggregate(last=Max("starts_at"))["last"]
        first_free_day = world_first_day(today)
        if last:
            first_free_day = max(first_free_day, clock.local(last).date() + dt.timedelta(days=1))
        slot_ids = race_lib.add_slots(world, race_lib.slot_grid(world, first_day=first_free_day, count=2 * repeat + 80))

    # --- The portal's pages: B4's patient with 200 past visits, logged in ------------------------------------------
    portal = Client()
    portal.force_login(searcher)
    visits = reverse("portal:visits")
    home = reverse("portal:home")
    search_form = reverse("portal:search")
    busiest = b4_pages.busiest_city()
    search_form_city = f"{search_form}?city={busiest}" if busiest is not None else search_form

    api = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    booking_slots = iter(slot_ids)

    def search(n: int) -> Any:
        return api.get(searches[n % len(searches)], **bearer)

    def book(n: int) -> Any:
        booker = bookers[n % len(bookers)]
        body = json.dumps({"slot_id": next(booking_slots)})
        return api.post(
            "/api/v1/appointments", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {booker.token}"
        )

    def page(path: str) -> Any:
        return lambda n: portal.get(path)

    kinds = {
        "search": (search, 200),
        "booking": (book, 201),
        "my visits": (page(visits), 200),
        "home": (page(home), 200),
        "search form": (page(search_form), 200),
        "search form city": (page(search_form_city), 200),
    }
    kinds = {kind: kinds[kind] for kind in chosen}
    rows = []
    figures: dict[str, Any] = {}
    for kind, (call, status) in kinds.items():
        for n in range(3):  # warm the caches and the connection
            response = call(n)
            if response.status_code != status:
                raise SystemExit(f"B16: {kind} answered {response.status_code}: {response.content[:300]!r}")
        captured: list[str] = []

        def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            captured.append(sql)  # noqa: B023 - used at once, inside this iteration
            return execute(sql, params, many, context)

        # Django's query log is reset when a request starts: the statements are counted by a wrapper instead.
        with connection.execute_wrapper(capture):
            call(3)
        if args.show_sql:
            print(f"--- {kind}: {len(captured)} statements", *(sql[:220] for sql in captured), sep="\n")
        samples, cpu = [], []
        database_began = lib.backend_cpu_seconds(connection)
        for n in range(4, 4 + repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            call(n)
            cpu.append((time.process_time() - began_cpu) * 1000)
            samples.append((time.perf_counter() - began) * 1000)
        database_ended = lib.backend_cpu_seconds(connection)
        database_ms = (
            round((database_ended - database_began) * 1000 / repeat, 2)
            if database_began is not None and database_ended is not None
            else None
        )
        if args.profile:
            profile(kind, call, Path(args.profile), start=4 + repeat, count=40)
        local, python = lib.percentiles(samples), lib.percentiles(cpu)
        rows.append([kind, len(captured), local["p50"], local["p95"], python["p50"], python["p95"], database_ms])
        figures[kind.replace(" ", "_")] = {
            "queries": len(captured),
            "in_process_ms": local,
            "python_cpu_ms": python,
            "database_cpu_ms_mean": database_ms,
        }
    lib.print_table(
        "B16 the Python path per request (in-process)",
        ["request", "SQL", "p50 ms", "p95 ms", "CPU p50 ms", "CPU p95 ms", "DB CPU ms"],
        rows,
    )
    targets = [
        lib.target(
            f"B16 {kind}: in-process p95 ms (issue 16)", figures[kind.replace(" ", "_")]["in_process_ms"]["p95"], limit
        )
        for kind, limit in IN_PROCESS_TARGETS_MS.items()
        if kind.replace(" ", "_") in figures
    ]
    pairs = [
        lib.pair(
            f"B16 {kind}: CPU p95 ms",
            values["python_cpu_ms"]["p95"],
            values["in_process_ms"]["p95"],
            "in-process wall p95 ms",
        )
        for kind, values in figures.items()
    ]
    lib.json_line("B16", figures, targets, pairs)


def world_first_day(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=2)


def booking_world(*, today: dt.date) -> tuple[Any, list[Any]]:
    """A small bookable network (``race_lib``, tag ``b16``) and 8 patients covered for it with fresh bearer tokens;
    made once and reused, with room for many runs' slots (each run books slots of the next free days)."""
    import race_lib

    from carenet.accounts.models import Patient
    from carenet.api.auth import token_issue
    from carenet.core import clock
    from carenet.coverage.models import Contract
    from carenet.scheduling.models import Schedule

    contract = Contract.objects.filter(code__startswith="b16", code__endswith="-contract").order_by("pk").first()
    if contract is None:
        world = race_lib.build_world(clinicians=4, first_day=world_first_day(today), days=365, tag="b16")
        race_lib.add_patients(world, 8, tag="b16", tokens=False)
        contract = Contract.objects.get(pk=world.contract_id)
    tag = contract.code.removesuffix("-contract")
    schedules = list(Schedule.objects.filter(specialty__code=f"{tag}-interna").order_by("clinician_id"))
    first = schedules[0]
    tier = contract.tiers.get()
    world = race_lib.World(
        city_id=first.facility.city_id,
        facility_id=first.facility_id,
        room_id=first.room_id,
        specialty_id=first.specialty_id,
        specialty_code=f"{tag}-interna",
        service_id=first.services.get().pk,
        tier_id=tier.pk,
        contract_id=contract.pk,
        clinician_ids=[s.clinician_id for s in schedules],
        schedule_ids={s.clinician_id: s.pk for s in schedules},
    )
    now = clock.now()
    patients = Patient.objects.filter(user__username__startswith=f"{tag}-p").select_related("user").order_by("pk")
    bookers = [race_lib.Client(p.pk, p.user_id, token_issue(user=p.user, name="b16", now=now)[0]) for p in patients]
    return world, bookers


def profile(kind: str, call: Any, folder: Path, *, start: int, count: int) -> None:
    """A pyinstrument profile of ``count`` more requests of ``kind`` (text and HTML)."""
    from pyinstrument import Profiler

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for n in range(start, start + count):
        call(n)
    profiler.stop()
    name = kind.replace(" ", "_")
    (folder / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
    (folder / f"{name}.html").write_text(profiler.output_html())


if __name__ == "__main__":
    main()
