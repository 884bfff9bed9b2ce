"""The demo's clinician side (issue 11): the demo clinician (login ``lekarz``) works every day — mornings in person
at their centre, early afternoons phone consultations — so that their day list is full whenever CareNet is tried;
the named patients have visits with them today and completed visits in the last weeks that carry the documents a
clinician issues (CLN-1, CLN-5): referrals, e-prescriptions, sick leave and recommendations."""

from __future__ import annotations

import datetime as dt
import random

from carenet.accounts.models import User
from carenet.accounts.permissions import Channel as PermissionChannel
from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment, Channel
from carenet.clinical import services as clinical_services
from carenet.clinical.models import Drug, Prescription, Referral
from carenet.core import clock
from carenet.demo.network import Network
from carenet.demo.people import People, Person
from carenet.demo.timetable import PlannedSchedule
from carenet.network.models import Clinician, Facility, Room, Service
from carenet.questions import services as question_services
from carenet.renewals import services as renewal_services
from carenet.scheduling.models import Mode, Schedule, Slot

IN_PERSON_HOURS = (8 * 60, 13 * 60)  # minutes after midnight, Warsaw
PHONE_HOURS = (13 * 60 + 30, 15 * 60 + 30)
#: How much of the demo clinician's day is booked: a full list with a couple of gaps.
DAY_FILL = 0.85


def demo_clinician_plans(
    plans: list[PlannedSchedule], network: Network, clinician: Clinician | None
) -> list[PlannedSchedule]:
    """Replace the demo clinician's weekly blocks by a daily one (every day of the week, in a room of their own at
    their first centre) and a daily block of phone consultations."""
    if clinician is None:
        return plans
    facility = network.clinician_facilities[clinician.pk][0]
    specialty = network.clinician_specialties[clinician.pk][0]
    taken = {room.number for room in network.rooms.get(facility.pk, [])}
    number = next(str(n) for n in range(101, 999) if str(n) not in taken)
    room = Room.objects.create(facility=facility, number=number, name="Gabinet lekarza rodzinnego")
    network.rooms.setdefault(facility.pk, []).append(room)
    every_day = set(range(1, 8))
    return [plan for plan in plans if plan.clinician.pk != clinician.pk] + [
        PlannedSchedule(clinician, facility, room, Mode.IN_PERSON, specialty, every_day, *IN_PERSON_HOURS, 15),
        PlannedSchedule(clinician, None, None, Mode.PHONE, specialty, set(every_day), *PHONE_HOURS, 20),
    ]


def ensure_drug_catalogue() -> int:
    """The drug catalogue prescriptions pick from (shipped as data; ``seed_demo --reset`` flushes it)."""
    return clinical_services.drug_catalogue_load()


def _adults(people: People, today: dt.date) -> list[Person]:
    return [
        p
        for p in people.persons
        if p.enrolment is not None and p.age_on(today) >= 18 and p.activated_on <= today <= p.paid_through
    ]


def _book(slot: Slot, person: Person, *, status: str, booked_by: User | None, service_id: int) -> Appointment:
    return Appointment(
        patient=person.patient,
        slot=slot,
        service_id=service_id,
        enrolment=person.enrolment,
        status=status,
        channel=Channel.CALL_CENTRE,
        booked_by=booked_by,
        coverage_kind="",
    )


def fill_demo_day(rng: random.Random, people: People, clinician: Clinician | None, now: dt.datetime) -> int:
    """Book the demo clinician's free slots of today up to :data:`DAY_FILL`, by patients whose package is in force."""
    if clinician is None:
        return 0
    today = clock.local(now).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=clock.WARSAW)
    slots = list(
        Slot.objects.filter(clinician=clinician, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .select_related("schedule")
        .order_by("starts_at")
    )
    taken = set(
        Appointment.objects.filter(slot__in=slots, status__in=Appointment.ACTIVE_STATUSES).values_list(
            "slot_id", flat=True
        )
    )
    # A schedule offering several services books its first one here.
    services: dict[int, int] = {}
    for schedule_id, service_id in (
        Schedule.services.through.objects.filter(schedule_id__in={s.schedule_id for s in slots})
        .order_by("-service_id")
        .values_list("schedule_id", "service_id")
    ):
        services[schedule_id] = service_id
    pool = _adults(people, today)
    wanted = round(len(slots) * DAY_FILL) - len(taken)
    free = [s for s in slots if s.pk not in taken]
    rng.shuffle(free)
    rows = [
        _book(slot, rng.choice(pool), status=Appointment.Status.BOOKED, booked_by=people.staff.get("infolinia"),
              service_id=services[slot.schedule_id or 0])
        for slot in free[: max(wanted, 0)]
    ]  # fmt: skip
    Appointment.objects.bulk_create(rows)
    Slot.objects.filter(pk__in=[row.slot_id for row in rows]).update(is_free=False)
    return len(rows)


def _named(people: People) -> dict[str, Person]:
    named = {person.user.username: person for person in people.persons if person.user is not None}
    for person in people.persons:
        guardian = people.persons[person.guardian_index] if person.guardian_index is not None else None
        if guardian is not None and guardian.user is not None and guardian.user.username == "rodzic":
            named.setdefault("rodzic:child", person)
    return named


def _free_slot(clinician: Clinician, *, day: dt.date, mode: str, after: dt.time, taken: set[int]) -> Slot | None:
    start = dt.datetime.combine(day, after, tzinfo=clock.WARSAW)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=clock.WARSAW)
    busy = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES).values("slot_id")
    return (
        Slot.objects.filter(clinician=clinician, mode=mode, starts_at__gte=start, starts_at__lt=end)
        .exclude(pk__in=busy)
        .exclude(pk__in=taken)
        .order_by("starts_at")
        .first()
    )


