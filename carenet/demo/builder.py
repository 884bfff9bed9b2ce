"""Builds the whole demo network in one transaction, deterministically: the same seed, the same "today" and an
empty database give the same rows."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db import transaction

from carenet.accounts.models import Patient, User
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.demo import (
    catalogue,
    clinical,
    closures,
    collection,
    complaints,
    consultations,
    feedback,
    files,
    network,
    packages,
    people,
    pregnancy,
    profile,
    results,
    scale,
    timetable,
)
from carenet.demo.sql import mark_taken_slots
from carenet.insights import services as insights_services
from carenet.network.models import Clinician, Facility
from carenet.scheduling.models import Schedule, Slot


@dataclass(frozen=True)
class Sizes:
    cities: int = 16
    own_facilities: int = 40
    partners: int = 120
    clinicians: int = 600
    patients: int = 5000
    weeks: int = 8  # schedules ahead
    history_weeks: int = 4  # past schedules with completed / no-show / cancelled visits
    specialties: int | None = None  # cap on the specialties used (None: every bookable one)


DEFAULT = Sizes()
SMALL = Sizes(cities=12, own_facilities=6, partners=14, clinicians=60, patients=300, weeks=2, history_weeks=1)


@dataclass
class Report:
    seconds: float = 0.0
    catalogue: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    appointments: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    steps: list[tuple[str, float]] = field(default_factory=list)
    scale: scale.ScaleResult | None = None


def database_is_empty() -> dict[str, int]:
    """What the demo would collide with: counts of the tables it fills (empty dict when there is nothing)."""
    counts = {
        "facilities": Facility.objects.count(),
        "clinicians": Clinician.objects.count(),
        "patients": Patient.objects.count(),
        "users": User.objects.count(),
        "schedules": Schedule.objects.count(),
    }
    return {name: count for name, count in counts.items() if count}


def build(
    *,
    seed: int = 2026,
    sizes: Sizes = DEFAULT,
    today: dt.date | None = None,
    scale_slots: int = 0,
    scale_days: int = 90,
    scale_booked: float = 0.1,
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Build the demo. With ``scale_slots`` the schedules are the scaled benchmark ones and their slots are written
    set-based (see :mod:`carenet.demo.scale`); otherwise the realistic weekly timetable with bookings."""
    started = time.perf_counter()
    report = Report()
    rng = random.Random(seed)
    today = today or clock.today()
    # "Now" is fixed to the start of the Warsaw day, so that a rerun on the same day writes the same rows.
    now = dt.datetime.combine(today, dt.time(0), tzinfo=clock.WARSAW).astimezone(dt.UTC)
    last = time.perf_counter()

    def step(name: str) -> None:
        nonlocal last
        moment = time.perf_counter()
        report.steps.append((name, moment - last))
        progress(f"  {name}: {moment - last:.1f} s")
        last = moment

    with transaction.atomic():
        report.catalogue = catalogue.ensure_catalogue()
        clinical.ensure_drug_catalogue()  # a reset flushed the one its migration loaded
        if scale_slots and sizes.specialties:
            catalogue.ensure_specialties(sizes.specialties)
        step(f"catalogue ({report.catalogue})")
        net = network.build_network(
            rng,
            cities=sizes.cities,
            own_facilities=sizes.own_facilities,
            partners=sizes.partners,
            clinicians=sizes.clinicians,
            specialty_limit=sizes.specialties,
        )
        step("network")
        contracts, tiers = people.build_contracts(rng, today, net.partners)
        persons = people.build_patients(rng, today, sizes.patients, contracts, tiers)
        people.build_enrolments(rng, persons)
        step("patients and enrolments")
        demo_clinician = next(
            (
                c
                for c in net.clinicians
                if c.kind == Clinician.Kind.DOCTOR
                and net.clinician_specialties[c.pk][0].code in catalogue.GENERAL_PRACTICE
            ),
            net.clinicians[0] if net.clinicians else None,
        )
        cast = people.build_users(
            rng,
            today,
            now,
            persons,
            net.own,
            net.clinicians,
            demo_clinician,
            tiers,
            partner=next(iter(net.partners), None),
        )
        report.logins = cast.logins
        step("accounts")
        if scale_slots:
            first_day, last_day = today, today + dt.timedelta(days=scale_days - 1)
            schedules = scale.create_scale_schedules(rng, net, first_day, last_day, scale_slots)
            step("scaled schedules")
            loading = time.perf_counter()
            with scale.bulk_load(progress):
                written, _seconds = scale.write_scale_slots(schedules, first_day, last_day, progress)
                booked = scale.write_scale_bookings(cast, scale_booked, now)
                mark_taken_slots()
            # The time includes booking and rebuilding the indexes: rows per second are those of a usable table.
            seconds = time.perf_counter() - loading
            report.scale = scale.ScaleResult(written, booked, seconds)
            report.appointments = {"booked": booked}
            step(f"scaled slots ({written:,} rows, {written / max(seconds, 1e-9):,.0f} rows/s) and bookings")
        else:
            valid_from = today - dt.timedelta(days=7 * sizes.history_weeks)
            valid_until = today + dt.timedelta(days=7 * sizes.weeks - 1)
            plans = clinical.demo_clinician_plans(timetable.plan_schedules(rng, net), net, demo_clinician)
            schedules = timetable.create_schedules(plans, net, valid_from, valid_until, rng)
            slots = timetable.write_slots(schedules, net)
            step(f"schedules and slots ({len(slots):,})")
            report.appointments = timetable.write_appointments(rng, slots, cast, net, now)
            mark_taken_slots()
            step("appointments")
            named_visits = clinical.named_patients_visits(
                cast, demo_clinician, now, history_days=7 * sizes.history_weeks
            )
            filled = clinical.fill_demo_day(rng, cast, demo_clinician, now)
            step(f"the demo clinician's day ({filled} more visits today)")
            documents = clinical.issue_named_documents(named_visits)
            documents["partner"] = clinical.partner_documentation(named_visits, now)
            documents["used referrals"] = clinical.book_with_referral(now)
            documents |= clinical.renewals_and_questions(named_visits, now)
            documents |= collection.demo_authorisations(now)
            step("clinical documents (" + ", ".join(f"{k} {v}" for k, v in documents.items()) + ")")
            step(results.send_demo_results(cast, demo_clinician, now))
            step(f"patients' files ({files.patient_files(now)})")
            step(consultations.demo_consultations(now))
            step(feedback.demo_feedback(rng, now))
            step(complaints.demo_complaints(now))
            step(profile.demo_contact_data(now))
            step(closures.demo_closures(now))
            step(pregnancy.demo_pregnancy(now))
            step(packages.demo_packages(now))
            people.record_demo_reads(cast, now)
            step("reads of patients' data")
        step(f"daily figures of the dashboard ({insights_services.roll_up_due(now=now):,} rows)")
    report.counts = {
        "cities": len(net.cities),
        "own facilities": len(net.own),
        "partner facilities": len(net.partners),
        "specialties in use": len({s[0].pk for s in net.clinician_specialties.values()}),
        "clinicians": len(net.clinicians),
        "patients": len(persons),
        "contracts": len(contracts),
        "schedules": Schedule.objects.count(),
        "slots": Slot.objects.count(),
        "appointments": Appointment.objects.count(),
    }
    report.seconds = time.perf_counter() - started
    return report


def sizes_for_scale(target_slots: int, base: Sizes, **overrides: int | None) -> Sizes:
    """Network sizes for ``--scale-slots``: about one clinician per 1,000 slots (600 to 20,000), about seven
    clinicians per centre, nineteen centres per city (at most 150 cities), 60 specialties; explicit options win.
    At 20 million slots: 20,000 clinicians, 2,880 own centres + 120 partners = 3,000 facilities, 150 cities."""
    clinicians = min(max(target_slots // 1000, 600), 20_000)
    own = max(40, clinicians * 144 // 1000)
    chosen = replace(
        base,
        clinicians=clinicians,
        own_facilities=own,
        cities=min(150, max(16, own // 19)),
        specialties=60,
    )
    return replace(chosen, **{key: value for key, value in overrides.items() if value is not None})
