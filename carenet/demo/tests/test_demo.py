"""The demo command: valid identifiers, a consistent network, the default sizes, the set-based scale path."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from io import StringIO
from typing import Any

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from stdnum.pl import pesel as stdnum_pesel

from carenet.accounts.models import IdentityConfirmation, Patient, PatientRead, User
from carenet.booking.models import Appointment
from carenet.core.dates import latest_birth_date_of_age
from carenet.coverage.models import Enrolment, RosterEntry, Tier
from carenet.demo import identity
from carenet.network.models import City, Clinician, Facility, FacilityPrice, Language, Service, Specialty
from carenet.scheduling import policies
from carenet.scheduling.models import Schedule, Slot
from carenet.scheduling.selectors import schedule_recurrence

TODAY = dt.date(2026, 3, 16)  # four weeks of history and the spring DST switch inside the demo's period


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    """The demo runs with CARENET_DEBUG on (pytest-django turns DEBUG off)."""
    settings.DEBUG = True


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


# --- identifiers (no database) --------------------------------------------------------------------------------------


def test_generated_pesels_are_valid_for_every_century_and_sex() -> None:
    rng = random.Random(7)
    used: set[str] = set()
    for year in (1805, 1899, 1900, 1950, 1999, 2000, 2024, 2099, 2100, 2250):
        for sex in "FM":
            born = dt.date(year, rng.randrange(1, 13), rng.randrange(1, 29))
            number = identity.unique_pesel(rng, born, sex, used)
            stdnum_pesel.validate(number)
            assert stdnum_pesel.get_birth_date(number) == born
            assert stdnum_pesel.get_gender(number) == sex


def test_mobiles_and_ecard_numbers_are_valid() -> None:
    rng = random.Random(3)
    mobiles: set[str] = set()
    cards: set[str] = set()
    for _ in range(300):
        parsed = phonenumbers.parse(identity.mobile(rng, mobiles))
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        card = identity.ecard_number(rng, cards)
        assert len(card) == 10 and identity.luhn_valid(card)
    assert len(mobiles) == len(cards) == 300
    assert not identity.luhn_valid("1234567890")


# --- the command on the test database -------------------------------------------------------------------------------


def assert_consistent(today: dt.date) -> None:
    """Rules every demo must satisfy, whatever its size."""
    for patient in Patient.objects.only("pesel", "birth_date", "sex", "mobile"):
        stdnum_pesel.validate(patient.pesel)
        assert stdnum_pesel.get_birth_date(patient.pesel) == patient.birth_date
        assert stdnum_pesel.get_gender(patient.pesel) == patient.sex
        if patient.mobile:
            parsed = phonenumbers.parse(patient.mobile)
            assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
    # Children are linked to a guardian enrolled under the same contract.
    # (A person may be enrolled under two contracts: the demo's roster upload enrols one who changes employer.)
    contracts_of: dict[int, set[int]] = defaultdict(set)
    for patient_id, contract_id in Enrolment.objects.values_list("patient_id", "contract_id"):
        contracts_of[patient_id].add(contract_id)
    children = Patient.objects.filter(birth_date__gt=latest_birth_date_of_age(18, today))
    assert children.exists()
    for child in children:
        assert child.guardian_id is not None
        assert contracts_of[child.pk] & contracts_of[child.guardian_id]
    # Every patient has an enrolment, every enrolment its roster entry, and every roster entry of a person with a
    # patient record its enrolment; the roster also names people who have not got one yet (PKG-8: the employer's
    # upload). E-Karta numbers are unique and check-digited.
    assert not Patient.objects.filter(enrolments__isnull=True).exists()
    assert not Enrolment.objects.filter(roster_entry__isnull=True).exists()
    known = RosterEntry.objects.filter(pesel__in=Patient.objects.values("pesel"))
    assert known.count() == Enrolment.objects.count() >= Patient.objects.count()
    assert not known.filter(enrolment__isnull=True).exists()
    assert all(identity.luhn_valid(n) for n in Enrolment.objects.values_list("ecard_number", flat=True))
    assert set(Enrolment.objects.values_list("tier__rank", flat=True)) == set(
        Tier.objects.values_list("rank", flat=True)
    )
    assert Enrolment.objects.filter(paid_through__lt=today).exists()
    assert Enrolment.objects.filter(activated_on__gt=today).exists()
    # No two schedules of one clinician, or of one room, overlap (SCH-1).
    by_owner: dict[tuple[str, int], list[Schedule]] = defaultdict(list)
    for schedule in Schedule.objects.all():
        by_owner[("clinician", schedule.clinician_id)].append(schedule)
        if schedule.room_id:
            by_owner[("room", schedule.room_id)].append(schedule)
    for group in by_owner.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                assert not policies.schedules_overlap(schedule_recurrence(a), schedule_recurrence(b)), (a, b)
    # Slots are those the policy produces for their schedule, DST and holidays included.
    schedule = Schedule.objects.filter(mode="in_person").order_by("id").first()
    assert schedule is not None
    holidays = policies.polish_public_holidays(schedule.valid_from, schedule.valid_until)
    expected = list(policies.slot_intervals(schedule_recurrence(schedule), holidays=holidays))
    assert list(schedule.slots.order_by("starts_at").values_list("starts_at", "ends_at")) == expected
    # Free and taken slots ahead, history behind; at most one active booking per slot (the constraint holds).
    start_of_today = dt.datetime.combine(today, dt.time(0), tzinfo=policies.WARSAW)
    future = Slot.objects.filter(starts_at__gte=start_of_today)
    taken = future.filter(appointments__status="booked")
    assert taken.exists() and future.exclude(appointments__status="booked").exists()
    assert Appointment.objects.filter(status="completed", slot__starts_at__lt=start_of_today).exists()
    assert not Appointment.objects.filter(status="booked", slot__starts_at__lt=start_of_today).exists()


def assert_logins_work() -> None:
    request = RequestFactory().get("/")
    for username, password in [
        ("admin", "demo-admin-2026"),
        ("koordynator", "demo-koordynator-2026"),
        ("infolinia", "demo-infolinia-2026"),
        ("recepcja1", "demo-recepcja-2026"),
        ("lekarz", "demo-lekarz-2026"),
        ("partner", "demo-partner-2026"),
        ("pacjent1", "demo-pacjent-2026"),
        ("pacjent2", "demo-pacjent-2026"),
    ]:
        assert authenticate(request, username=username, password=password) is not None, username
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="recepcja1").facility is not None
    assert Clinician.objects.get(user__username="lekarz").schedules.exists()
    assert Patient.objects.get(user__username="pacjent1").account_level == 1
    level_two = Patient.objects.get(user__username="pacjent2")
    assert level_two.account_level == 2
    assert IdentityConfirmation.objects.filter(patient=level_two).exists()
    # "Kto oglądał moje dane" shows the reads a week leaves behind (issue 10), by the staff who would make them.
    readers = set(PatientRead.objects.filter(patient=level_two).values_list("reader__username", flat=True))
    assert readers == {"infolinia", "recepcja1"}


@pytest.mark.django_db
def test_small_demo_is_consistent_deterministic_and_refuses_a_full_database() -> None:
    output = run("--small", "--today", TODAY.isoformat())
    assert "pacjent1" in output and "demo-admin-2026" in output and "Demo ready in" in output
    assert City.objects.count() == 12
    assert Facility.objects.filter(kind="own").count() == 6
    assert Facility.objects.filter(kind="partner").count() == 14
    assert Patient.objects.count() == 300
    assert_consistent(TODAY)
    assert_logins_work()
    # BEY-5: what a reader sees of the catalogue has its English name too
    assert not Language.objects.filter(name_en="").exists()
    assert not Tier.objects.filter(name_en="").exists()
    assert not Specialty.objects.filter(name_en="").exists() and not Service.objects.filter(name_en="").exists()
    assert not Facility.objects.exclude(scope="").filter(scope_en="").exists()
    assert not Service.objects.exclude(preparation="").filter(preparation_en="").exists()

    with pytest.raises(CommandError, match="--reset"):
        run("--small", "--today", TODAY.isoformat())

    def fingerprint() -> tuple[object, ...]:
        return (
            list(Patient.objects.order_by("pesel").values_list("pesel", "first_name", "last_name", "mobile")),
            list(
                Slot.objects.order_by("clinician__licence_number", "starts_at").values_list("starts_at", "mode")[:500]
            ),
            Slot.objects.count(),
            sorted(Appointment.objects.values_list("status", "slot__starts_at", "patient__pesel")),
            list(FacilityPrice.objects.order_by("facility__code", "service__code").values_list("price", flat=True)),
        )

    first = fingerprint()
    run("--small", "--reset", "--today", TODAY.isoformat())
    assert fingerprint() == first


@pytest.mark.django_db
def test_scale_path_writes_slots_set_based_and_dst_correct() -> None:
    # 23 March – 5 April 2026 crosses the spring DST switch (29 March) and Easter Monday (6 April is outside).
    output = run("--small", "--today", "2026-03-23", "--scale-slots", "4000", "--days", "14", "--clinicians", "40")
    assert "rows/s" in output
    slots = Slot.objects.count()
    assert 4000 <= slots <= 4000 + 40 * 10
    for schedule in Schedule.objects.order_by("id")[:5]:
        expected = list(policies.slot_intervals(schedule_recurrence(schedule), holidays=frozenset()))
        got = list(schedule.slots.order_by("starts_at").values_list("starts_at", "ends_at"))
        assert got == expected
        assert got[0][0].astimezone(policies.WARSAW).time() == dt.time(8)
        assert got[-1][0].astimezone(policies.WARSAW).date() == dt.date(2026, 4, 3)
        assert got[-1][0].utcoffset() == dt.timedelta(0)
    booked = Appointment.objects.filter(status="booked")
    assert booked.exists()
    assert booked.count() == booked.values("slot").distinct().count()


@pytest.mark.slow
@pytest.mark.django_db
def test_default_demo_meets_the_minimums() -> None:
    output = run("--today", TODAY.isoformat())
    assert City.objects.count() >= 12
    assert Facility.objects.filter(kind="own").count() == 40
    assert set(Facility.objects.filter(kind="own").values_list("brand", flat=True)) == {"centre", "family"}
    assert Facility.objects.filter(kind="partner").count() == 120
    assert Facility.objects.filter(kind="partner", offers_telemedicine=True).exists()
    assert Clinician.objects.count() == 600
    assert Specialty.objects.filter(clinicians__isnull=False).distinct().count() >= 40
    assert set(Clinician.objects.values_list("kind", flat=True)) >= {"doctor", "nurse", "physiotherapist"}
    assert Clinician.objects.filter(title__in=[Clinician.Title.DR_HAB, Clinician.Title.PROF]).exists()
    assert Patient.objects.count() == 5000
    assert Tier.objects.filter(enrolments__isnull=False).distinct().count() == 5
    assert FacilityPrice.objects.exists()
    assert_consistent(TODAY)
    assert_logins_work()
    horizon = dt.datetime.combine(TODAY + dt.timedelta(days=56), dt.time(0), tzinfo=dt.UTC)
    assert Slot.objects.filter(starts_at__gte=horizon - dt.timedelta(days=3)).exists()
    assert "Demo ready in" in output


@pytest.mark.django_db
def test_demo_slots_taken_by_active_appointments_are_not_free() -> None:
    """BKG-2 / SCH-2: the search's free flag agrees with the appointments the demo wrote — and NET-3: the demo's
    closure took the future slots inside it (not free, nobody's: the clinic is closed)."""
    from django.db.models import Exists

    from carenet.closures.models import ClosureNotice
    from carenet.network.selectors import closures_of_slot
    from carenet.scheduling.models import Slot

    call_command("seed_demo", "--small", stdout=StringIO())
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES)
    assert active.exists()
    assert not Slot.objects.filter(is_free=True, pk__in=active.values("slot_id")).exists()
    assert Slot.objects.filter(is_free=True).exclude(pk__in=active.values("slot_id")).exists()
    closed = Slot.objects.filter(Exists(closures_of_slot()))
    moved = ClosureNotice.objects.values("appointment__slot_id")
    assert closed.filter(pk__in=moved).exists() and not closed.filter(pk__in=moved, is_free=True).exists()
    outside = Slot.objects.exclude(Exists(closures_of_slot()))
    assert not outside.filter(is_free=False).exclude(pk__in=active.values("slot_id")).exists()