#: (who, days ago (0 = today), mode, not before) — the named patients' visits with the demo clinician.
NAMED_VISITS = (
    ("pacjent2", 23, Mode.IN_PERSON, dt.time(9)),
    ("pacjent2", 9, Mode.PHONE, dt.time(13, 30)),
    ("pacjent2", 0, Mode.IN_PERSON, dt.time(10)),
    ("rodzic", 16, Mode.IN_PERSON, dt.time(11)),
    ("rodzic:child", 12, Mode.IN_PERSON, dt.time(8, 30)),
    ("rodzic:child", 0, Mode.PHONE, dt.time(14)),
    ("pacjent1", 30, Mode.IN_PERSON, dt.time(9, 30)),
)


def named_patients_visits(
    people: People, clinician: Clinician | None, now: dt.datetime, *, history_days: int
) -> list[tuple[str, Appointment]]:
    """The named patients' visits with the demo clinician: completed ones in the last weeks (in person and by phone,
    never further back than the demo's history) and one each today, so that the clinician console shows them and
    their documents."""
    if clinician is None:
        return []
    today = clock.local(now).date()
    named = _named(people)
    operator = people.staff.get("infolinia")
    taken: set[int] = set()
    visits = []
    for who, days_ago, mode, after in NAMED_VISITS:
        person = named.get(who)
        slot = None
        # A public holiday has no slots (SCH-1): the visit moves to the next working day before today.
        for back in range(min(days_ago, history_days), -1 if days_ago == 0 else 0, -1):
            slot = slot or _free_slot(
                clinician, day=today - dt.timedelta(days=back), mode=mode, after=after, taken=taken
            )
        if person is None or person.enrolment is None or slot is None:
            continue
        taken.add(slot.pk)
        service_id = Service.objects.filter(schedules=slot.schedule_id).values_list("id", flat=True).first()
        if service_id is None:
            continue
        visit = _book(
            slot,
            person,
            status=Appointment.Status.COMPLETED if days_ago else Appointment.Status.BOOKED,
            booked_by=operator,
            service_id=service_id,
        )
        if days_ago:
            visit.outcome_recorded_at = slot.ends_at
            visit.outcome_recorded_by = clinician.user
        visit.save()
        Slot.objects.filter(pk=slot.pk).update(is_free=False)
        visits.append((who, visit))
    return visits


# --- documents ------------------------------------------------------------------------------------------------------

#: What the demo clinician issued at the named patients' completed visits, in the order of ``NAMED_VISITS``' past
#: visits of that person: (drug name, strength, dose), referral service codes, sick-leave days, recommendation.
NAMED_DOCUMENTS: dict[str, list[dict[str, object]]] = {
    "pacjent2": [
        {
            "prescriptions": [
                ("Ramipryl", "5 mg", "1 tabletka rano"),
                ("Atorwastatyna", "20 mg", "1 tabletka wieczorem"),
            ],
            "referrals": ["physio-kinesio", "home-nursing-blood-draw"],
            "recommendation": (
                "Ciśnienie mierzyć codziennie rano i wieczorem, wyniki zapisywać. Ograniczyć sól. Kontrola z "
                "wynikami lipidogramu za 4 tygodnie.",
                "",
            ),
        },
        {
            "prescriptions": [("Ibuprofen", "400 mg", "1 tabletka do 3 razy dziennie po jedzeniu, przy bólu")],
            "sick_leave_days": 5,
            "recommendation": (
                "Oszczędzający tryb życia, zimne okłady na odcinek lędźwiowy. Jeśli ból nie ustąpi w ciągu "
                "tygodnia — wizyta w gabinecie.",
                "in_person",
            ),
        },
    ],
    "rodzic": [
        {
            "prescriptions": [("Lewotyroksyna", "50 µg", "1 tabletka rano na czczo, 30 minut przed posiłkiem")],
            "referrals": ["physio-physical"],
            "recommendation": ("Kontrola TSH za 6 tygodni.", ""),
        }
    ],
    "rodzic:child": [
        {
            "prescriptions": [("Amoksycylina", "", "według zaleceń: 2 razy dziennie przez 7 dni")],
            "recommendation": (
                "Dużo płynów, odpoczynek w domu przez 3 dni. Wizyta kontrolna po zakończeniu antybiotyku.",
                "",
            ),
        }
    ],
    "pacjent1": [{"prescriptions": [("Cetyryzyna", "10 mg", "1 tabletka wieczorem w sezonie pylenia")]}],
}
EMPLOYER_NIP = "5261040828"  # a valid NIP (checksum) for the demo's sick leave


