"""Online consultations in the demo (TEL-2, TEL-3, FBK-1, SCH-3): the four on-demand lines, a clinician with a login
on duty for each of them around the clock (``lekarz`` for internal/family medicine, ``pediatra``, ``pielegniarka``
and ``polozna``), a history of ended consultations with their chats, outcomes, documents and survey answers, and a
booked video visit of ``pacjent2`` with ``lekarz``.

Everything goes through the services the doors use — start, take next, chat, end, survey, book — with ``now`` in
the past for the history, so the rows are exactly what a real consultation leaves behind.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password

from carenet.accounts.models import Patient, User
from carenet.booking import services as booking
from carenet.consultations import chat, services
from carenet.consultations.models import Consultation, Duty, Line
from carenet.core import clock
from carenet.demo.people import PASSWORDS
from carenet.demo.totp import totp_devices_for_demo_staff
from carenet.encounters import services as encounters
from carenet.network.models import Clinician, Service, Specialty
from carenet.scheduling import services as scheduling
from carenet.scheduling.models import Mode, Slot

#: code, Polish name, English name, specialty code, service code, min age, below age, typical minutes, login
LINES = (
    ("interna", "Internista / lekarz rodzinny", "Internal / family medicine", "internal-medicine",
     "online-internal-medicine", 18, None, 12, "lekarz"),
    ("pediatria", "Pediatra", "Paediatrics", "paediatrics", "online-paediatrics", None, 18, 12, "pediatra"),
    ("pielegniarka-pediatryczna", "Pielęgniarka pediatryczna", "Paediatric nursing", "paediatric-nursing",
     "online-paediatric-nursing", None, 18, 10, "pielegniarka"),
    ("polozna", "Położna", "Midwifery", "midwifery", "online-midwifery", None, None, 15, "polozna"),
)  # fmt: skip
#: The demo's duties run around the clock from this many days back to this many days ahead.
DUTY_DAYS_BACK = 35
DUTY_DAYS_AHEAD = 56
#: Booked video consultations of the demo clinician: every day, 20:00–21:00 (after the phone block).
VIDEO_HOURS = (dt.time(20, 0), dt.time(21, 0))

# (days ago, hour, line, mode, chat [(side, text)], outcome, note, recommendation, survey (rating, resolved, comment))
HISTORY = (
    (24, 18, "interna", "chat", [
        ("patient", "Dzień dobry, od trzech dni mam katar i ból gardła, temperatura do 37,8."),
        ("clinician", "Dzień dobry. Czy jest kaszel albo duszność? Czy przyjmuje Pan jakieś leki na stałe?"),
        ("patient", "Lekki kaszel, bez duszności. Na stałe nic."),
        ("clinician", "To wygląda na infekcję wirusową. Proszę dużo pić, paracetamol przy gorączce, odpoczynek. "
                      "Jeśli gorączka utrzyma się ponad 3 dni albo pojawi się duszność — proszę o wizytę."),
        ("patient", "Dziękuję bardzo."),
    ], "advice", "Infekcja wirusowa górnych dróg oddechowych, leczenie objawowe.", None,
     (5, "yes", "Szybko i konkretnie.")),
    (9, 19, "interna", "video", [
        ("patient", "Dzień dobry, wysyłałem zdjęcie zmiany na skórze przedramienia."),
        ("clinician", "Widzę je, dziękuję. Zmiana jest nieregularna — zalecam konsultację dermatologiczną w placówce."),
        ("clinician", "Wystawiam zalecenie wizyty u dermatologa, znajdzie je Pan w zakładce Leczenie."),
    ], "in_person", "Nieregularne znamię przedramienia — do oceny dermatoskopowej.",
     "Konsultacja dermatologiczna z dermatoskopią znamienia przedramienia w ciągu 2 tygodni.",
     (4, "partly", "Wolałbym od razu termin u dermatologa.")),
)  # fmt: skip
CHILD_HISTORY = (
    (3, 17, "pediatria", "chat", [
        ("patient", "Dzień dobry, syn ma od wczoraj wysypkę na plecach, bez gorączki. Dodałam zdjęcie."),
        ("clinician", "Dzień dobry. Czy wysypka swędzi? Czy syn jadł coś nowego albo brał nowe leki?"),
        ("patient", "Trochę swędzi, nowych leków nie było, nowy proszek do prania."),
        ("clinician", "To najpewniej kontaktowe podrażnienie. Proszę wrócić do poprzedniego proszku, "
                      "krem łagodzący dwa razy dziennie. Gdyby pojawiła się gorączka — wizyta w placówce."),
    # Left unanswered: the survey of a recent consultation stays open for 7 days (FBK-1), as a parent meets it.
    ], "advice", "Kontaktowe zapalenie skóry — zalecenia pielęgnacyjne.", None, None),
)  # fmt: skip


def _clinician_logins(lines: dict[str, Line]) -> dict[str, User]:
    """A login for a clinician of each line (``lekarz`` exists already), with the demo's two-step secret."""
    users = {user.username: user for user in User.objects.filter(username__in=[row[8] for row in LINES])}
    created = []
    for _code, _name, _name_en, specialty_code, *_rest, username in LINES:
        if username in users:
            continue
        clinician = (
            Clinician.objects.filter(specialties__code=specialty_code, user__isnull=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if clinician is None:
            continue
        user = User.objects.create(
            username=username,
            password=make_password(PASSWORDS["clinician"]),
            role=User.Role.CLINICIAN,
            first_name=clinician.first_name,
            last_name=clinician.last_name,
            email=f"{username}@carenet.example",
        )
        clinician.user = user
        clinician.save(update_fields=["user"])
        users[username] = user
        created.append(user)
    totp_devices_for_demo_staff(created)
    return users


def _lines() -> dict[str, Line]:
    lines = {}
    for order, (code, name, name_en, specialty_code, service_code, min_age, below_age, minutes, _login) in enumerate(
        LINES
    ):
        specialty = Specialty.objects.filter(code=specialty_code).first()
        service = Service.objects.filter(code=service_code).first()
        if specialty is None or service is None:
            continue
        lines[code], _ = Line.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "specialty": specialty,
                "service": service,
                "min_age": min_age,
                "below_age": below_age,
                "minutes": minutes,
                "order": order,
            },
        )
    return lines


