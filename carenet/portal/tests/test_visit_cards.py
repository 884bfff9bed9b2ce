"""Issue 16: "Moje wizyty" writes each visit's times, service, clinician and addresses from the view
(``portal.visits._Card``) instead of a chain of template filters per card — the same text as the filters and
``{% url %}`` wrote, in Polish and in English, for visits in person, by phone and of a child."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from carenet.api.tests.factories import make_slot
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world
from carenet.portal.visits import _card_maker
from carenet.scheduling.models import Mode

pytestmark = pytest.mark.django_db

#: What the template wrote before, with the filters and tags it used.
FILTERS = Template(
    "{% load carenet_names %}{% url 'portal:visit' a.pk %}|{{ a.slot.starts_at|date:'c' }}|"
    '{{ a.slot.starts_at|date:"D j.m.Y" }}|{{ a.slot.starts_at|time:"H:i" }}|{{ a.slot.starts_at|date:"j.m.Y" }}|'
    "{{ a.service|localized }}|{{ a.slot.clinician|clinician_name }}|{% url 'portal:reschedule' a.pk %}|"
    "{% url 'portal:cancel' a.pk %}|{% url 'portal:visit_rate' a.pk %}"
)
CARD = Template(
    "{{ c.url }}|{{ c.iso }}|{{ c.day }}|{{ c.time }}|{{ c.short }}|{{ c.service }}|{{ c.clinician }}|"
    "{{ c.reschedule_url }}|{{ c.cancel_url }}|{{ c.rate_url }}"
)


def test_a_card_writes_what_the_filters_wrote() -> None:
    world: World = build_world()
    by_phone = make_slot(
        starts_at=clock.at_warsaw(world.day, dt.time(16, 5)),
        clinician=world.slots[0].clinician,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        mode=Mode.PHONE,
    )
    late_evening = make_slot(  # another day in Warsaw than in UTC
        starts_at=clock.at_warsaw(world.day + dt.timedelta(days=1), dt.time(23, 45)),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
    )
    booked(world.patient_a, world.slots[0])
    booked(world.child, world.other_slot)
    booked(world.patient_a, by_phone)
    booked(world.patient_a, late_evening, status=Appointment.Status.COMPLETED)
    visits = booking_selectors.appointment_details_load(Appointment.objects.order_by("pk"))
    assert len(visits) == 4
    for language in ("pl", "en"):
        with translation.override(language):
            card = _card_maker()
            for visit in visits:
                assert CARD.render(Context({"c": card(visit)})) == FILTERS.render(Context({"a": visit}))
    # Every day of a week, single-digit days and months, midnight and a minute before it, a year before 1000.
    visit = visits[0]
    moments = [clock.at_warsaw(dt.date(2027, 1, 3) + dt.timedelta(days=n), dt.time(n * 3 % 24, 5)) for n in range(8)]
    moments += [
        clock.at_warsaw(dt.date(2026, 12, 31), dt.time(23, 59)),
        clock.at_warsaw(dt.date(2027, 10, 10), dt.time(0)),
    ]
    moments.append(dt.datetime(999, 3, 4, 9, 7, tzinfo=dt.UTC))
    for language in ("pl", "en"):
        with translation.override(language):
            card = _card_maker()
            for moment in moments:
                visit.slot.starts_at = moment
                assert CARD.render(Context({"c": card(visit)})) == FILTERS.render(Context({"a": visit})), moment