def _drug(name: str, strength: str) -> Drug | None:
    found = Drug.objects.filter(name=name, is_active=True)
    if strength:
        found = found.filter(strength=strength)
    return found.order_by("pack").first()


def issue_named_documents(visits: list[tuple[str, Appointment]]) -> dict[str, int]:
    """The documents of the named patients' completed visits, issued through the clinical services at the time of
    each visit (so the national identifiers, codes and SMS are what a real visit leaves)."""
    counts: dict[str, int] = {"referrals": 0, "prescriptions": 0, "sick_leave": 0, "recommendations": 0}
    done: dict[str, int] = {}
    for who, visit in visits:
        if visit.status != Appointment.Status.COMPLETED:
            continue
        plans = NAMED_DOCUMENTS.get(who, [])
        index = done.get(who, 0)
        done[who] = index + 1
        if index >= len(plans):
            continue
        plan = plans[index]
        slot = visit.slot
        clinician = slot.clinician
        facility = slot.facility or clinician.facilities.order_by("id").first()
        if facility is None:
            continue
        now = slot.starts_at + dt.timedelta(minutes=10)
        patient = visit.patient
        for name, strength, dose in plan.get("prescriptions", []):  # type: ignore[attr-defined]
            drug = _drug(name, strength)
            if drug is not None:
                clinical_services.prescription_issue(
                    clinician=clinician,
                    patient=patient,
                    appointment_id=visit.pk,
                    now=now,
                    facility=facility,
                    drug=drug,
                    dose=dose,
                    quantity=1,
                    reimbursement="30%",
                )
                counts["prescriptions"] += 1
        for code in plan.get("referrals", []):  # type: ignore[attr-defined]
            service = Service.objects.filter(code=code).first()
            if service is not None:
                clinical_services.referral_issue(
                    clinician=clinician,
                    patient=patient,
                    appointment_id=visit.pk,
                    now=now,
                    service=service,
                    facility=facility,
                )
                counts["referrals"] += 1
        days = plan.get("sick_leave_days")
        if isinstance(days, int):
            day = clock.local(now).date()
            clinical_services.sick_leave_issue(
                clinician=clinician,
                patient=patient,
                appointment_id=visit.pk,
                now=now,
                facility=facility,
                starts_on=day,
                ends_on=day + dt.timedelta(days=days - 1),
                employer_nip=EMPLOYER_NIP,
                diagnosis_code="M54.5",
            )
            counts["sick_leave"] += 1
        recommendation = plan.get("recommendation")
        if isinstance(recommendation, tuple):
            text, extra = recommendation
            specialty = slot.specialty if extra == "in_person" else None
            clinical_services.recommendation_issue(
                clinician=clinician,
                patient=patient,
                appointment_id=visit.pk,
                now=now,
                facility=facility,
                text=text,
                in_person_visit=specialty is not None,
                in_person_specialty=specialty,
            )
            counts["recommendations"] += 1
    return counts


def partner_documentation(visits: list[tuple[str, Appointment]], now: dt.datetime) -> int:
    """CLN-6 in the demo: pacjent2 also has a recommendation written at a partner facility — in their portal, but
    never on a network clinician's screen."""
    patient = next((visit.patient for who, visit in visits if who == "pacjent2"), None)
    facility = Facility.objects.filter(kind=Facility.Kind.PARTNER, is_active=True).order_by("id").first()
    if patient is None or facility is None:
        return 0
    # A network doctor who also works at a partner: what they write there is the partner's documentation.
    partner_clinician = (
        Clinician.objects.filter(kind=Clinician.Kind.DOCTOR, is_active=True, user__isnull=True).order_by("id").first()
    )
    if partner_clinician is None:
        return 0
    partner_clinician.facilities.add(facility)
    clinical_services.recommendation_issue(
        clinician=partner_clinician,
        patient=patient,
        facility=facility,
        text="Po zabiegu: okłady z lodu przez 2 dni, kontrola w placówce partnerskiej za tydzień.",
        now=now - dt.timedelta(days=40),
    )
    return 1