def _duties(lines: dict[str, Line], users: dict[str, User], now: dt.datetime) -> int:
    """Whole-day duties: the demo can be tried at any hour."""
    planner = User.objects.filter(username="koordynator").first()
    today = clock.local(now).date()
    rows = []
    for code, *_rest, username in LINES:
        user = users.get(username)
        clinician = getattr(user, "clinician", None) if user else None
        if code not in lines or clinician is None:
            continue
        for offset in range(-DUTY_DAYS_BACK, DUTY_DAYS_AHEAD + 1):
            day = today + dt.timedelta(days=offset)
            starts = clock.at_warsaw(day, dt.time(0, 0))
            ends = clock.at_warsaw(day + dt.timedelta(days=1), dt.time(0, 0))
            rows.append(Duty(clinician=clinician, line=lines[code], starts_at=starts, ends_at=ends, created_by=planner))
    Duty.objects.bulk_create(rows)
    return len(rows)


def _play(
    *,
    patient: Patient,
    starter: User,
    clinician_user: User,
    line: Line,
    mode: str,
    messages: list[tuple[str, str]],
    outcome: str,
    note: str,
    recommendation: str | None,
    survey: tuple[int, str, str] | None,
    at: dt.datetime,
) -> Consultation:
    consultation = services.consultation_start(
        actor=starter, patient_id=patient.pk, line_code=line.code, mode=mode, channel="portal", now=at
    )
    moment = at + dt.timedelta(minutes=4)
    taken = services.consultation_take_next(actor=clinician_user, now=moment)
    assert taken is not None and taken.pk == consultation.pk  # the demo's queues are empty: the oldest is this one
    for index, (side, text) in enumerate(messages):
        moment += dt.timedelta(minutes=1, seconds=20)
        author = starter if side == "patient" else clinician_user
        chat.chat_post(actor=author, consultation_id=consultation.pk, client_id=f"demo-{index}", text=text, now=moment)
    if recommendation and taken.appointment_id:
        encounters.visit_issue_recommendation(
            actor=clinician_user,
            appointment_id=taken.appointment_id,
            text=recommendation,
            in_person_visit=True,
            in_person_specialty_id=Specialty.objects.filter(code="dermatology").values_list("pk", flat=True).first(),
            now=moment,
        )
    moment += dt.timedelta(minutes=2)
    ended = services.consultation_end(
        actor=clinician_user, consultation_id=consultation.pk, outcome=outcome, note=note, now=moment
    )
    if survey is not None:
        rating, resolved, comment = survey
        services.survey_answer(
            actor=starter,
            consultation_id=consultation.pk,
            rating=rating,
            resolved=resolved,
            comment=comment,
            now=moment + dt.timedelta(minutes=10),
        )
    return ended


