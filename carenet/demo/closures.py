"""A closure in the demo (NET-3): a centre closed from two mornings ago until the end of tomorrow because its
doctor is in quarantine. Its booked visits were cancelled by the closure (one SMS per patient), some patients have
rebooked from the alternatives, the call centre has called a few, the rest are on its list — and ``pacjent2`` is
among the moved, so the portal shows the alternatives page with real times.

Everything goes through the services the doors use (book, close, rebook, record a call) with ``now`` in the past,
so the rows are exactly what a real closure leaves behind.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from carenet.accounts.models import Patient, User
from carenet.booking import services as booking
from carenet.booking.models import Appointment
from carenet.closures import selectors, services
from carenet.closures.models import ClosureNotice
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.demo.catalogue import GENERAL_PRACTICE
from carenet.network.models import Facility
from carenet.scheduling.models import Mode, Slot

REASON = "Kwarantanna lekarza – placówka nieczynna do odwołania"
CALL_NOTES = ("Pacjentka oddzwoni po konsultacji z pracodawcą.", "Umówi się sama przez portal, wysłano link ponownie.")


def _patient(username: str) -> Patient | None:
    return Patient.objects.select_related("user").filter(user__username=username).first()


def _facility_to_close(start: dt.datetime, end: dt.datetime) -> Facility | None:
    """The own centre with the most visits booked in the period (in person, a general-practice consultation)."""
    busiest = (
        Facility.objects.filter(kind=Facility.Kind.OWN, is_active=True)
        .annotate(
            booked=Count(
                "slots__appointments",
                filter=Q(
                    slots__appointments__status=Appointment.Status.BOOKED,
                    slots__starts_at__gte=start,
                    slots__starts_at__lt=end,
                ),
            )
        )
        .order_by("-booked", "pk")
    )
    return busiest.first()


def _book_pacjent2(facility: Facility, *, start: dt.datetime, end: dt.datetime, at: dt.datetime) -> None:
    """pacjent2's internist visit tomorrow at the centre (booked before the closure), if a free time is there."""
    patient = _patient("pacjent2")
    if patient is None or patient.user is None:
        return
    slots = Slot.objects.filter(
        facility=facility,
        mode=Mode.IN_PERSON,
        is_free=True,
        starts_at__gte=start,
        starts_at__lt=end,
        specialty__code__in=GENERAL_PRACTICE,
    ).order_by("starts_at", "pk")
    for slot in slots[:20]:
        try:
            booking.appointment_book(actor=patient.user, patient=patient, slot_id=slot.pk, channel="portal", now=at)
        except ApplicationError:
            continue
        return


def demo_closures(now: dt.datetime) -> str:
    """Builds the demo's closure; returns a line for the builder's progress."""
    coordinator = User.objects.filter(username="koordynator").first()
    operator = User.objects.filter(username="infolinia").first()
    if coordinator is None or operator is None:
        return "closures: no coordinator"
    today = clock.local(now).date()
    # Two mornings ago: the call centre's list (a day without rebooking) is full whatever the time of the visit.
    yesterday_morning = clock.at_warsaw(today - dt.timedelta(days=2), dt.time(7))
    tomorrow = clock.at_warsaw(today + dt.timedelta(days=1), dt.time(0))
    ends_at = clock.at_warsaw(today + dt.timedelta(days=2), dt.time(0))
    facility = _facility_to_close(tomorrow, ends_at)
    if facility is None:
        return "closures: no centre"
    _book_pacjent2(facility, start=tomorrow, end=ends_at, at=yesterday_morning - dt.timedelta(hours=1))
    done = services.closure_create(
        actor=coordinator,
        facility_id=facility.pk,
        starts_at=yesterday_morning,
        ends_at=ends_at,
        reason=REASON,
        now=yesterday_morning,
    )
    notices = list(
        ClosureNotice.objects.filter(closure=done.closure)
        .exclude(patient__user__username="pacjent2")
        .select_related(*selectors._NOTICE_RELATED)
        .order_by("appointment__slot__starts_at", "pk")
    )
    rebooked = called = 0
    rebook_at = yesterday_morning + dt.timedelta(hours=5)
    for index, notice in enumerate(notices):
        if index % 3 == 0 and notice.patient.user is not None:
            found = selectors.alternatives(notice=notice, now=rebook_at)
            for alternative in [*found.in_person, *found.remote][:3]:
                try:
                    services.closure_rebook(
                        actor=notice.patient.user,
                        notice_id=notice.pk,
                        slot_id=alternative.slot.pk,
                        channel="portal",
                        now=rebook_at,
                    )
                except ApplicationError:
                    continue
                rebooked += 1
                break
        elif index % 3 == 1 and called < len(CALL_NOTES):
            services.closure_call_record(
                actor=operator, notice_id=notice.pk, note=CALL_NOTES[called], now=now - dt.timedelta(hours=1)
            )
            called += 1
    return (
        f"closures ({facility.name}: {done.cancelled} visits moved, {rebooked} rebooked, {called} called, "
        f"{done.messages} SMS)"
    )