def book_with_referral(now: dt.datetime) -> int:
    """A used referral in the demo: rodzic (else pacjent2, whose physiotherapy referral stays free to book) has
    booked what a referral was for (CLN-1: a used referral shows its visit)."""
    busy = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES).values("slot_id")
    referrals = Referral.objects.filter(
        patient__user__username__in=("rodzic", "pacjent2"), used_by__isnull=True, source=Referral.Source.NETWORK
    ).exclude(service__code="physio-kinesio")
    for referral in referrals.select_related("patient", "service").order_by("patient__user__username", "id"):
        enrolment = referral.patient.enrolments.order_by("-paid_through").first()
        slot = (
            Slot.objects.filter(
                schedule__services=referral.service, starts_at__gte=now + dt.timedelta(days=1), is_free=True
            )
            .exclude(pk__in=busy)
            .order_by("starts_at")
            .first()
        )
        if slot is None or enrolment is None:
            continue
        visit = Appointment.objects.create(
            patient=referral.patient,
            slot=slot,
            service=referral.service,
            enrolment=enrolment,
            status=Appointment.Status.BOOKED,
            channel=Channel.PORTAL,
            booked_by=referral.patient.user,
        )
        Slot.objects.filter(pk=slot.pk).update(is_free=False)
        Referral.objects.filter(pk=referral.pk).update(used_by=visit)
        return 1
    return 0


# --- renewals (CLN-2) and questions to the doctor (CLN-4) ----------------------------------------------------------


def renewals_and_questions(visits: list[tuple[str, Appointment]], now: dt.datetime) -> dict[str, int]:
    """Through the services the doors use, as the people who would have done it: pacjent2 ordered a renewal of
    their blood-pressure drug yesterday (waiting in the demo clinician's queue) and asked about their phone
    consultation (waiting in the inbox); rodzic's renewal was issued and their question about the child's visit
    answered (the SMS of both are in the developer inbox)."""
    counts = {"renewals": 0, "questions": 0}
    by_who: dict[str, list[Appointment]] = {}
    for who, visit in visits:
        by_who.setdefault(who, []).append(visit)
    doctor = next((visit.slot.clinician for _, visit in visits), None)
    if doctor is None or doctor.user is None:
        return counts
    doctor_actor = actor_for_user(doctor.user)
    yesterday = now - dt.timedelta(hours=14)  # 10:00 the day before, Warsaw
    for who, drug_name, note in (
        ("pacjent2", "Ramipryl", "Kończy mi się opakowanie — proszę o receptę na kolejne 3 miesiące."),
        ("rodzic", "Lewotyroksyna", ""),
    ):
        patient_visits = by_who.get(who, [])
        prescription = (
            Prescription.objects.filter(patient__in=[v.patient for v in patient_visits], drug__name=drug_name)
            .select_related("patient__user")
            .first()
        )
        if prescription is None or prescription.patient.user is None:
            continue
        patient_actor = actor_for_user(prescription.patient.user)
        request = renewal_services.renewal_request(
            actor=patient_actor,
            patient_id=prescription.patient_id,
            drug_id=prescription.drug_id,
            note=note,
            door=PermissionChannel.PORTAL,
            now=yesterday,
        )
        counts["renewals"] += 1
        if who == "rodzic":
            renewal_services.renewal_issue(
                actor=doctor_actor,
                request_id=request.pk,
                dose=prescription.dose,
                quantity=2,
                reimbursement=prescription.reimbursement,
                now=yesterday + dt.timedelta(hours=3),
            )
    for who, position, text, answer in (
        (
            "pacjent2",
            1,
            "Czy ibuprofen mogę brać razem z ramiprylem? Ból pleców jest mniejszy, ale nie ustąpił.",
            "",
        ),
        (
            "rodzic:child",
            0,
            "Czy po zakończeniu antybiotyku dziecko powinno jeszcze brać probiotyk?",
            "Tak, przez tydzień po antybiotyku. Na wizytę kontrolną proszę umówić się w przyszłym tygodniu.",
        ),
    ):
        completed = [v for v in by_who.get(who, []) if v.status == Appointment.Status.COMPLETED]
        asker = completed[position].patient if len(completed) > position else None
        user = None
        if asker is not None:
            user = asker.user or (asker.guardian.user if asker.guardian is not None else None)
        if asker is None or user is None:
            continue
        question = question_services.question_ask(
            actor=actor_for_user(user), appointment_id=completed[position].pk, text=text, now=yesterday
        )
        counts["questions"] += 1
        if answer:
            question_services.question_answer(
                actor=doctor_actor, question_id=question.pk, text=answer, now=yesterday + dt.timedelta(hours=5)
            )
    return counts