def _history(lines: dict[str, Line], users: dict[str, User], now: dt.datetime) -> int:
    played = 0
    today = clock.local(now).date()
    pacjent2 = Patient.objects.select_related("user").filter(user__username="pacjent2").first()
    parent = Patient.objects.select_related("user").filter(user__username="rodzic").first()
    child = Patient.objects.filter(guardian=parent).order_by("birth_date", "pk").last() if parent else None
    plays: list[tuple[Patient | None, User | None, tuple]] = [
        (pacjent2, pacjent2.user if pacjent2 else None, row) for row in HISTORY
    ]
    plays += [(child, parent.user if parent else None, row) for row in CHILD_HISTORY]
    for patient, starter, row in plays:
        days_ago, hour, code, mode, messages, outcome, note, recommendation, survey = row
        line = lines.get(code)
        login = next(entry[8] for entry in LINES if entry[0] == code)
        clinician_user = users.get(login)
        if patient is None or starter is None or line is None or clinician_user is None:
            continue
        at = clock.at_warsaw(today - dt.timedelta(days=days_ago), dt.time(hour, 7))
        _play(
            patient=patient,
            starter=starter,
            clinician_user=clinician_user,
            line=line,
            mode=mode,
            messages=list(messages),
            outcome=outcome,
            note=note,
            recommendation=recommendation,
            survey=survey,
            at=at,
        )
        played += 1
    return played


def _booked_video_visit(users: dict[str, User], now: dt.datetime) -> int:
    """SCH-3: the demo clinician's daily video hour, and ``pacjent2``'s next video visit in it."""
    lekarz = users.get("lekarz")
    clinician = getattr(lekarz, "clinician", None) if lekarz else None
    pacjent2 = Patient.objects.select_related("user").filter(user__username="pacjent2").first()
    service = Service.objects.filter(code="online-internal-medicine").first()
    specialty = Specialty.objects.filter(code="internal-medicine").first()
    if clinician is None or pacjent2 is None or pacjent2.user is None or service is None or specialty is None:
        return 0
    today = clock.local(now).date()
    scheduling.schedule_create(
        clinician=clinician,
        facility=None,
        room=None,
        mode=Mode.VIDEO,
        specialty=specialty,
        services=[service],
        valid_from=today - dt.timedelta(days=7),
        valid_until=today + dt.timedelta(days=DUTY_DAYS_AHEAD),
        weekdays="1234567",
        start_time=VIDEO_HOURS[0],
        end_time=VIDEO_HOURS[1],
        slot_minutes=20,
        skip_holidays=False,
    )
    slot = (
        Slot.objects.filter(clinician=clinician, mode=Mode.VIDEO, is_free=True, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if slot is None:
        return 0
    booking.appointment_book(actor=pacjent2.user, patient=pacjent2, slot_id=slot.pk, channel="portal", now=now)
    return 1


def demo_consultations(now: dt.datetime | None = None) -> str:
    """Builds the demo's online consultations; returns a line for the builder's progress."""
    now = now or clock.now()
    lines = _lines()
    users = _clinician_logins(lines)
    duties = _duties(lines, users, now)
    played = _history(lines, users, now)
    video = _booked_video_visit(users, now)
    return (
        f"online consultations ({len(lines)} lines, {duties} duties, {played} ended consultations, "
        f"{video} booked video visit)"
    )
