"""Pregnancy care in the demo (BKG-7): the gynaecologists' schedules also offer the pregnancy-care visit of the
coverage matrix; a named patient's pregnancy is led at one centre (so the portal refuses her a pregnancy visit at any
other centre and shows why, telemedicine excepted); requests for pregnancy care elsewhere in the coordinators' queue
— open ones filed in the portal and by the call centre, one resolved with a visit, one with a reason.

Everything goes through the services the doors use (record, file, book, decline), so the rows and the SMS in the
outbox are what a real day leaves behind; only the filing times are moved back a few days.
"""

from __future__ import annotations

import datetime as dt

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Channel
from carenet.accounts.selectors import actor_for_user
from carenet.booking import services as booking
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.core.errors import ApplicationError
from carenet.coverage.selectors import pregnancy_service_ids
from carenet.network.models import Facility, Service
from carenet.pregnancy import services
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.pregnancy.services import RequestForm, SlotPlace
from carenet.scheduling.models import Mode, Schedule, Slot

#: The named patients the demo's pregnant patient is picked from (the first woman of childbearing age with a login
#: whose package covers pregnancy care), in this order.
NAMED = ("pacjent2", "pakiet-kompleksowy", "pakiet-premium")


def _pregnant_candidates(today: dt.date) -> list[Patient]:
    """Women aged 20–42 with a portal login and a package in force, the named demo accounts first."""
    found = (
        Patient.objects.filter(
            sex=Patient.Sex.FEMALE,
            user__isnull=False,
            birth_date__lte=latest_birth_date_of_age(20, today),
            birth_date__gt=latest_birth_date_of_age(42, today),
            enrolments__activated_on__lte=today,
            enrolments__paid_through__gte=today + dt.timedelta(days=60),
        )
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    rows = list(found[:400])
    rank = {login: index for index, login in enumerate(NAMED)}
    return sorted(
        rows, key=lambda patient: (rank.get(patient.user.username, len(NAMED)) if patient.user else 99, patient.pk)
    )


def _free_slots(service_ids: set[int], now: dt.datetime, **filters: object) -> list[Slot]:
    return list(
        Slot.objects.filter(
            is_free=True,
            starts_at__gt=now + dt.timedelta(days=2),
            starts_at__lt=now + dt.timedelta(days=28),
            schedule__services__in=sorted(service_ids),
            **filters,
        )
        .select_related("facility")
        .distinct()
        .order_by("starts_at", "pk")[:50]
    )


def demo_pregnancy(now: dt.datetime | None = None) -> str:
    """Builds the demo's pregnancy care; returns a line for the builder's progress."""
    now = now or clock.now()
    today = clock.local(now).date()
    visit = Service.objects.filter(pk__in=pregnancy_service_ids()).order_by("pk").first()
    coordinator = User.objects.filter(username="koordynator").first()
    call_centre = User.objects.filter(username="infolinia").first()
    if visit is None or coordinator is None or call_centre is None:
        return "pregnancy care (skipped: no pregnancy service in the catalogue or no coordinator)"
    schedules = list(Schedule.objects.filter(specialty__code="gynaecology"))
    for schedule in schedules:
        schedule.services.add(visit)
    service_ids = {visit.pk}
    in_person = _free_slots(service_ids, now, mode=Mode.IN_PERSON, facility__kind=Facility.Kind.OWN)
    remote = _free_slots(service_ids, now, facility__isnull=True)
    if not in_person:
        return "pregnancy care (skipped: no gynaecologist's schedule in the demo)"
    coordinator_actor = actor_for_user(coordinator)
    candidates = _pregnant_candidates(today)
    if not candidates:
        return "pregnancy care (skipped: no woman of childbearing age with a login)"

    # 1. Her pregnancy is led at the centre of the first free pregnancy visit, since three months.
    led = in_person[0]
    assert led.facility is not None and led.facility_id is not None
    elsewhere = next((slot for slot in in_person if slot.facility_id != led.facility_id), None)
    pregnant = candidates[0]
    care = services.pregnancy_care_record(
        actor=coordinator_actor, patient_id=pregnant.pk, facility_id=led.facility_id, clinician_id=led.clinician_id
    )
    PregnancyCare.objects.filter(pk=care.pk).update(started_on=today - dt.timedelta(days=92))
    counts = {"led": 1, "open": 0, "booked": 0, "declined": 0}

    def file(
        patient: Patient, by: User | None, *, city_id: int, mode: str, failed: int | None, note: str, days_ago: int
    ) -> PregnancyRequest:
        assert by is not None  # the candidates have a login
        filed = services.pregnancy_request_file(
            actor=actor_for_user(by),
            patient_id=patient.pk,
            form=RequestForm(
                name=patient.full_name,
                phone=patient.mobile,
                wanted_city_id=city_id,
                mode=mode,
                failed_facility_id=failed,
                note=note,
            ),
            door=Channel.PORTAL,
            now=now,
        )
        PregnancyRequest.objects.filter(pk=filed.pk).update(created_at=now - dt.timedelta(days=days_ago, hours=3))
        return filed

    others = [patient for patient in candidates[1:] if patient.mobile][:4]
    # 2. A request resolved with a visit at another centre of the same city (the doctor leading it was away).
    if others and elsewhere is not None and elsewhere.facility is not None:
        first = others[0]
        services.pregnancy_care_record(actor=coordinator_actor, patient_id=first.pk, facility_id=led.facility_id)
        request = file(
            first, first.user, city_id=elsewhere.facility.city_id, mode="in_person", failed=led.facility_id,
            note="Lekarz prowadzący ciążę na zwolnieniu do końca miesiąca; 24. tydzień ciąży.", days_ago=3,
        )  # fmt: skip
        try:
            services.pregnancy_request_book(
                actor=coordinator_actor,
                request_id=request.pk,
                place=SlotPlace(
                    facility_id=elsewhere.facility_id,
                    city_id=elsewhere.city_id,
                    clinician_id=elsewhere.clinician_id,
                    remote=False,
                ),
                book=lambda patient: booking.appointment_book(
                    actor=coordinator,
                    patient=patient,
                    slot_id=elsewhere.pk,
                    service_id=visit.pk,
                    channel=Channel.CALL_CENTRE,
                    accept_price=True,
                    action=Action.PREGNANCY_REQUEST_RESOLVE,
                    now=now,
                ),
                now=now,
            )
            counts["booked"] += 1
        except ApplicationError:  # the time was taken meanwhile: the request stays in the queue
            counts["open"] += 1
    # 3. A request answered with a reason.
    if len(others) > 1:
        second = others[1]
        request = file(
            second, second.user, city_id=led.facility.city_id, mode="in_person", failed=None,
            note="Przeprowadzka, szukam lekarza prowadzącego ciążę.", days_ago=6,
        )  # fmt: skip
        services.pregnancy_request_decline(
            actor=coordinator_actor,
            request_id=request.pk,
            reason="W tym tygodniu brak terminów w wybranym mieście; prosimy o teleporadę z położną lub telefon "
            "na infolinię — zaproponujemy termin w sąsiedniej placówce",
            now=now,
        )
        counts["declined"] += 1
    # 4. Two requests waiting for a coordinator: one from the portal (in person), one by the call centre
    # (telemedicine).
    if len(others) > 2:
        third = others[2]
        file(
            third, third.user, city_id=led.facility.city_id, mode="in_person", failed=led.facility_id,
            note="Placówka zamknięta z powodów technicznych, potrzebne USG w 32. tygodniu.", days_ago=1,
        )  # fmt: skip
        counts["open"] += 1
    if len(others) > 3 and remote:
        fourth = others[3]
        file(
            fourth, call_centre, city_id=led.facility.city_id, mode="telemedicine", failed=led.facility_id,
            note="Zgłoszenie telefoniczne; pacjentka prosi o kontakt po 16:00.", days_ago=0,
        )  # fmt: skip
        counts["open"] += 1
    login = pregnant.user.username if pregnant.user else "?"
    return (
        f"pregnancy care ({login}: led at {led.facility.name}; requests: {counts['open']} open, "
        f"{counts['booked']} booked, {counts['declined']} declined)"
    )
