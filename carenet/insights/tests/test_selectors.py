"""The dashboard's figures (BEY-4) against a hand-built history whose answers can be counted by hand; the same on
SQLite and PostgreSQL; each figure one query however long the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.booking.models import Appointment
from carenet.complaints.models import Claim, Complaint
from carenet.insights import policies, selectors
from carenet.insights.selectors import Filters
from carenet.insights.tests.factories import NOW, PERIOD, TODAY, FiguresWorld, build_figures_world
from carenet.pregnancy.models import PregnancyRequest
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db

S = Appointment.Status


def _at(day: int, hour: int = 9, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture
def world() -> FiguresWorld:
    w = build_figures_world()
    # Free slots ahead (waiting now): Warsaw cardiology in 3 days (and 5), Kraków in 1.5, by phone in 1; Warsaw
    # dermatology has only a taken slot ahead. A free slot in the past does not count.
    w.slot("cardio-waw", NOW + dt.timedelta(days=3))
    w.slot("cardio-waw", NOW + dt.timedelta(days=5))
    w.slot("cardio-waw", NOW - dt.timedelta(days=1))
    w.slot("cardio-waw", NOW + dt.timedelta(days=1), free=False)
    w.slot("cardio-krk", NOW + dt.timedelta(days=1, hours=12))
    w.slot("cardio-phone", NOW + dt.timedelta(days=1))
    # The visits: (line, visit, status, booked at, cancelled through).
    w.v1 = w.visit("cardio-waw", _at(2), status=S.COMPLETED, booked_at=_at(20, month=2))  # type: ignore[attr-defined]
    w.visit("cardio-waw", _at(3), status=S.NO_SHOW, booked_at=_at(1))
    w.v3 = w.visit("cardio-waw", _at(4), status=S.COMPLETED, booked_at=_at(2))  # type: ignore[attr-defined]
    w.visit("cardio-waw", _at(5), status=S.CANCELLED, booked_at=_at(1), cancel_channel="portal")
    w.visit("cardio-waw", _at(12), booked_at=_at(6))
    w.visit("cardio-waw", _at(9), status=S.EXPIRED, booked_at=_at(8))
    w.visit("derma-waw", _at(6), status=S.NO_SHOW, booked_at=_at(5))
    w.visit("derma-waw", _at(7), status=S.CANCELLED, booked_at=_at(5), cancel_channel="sms")
    w.visit("derma-waw", NOW + dt.timedelta(days=2), booked_at=NOW - dt.timedelta(days=1))
    w.visit("cardio-krk", _at(10, 15), booked_at=_at(10, 3))
    old = w.visit("cardio-krk", _at(20, month=2), status=S.COMPLETED, booked_at=_at(1, month=2))
    # An on-demand consultation's slot (no schedule) is never offered: not in utilisation.
    line = w.lines["cardio-waw"]
    Slot.objects.create(
        clinician=line.clinician, specialty=line.specialty, mode=Mode.VIDEO, starts_at=_at(8), ends_at=_at(8, 10),
        is_free=False,
    )  # fmt: skip
    w.rate(w.v1, 5, _at(2, 12))  # type: ignore[attr-defined]
    w.rate(w.v3, 3, _at(4, 12))  # type: ignore[attr-defined]
    w.rate(old, 1, _at(21, 12, month=2))  # before the period
    return w


def _filters(**kwargs: int) -> Filters:
    return Filters(period=PERIOD, **kwargs)


def test_waiting_now_is_the_earliest_free_slot_per_specialty_and_city_longest_first(world: FiguresWorld) -> None:
    rows = selectors.waiting_now(filters=_filters(), now=NOW)
    assert [(r.specialty.name, r.city, r.days) for r in rows] == [
        ("Dermatologia", "Warszawa", None),  # no free slot ahead: the longest wait of all
        ("Kardiologia", "Warszawa", 3.0),
        ("Kardiologia", "Kraków", 1.5),
        ("Kardiologia", None, 1.0),  # by phone or video, nationwide
    ]
    assert rows[1].first_free == NOW + dt.timedelta(days=3)
    krakow = selectors.waiting_now(filters=_filters(city_id=world.krakow.pk), now=NOW)
    assert [(r.city, r.days) for r in krakow] == [("Kraków", 1.5), (None, 1.0)]
    mokotow = selectors.waiting_now(filters=_filters(facility_id=world.mokotow.pk), now=NOW)
    assert [(r.specialty.name, r.days) for r in mokotow] == [("Dermatologia", None), ("Kardiologia", 3.0)]
    derma = selectors.waiting_now(filters=_filters(specialty_id=world.dermatology.pk), now=NOW)
    assert [(r.specialty.name_en, r.city) for r in derma] == [("Dermatology", "Warszawa")]


def test_waiting_of_bookings_is_the_average_from_booking_to_visit_of_bookings_made_in_the_period(
    world: FiguresWorld,
) -> None:
    rows = selectors.waiting_booked(filters=_filters())
    # Warsaw cardiology: 2, 2, 4 (cancelled later: still a booking) and 6 days; the expired hold and the booking of
    # 20 February are left out. Dermatology: 1, 2, 3. Kraków: 0.5.
    assert [(r.specialty.name, r.city, r.bookings, r.average_days) for r in rows] == [
        ("Kardiologia", "Warszawa", 4, 3.5),
        ("Dermatologia", "Warszawa", 3, 2.0),
        ("Kardiologia", "Kraków", 1, 0.5),
    ]
    assert [r.city for r in selectors.waiting_booked(filters=_filters(city_id=world.krakow.pk))] == ["Kraków"]


def test_no_shows_among_the_visits_that_should_have_happened(world: FiguresWorld) -> None:
    rows = selectors.no_shows(filters=_filters(), now=NOW)
    # Dermatology: 1 of 1 (the cancelled one was not due). Cardiology: 1 of 3 (completed, no-show, completed; the
    # cancelled and the expired are not due, Kraków's visit is later today).
    assert [(r.specialty.name, r.due, r.no_shows, r.rate) for r in rows] == [
        ("Dermatologia", 1, 1, 100.0),
        ("Kardiologia", 3, 1, 33.3),
    ]


def test_utilisation_is_booked_among_offered_slots_of_the_period(world: FiguresWorld) -> None:
    rows = selectors.utilisation(filters=_filters())
    # Cardiology: 7 slots in the period (3 visits, a cancelled and an expired one, a past free slot; Kraków's visit
    # tonight) of which 4 are taken; the on-demand slot is not offered. Dermatology: 1 of 2.
    assert [(r.specialty.name, r.offered, r.booked, r.rate) for r in rows] == [
        ("Kardiologia", 7, 4, 57.1),
        ("Dermatologia", 2, 1, 50.0),
    ]
    warsaw = selectors.utilisation(filters=_filters(city_id=world.warsaw.pk, specialty_id=world.cardiology.pk))
    assert [(r.offered, r.booked) for r in warsaw] == [(6, 3)]


def test_cancellations_by_channel(world: FiguresWorld) -> None:
    summary = selectors.cancellations(filters=_filters())
    assert (summary.bookings, summary.cancelled, summary.rate) == (7, 2, 28.6)
    assert [(r.channel, r.cancelled, r.rate) for r in summary.by_channel] == [("portal", 1, 14.3), ("sms", 1, 14.3)]
    derma = selectors.cancellations(filters=_filters(specialty_id=world.dermatology.pk))
    assert (derma.bookings, derma.cancelled, derma.rate) == (2, 1, 50.0)


def test_ratings_of_the_period(world: FiguresWorld) -> None:
    summary = selectors.ratings(filters=_filters())
    assert (summary.count, summary.average) == (2, 4.0)
    assert [(r.specialty.name, r.count, r.average) for r in summary.by_specialty] == [("Kardiologia", 2, 4.0)]
    empty = selectors.ratings(filters=_filters(specialty_id=world.dermatology.pk))
    assert (empty.count, empty.average, empty.by_specialty) == (0, None, [])


def _cases(world: FiguresWorld) -> None:
    patient, staff = world.patient, world.staff
    assert patient is not None and staff is not None

    def complaint(number: str, status: str, facility: object, due: dt.date, filed: dt.datetime) -> None:
        answered = status == Complaint.Status.ANSWERED
        Complaint.objects.create(
            case_number=number, patient=patient, subject="Długie czekanie", text="…", facility=facility,
            channel="portal", filed_by=staff, filed_at=filed, answer_due_on=due, status=status,
            answer="Odpowiedź" if answered else "", answered_at=filed if answered else None,
        )  # fmt: skip

    complaint("R/1", Complaint.Status.RECEIVED, world.mokotow, dt.date(2026, 3, 5), _at(20, month=2))
    complaint("R/2", Complaint.Status.IN_PROGRESS, world.kazimierz, dt.date(2026, 3, 30), _at(2))
    complaint("R/3", Complaint.Status.ANSWERED, world.mokotow, dt.date(2026, 3, 30), _at(3))
    first = PregnancyRequest.objects.create(
        patient=patient, name="Anna Nowak", phone="+48501000000", wanted_city=world.warsaw, mode="in_person",
        channel="portal", filed_by=staff,
    )  # fmt: skip
    second = PregnancyRequest.objects.create(
        patient=patient, name="Anna Nowak", phone="+48501000000", wanted_city=world.krakow, mode="telemedicine",
        channel="portal", filed_by=staff, status="declined", reason="Brak terminów", resolved_at=_at(11, month=2),
    )  # fmt: skip
    PregnancyRequest.objects.filter(pk=first.pk).update(created_at=_at(2))
    PregnancyRequest.objects.filter(pk=second.pk).update(created_at=_at(10, month=2))
    Claim.objects.create(
        case_number="K/1", patient=patient, subject="Zwrot", description="…", channel="portal", filed_by=staff,
        filed_at=_at(3),
    )  # fmt: skip
    Claim.objects.create(
        case_number="K/2", patient=patient, subject="Zwrot", description="…", channel="portal", filed_by=staff,
        filed_at=_at(1, month=2), status="accepted", decision="Uznane", decided_at=_at(5, month=2),
    )  # fmt: skip


def test_open_cases(world: FiguresWorld) -> None:
    _cases(world)
    cases = selectors.open_cases(filters=_filters(), today=TODAY)
    assert (cases.complaints_open, cases.complaints_overdue, cases.complaints_filed) == (2, 1, 2)
    assert (cases.pregnancy_open, cases.pregnancy_oldest, cases.pregnancy_filed) == (1, _at(2), 1)
    assert (cases.claims_waiting, cases.claims_oldest, cases.claims_filed) == (1, _at(3), 1)
    warsaw = selectors.open_cases(filters=_filters(city_id=world.warsaw.pk), today=TODAY)
    assert (warsaw.complaints_open, warsaw.complaints_overdue, warsaw.complaints_filed) == (1, 1, 1)
    assert (warsaw.pregnancy_open, warsaw.claims_waiting) == (1, 1)
    krakow = selectors.open_cases(filters=_filters(city_id=world.krakow.pk), today=TODAY)
    assert (krakow.complaints_open, krakow.complaints_overdue, krakow.pregnancy_open) == (1, 0, 0)


def _all_figures(filters: Filters) -> None:
    selectors.waiting_now(filters=filters, now=NOW)
    selectors.waiting_booked(filters=filters)
    selectors.no_shows(filters=filters, now=NOW)
    selectors.utilisation(filters=filters)
    selectors.cancellations(filters=filters)
    selectors.ratings(filters=filters)
    selectors.open_cases(filters=filters, today=TODAY)


def _grow(world: FiguresWorld, visits: int, first: int = 0) -> None:
    for n in range(first, first + visits):
        line = ("cardio-waw", "derma-waw", "cardio-krk")[n % 3]
        status = (S.COMPLETED, S.NO_SHOW, S.CANCELLED, S.BOOKED)[n % 4]
        appointment = world.visit(line, _at(1, 6) + dt.timedelta(minutes=5 * n), status=status, cancel_channel="")
        if status == S.COMPLETED:
            world.rate(appointment, 1 + n % 5, _at(5))


def test_each_figure_is_one_query_however_long_the_history(world: FiguresWorld) -> None:
    _cases(world)
    _grow(world, 10)
    with CaptureQueriesContext(connection) as small:
        _all_figures(_filters())
    _grow(world, 90, first=10)
    with CaptureQueriesContext(connection) as large:
        _all_figures(_filters())
    # Six figures of one query each, five of them after a look at the days the roll-up holds, waiting now after a look
    # for a fresh count of it; open cases three.
    assert len(small) == len(large) == 15


def test_periods_and_rates() -> None:
    assert policies.preset_period(7, today=TODAY) == policies.Period(dt.date(2026, 3, 4), TODAY)
    assert policies.Period(dt.date(2026, 3, 29), dt.date(2026, 3, 29)).bounds() == (
        dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC),  # Warsaw's midnight before the clocks go forward (CET)
        dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC),  # and the next one (CEST)
    )
    assert policies.period_problem(dt.date(2026, 3, 2), dt.date(2026, 3, 1), today=TODAY) == "order"
    assert policies.period_problem(dt.date(2024, 1, 1), dt.date(2026, 3, 1), today=TODAY) == "too_long"
    assert policies.period_problem(dt.date(9999, 1, 1), dt.date(9999, 1, 2), today=TODAY) == "out_of_range"
    assert policies.period_problem(dt.date(2026, 1, 1), dt.date(2026, 6, 30), today=TODAY) is None
    assert (policies.rate(1, 3), policies.rate(0, 0)) == (33.3, None)