@pytest.mark.django_db
def test_production_refuses_the_demo_and_never_creates_the_demo_admin(settings: Any) -> None:
    """With CARENET_DEBUG off, `seed_demo --reset` flushes nothing and no run creates the demo accounts."""
    settings.DEBUG = False
    kept = User.objects.create_user(username="real.person", password="a-real-password-of-a-real-person")

    with pytest.raises(CommandError, match="CARENET_DEBUG is off"):
        run("--small", "--reset", "--today", TODAY.isoformat())
    assert list(User.objects.values_list("username", flat=True)) == [kept.username]

    kept.delete()
    for args in (("--small",), ("--small", "--if-empty"), ("--small", "--reset")):
        with pytest.raises(CommandError, match="CARENET_DEBUG is off"):
            run(*args, "--today", TODAY.isoformat())
    assert not User.objects.exists()
    assert not User.objects.filter(username="admin").exists() and not City.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("today", [TODAY, dt.date(2026, 3, 22)], ids=["monday", "sunday"])
def test_the_demo_clinicians_day_is_full_whatever_the_weekday(today: dt.date) -> None:
    """Issue 11: the ``lekarz`` login's day list is full today (in person and phone consultations), with named
    patients on it, and the named patients have completed visits with them in the last weeks."""
    run("--small", "--today", today.isoformat())
    clinician = Clinician.objects.get(user__username="lekarz")
    start = dt.datetime.combine(today, dt.time(0), tzinfo=policies.WARSAW)
    todays = Slot.objects.filter(clinician=clinician, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
    # The in-person and phone blocks are full; the evening's video hour (issue 13) has one visit booked at most.
    todays = todays.filter(mode__in=["in_person", "phone"])
    booked = Appointment.objects.filter(slot__in=todays, status=Appointment.Status.BOOKED)
    assert todays.count() >= 20
    assert booked.count() >= 0.8 * todays.count()
    assert set(booked.values_list("slot__mode", flat=True)) == {"in_person", "phone"}
    assert booked.filter(patient__user__username="pacjent2").exists()
    # Booked visits only: the on-demand online consultations of the demo (no schedule) are their own history.
    completed = Appointment.objects.filter(
        slot__clinician=clinician, slot__schedule__isnull=False, status=Appointment.Status.COMPLETED
    )
    assert completed.filter(patient__user__username="pacjent2").count() == 2
    assert completed.filter(patient__user__username="rodzic").exists()


@pytest.mark.django_db
def test_the_demo_patients_have_documents_from_their_visits() -> None:
    """Issue 11: the named patients' completed visits carry referrals, e-prescriptions (with the SMS code),
    recommendations and sick leave; one referral is used by a booked visit; one recommendation is a partner's — also
    after ``--reset`` flushed the drug catalogue its migration loaded."""
    from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, SickLeave

    run("--small", "--reset", "--today", TODAY.isoformat())
    assert Drug.objects.count() >= 300
    pacjent2 = Patient.objects.get(user__username="pacjent2")
    lekarz = Clinician.objects.get(user__username="lekarz")
    mine = Prescription.objects.filter(patient=pacjent2, issued_by=lekarz)
    assert mine.count() >= 2
    assert all(len(p.access_code) == 4 and p.appointment_id for p in mine)
    assert Referral.objects.filter(patient=pacjent2, issued_by=lekarz, used_by__isnull=True).exists()
    assert SickLeave.objects.filter(patient=pacjent2, issued_by=lekarz).exists()
    assert Recommendation.objects.filter(patient=pacjent2, facility__kind="partner").exists()
    assert Referral.objects.filter(
        patient__user__username__in=("rodzic", "pacjent2"), used_by__status="booked"
    ).exists()
    assert Prescription.objects.filter(patient__guardian__user__username="rodzic").exists()
    # CLN-2, CLN-4: a renewal waits in the clinician's queue and one was issued; a question waits, one is answered.
    from carenet.questions.models import Question
    from carenet.renewals.models import RenewalRequest

    assert RenewalRequest.objects.filter(patient=pacjent2, status="pending", clinician=lekarz).exists()
    assert RenewalRequest.objects.filter(status="issued", prescription__isnull=False).exists()
    assert Question.objects.filter(patient=pacjent2, status="open").exists()
    assert Question.objects.filter(status="answered", answered_by=lekarz).exists()
