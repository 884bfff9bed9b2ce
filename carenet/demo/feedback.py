"""Feedback in the demo (FBK-1, SMS-1): ratings of visits over the last weeks with comments, ratings of the network,
the survey's invitations of the last two weeks (the daily sample, run as the scheduler would have), and a visit of
pacjent2 two days ago that is still to rate ("Oceń wizytę" on the dashboard, "Moje wizyty" and the visit page).

The ratings are written directly (a demo of the past, as the timetable writes past visits); the invitations go
through :func:`carenet.feedback.services.survey_invite_sample`, so they are the sample the rules would have chosen.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Exists, OuterRef

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment, Channel
from carenet.core import clock
from carenet.feedback.models import NetworkRating, VisitRating
from carenet.feedback.services import survey_invite_sample
from carenet.network.models import Service
from carenet.scheduling.models import Mode, Slot

#: How many of the completed visits of the last weeks were rated, and the scores patients give (most are content).
RATED_SHARE = 0.3
SCORES = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
#: What patients write, by score (Polish: the patients' own words).
COMMENTS = {
    5: (
        "Pani doktor wszystko spokojnie wyjaśniła, dziękuję.",
        "Bardzo rzeczowa wizyta, bez czekania.",
        "Miła rejestracja i punktualnie.",
        "Lekarz poświęcił mi tyle czasu, ile było trzeba.",
    ),
    4: ("Dobrze, tylko trudno było zaparkować.", "Wizyta w porządku, recepta od razu w telefonie."),
    3: ("Czekałam 20 minut po czasie.", "Lekarz kompetentny, ale mało rozmowny."),
    2: ("Długo czekałem w poczekalni, nikt nie poinformował o opóźnieniu.",),
    1: ("Wizyta trwała pięć minut, nic mi nie wyjaśniono.",),
}
NETWORK_COMMENTS = (
    (5, "Wygodne zapisy przez portal, wszystko w jednym miejscu."),
    (4, "Dobra sieć placówek, ale infolinia czasem długo nie odbiera."),
    (3, "Mało wolnych terminów do dermatologa."),
    (5, ""),
    (4, "Przydałoby się przypomnienie dzień wcześniej także e-mailem."),
)


def demo_feedback(rng: random.Random, now: dt.datetime, *, weeks: int = 6) -> str:
    """Builds the demo's feedback; returns a line for the builder's progress."""
    rated = _visit_ratings(rng, now, weeks=weeks)
    network = _network_ratings(rng, now)
    invited = _invitations(now)
    to_rate = _visit_to_rate(now)
    return f"feedback ({rated} visit ratings, {network} ratings of the network, {invited} invitations, {to_rate})"


def _visit_ratings(rng: random.Random, now: dt.datetime, *, weeks: int) -> int:
    """A share of the completed visits of the last ``weeks`` weeks rated within a few days of each (not today's,
    not those still in their 7 days for the named patients, who rate them themselves in the demo)."""
    since = now - dt.timedelta(weeks=weeks)
    visits = list(
        Appointment.objects.filter(
            status=Appointment.Status.COMPLETED,
            slot__ends_at__gte=since,
            slot__ends_at__lt=now - dt.timedelta(days=1),
            consultation__isnull=True,
        )
        .exclude(patient__user__username__in=("pacjent1", "pacjent2", "rodzic"))
        .order_by("pk")
        .values_list("pk", "patient_id", "slot__ends_at")
    )
    rows = []
    for pk, patient_id, ends_at in visits:
        if rng.random() >= RATED_SHARE:
            continue
        score = rng.choice(SCORES)
        comment = rng.choice(COMMENTS[score]) if rng.random() < 0.4 else ""
        rated_at = min(ends_at + dt.timedelta(hours=rng.randint(1, 96)), now)
        rows.append((VisitRating(appointment_id=pk, patient_id=patient_id, score=score, comment=comment), rated_at))
    created = VisitRating.objects.bulk_create([row for row, _at in rows], batch_size=1000)
    # created_at is set on insert; the demo's ratings were given after their visits.
    for rating, (_row, rated_at) in zip(created, rows, strict=True):
        rating.created_at = rated_at
    VisitRating.objects.bulk_update(created, ["created_at"], batch_size=1000)
    return len(created)


def _network_ratings(rng: random.Random, now: dt.datetime) -> int:
    patients = list(
        Patient.objects.filter(user__isnull=False)
        .exclude(user__username__in=("pacjent1", "pacjent2", "rodzic"))
        .order_by("pk")
        .values_list("pk", flat=True)[:40]
    )
    rows = []
    for index, patient_id in enumerate(patients[: len(NETWORK_COMMENTS) * 3]):
        score, comment = NETWORK_COMMENTS[index % len(NETWORK_COMMENTS)]
        rating = NetworkRating.objects.create(patient_id=patient_id, score=score, comment=comment)
        rating.created_at = now - dt.timedelta(days=rng.randint(1, 28), hours=rng.randint(0, 12))
        rows.append(rating)
    NetworkRating.objects.bulk_update(rows, ["created_at"])
    return len(rows)


def _invitations(now: dt.datetime) -> int:
    """The daily sample of the last 14 days, each run the morning after its day, oldest first."""
    today = clock.local(now).date()
    invited = 0
    for back in range(14, 0, -1):
        day = today - dt.timedelta(days=back)
        moment = min(clock.at_warsaw(day + dt.timedelta(days=1), dt.time(10, 30)), now)
        invited += survey_invite_sample(day=day, now=moment).invited
    return invited


def _visit_to_rate(now: dt.datetime) -> str:
    """pacjent2's in-person visit two days ago (completed, not rated): "Oceń wizytę" shows for five more days."""
    patient = Patient.objects.filter(user__username="pacjent2").first()
    if patient is None:
        return "no visit to rate"
    if VisitRating.objects.filter(patient=patient).exists():
        return "pacjent2's visit already rated"
    busy = Appointment.objects.filter(slot=OuterRef("pk"), status__in=Appointment.ACTIVE_STATUSES)
    enrolment = patient.enrolments.order_by("-paid_through").first()
    today = clock.local(now).date()
    for back in range(2, 6):  # a weekend or a holiday has no slots: the working day before
        start = clock.at_warsaw(today - dt.timedelta(days=back), dt.time(9))
        slot = (
            Slot.objects.filter(
                mode=Mode.IN_PERSON,
                facility__isnull=False,
                schedule__isnull=False,
                starts_at__gte=start,
                starts_at__lt=start + dt.timedelta(hours=8),
            )
            .exclude(Exists(busy))
            .order_by("starts_at", "pk")
            .first()
        )
        if slot is None:
            continue
        service_id = Service.objects.filter(schedules=slot.schedule_id).values_list("id", flat=True).first()
        if service_id is None:
            continue
        Appointment.objects.create(
            patient=patient,
            slot=slot,
            service_id=service_id,
            enrolment=enrolment,
            status=Appointment.Status.COMPLETED,
            channel=Channel.PORTAL,
            booked_by=patient.user,
            checked_in_at=slot.starts_at - dt.timedelta(minutes=10),
            outcome_recorded_at=slot.ends_at,
        )
        Slot.objects.filter(pk=slot.pk).update(is_free=False)
        return f"pacjent2's visit of {clock.local(slot.starts_at):%d.%m} to rate"
    return "no free slot for pacjent2's visit to rate"
