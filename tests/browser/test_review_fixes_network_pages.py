"""Review of issue 15 in a browser: the network's operations pages with long values, checked with axe and at phone
widths (320 and 390 px), in Polish and in English."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import User
from carenet.booking.models import Appointment
from carenet.booking.tests.factories import AppointmentFactory, PatientFactory, UserFactory, build_world
from carenet.closures.services import closure_call_record, closure_create
from carenet.core import clock
from carenet.network.tests.factories import FacilityFactory
from tests.browser.accessibility import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: 60 characters: the longest names people bring.
LONG_FIRST_NAME = "Maksymiliana-Konstancja"
LONG_LAST_NAME = "Wierzbicka-Szczepańska-Brzęczyszczykiewiczówna"


def _log_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_the_call_centre_list_after_a_closure_with_long_values_fits_a_phone(page: Any, live_server: Any) -> None:
    """NET-3: the call centre's list with a 60-character name, a patient without a phone (on the list at once), a
    200-character reason and a 500-character note of the call."""
    world = build_world()
    now = clock.now()
    patient = PatientFactory(first_name=LONG_FIRST_NAME, last_name=LONG_LAST_NAME, mobile="")
    assert len(patient.full_name) >= 60
    visit_at = clock.at_warsaw(clock.local(now).date() + dt.timedelta(days=2), dt.time(9))
    visit = AppointmentFactory(patient=patient, slot=world.slot(starts_at=visit_at), service=world.consult)
    coordinator = UserFactory(username="koordynator-dlugie", role=User.Role.COORDINATOR, is_staff=True)
    reason = ("Awaria instalacji elektrycznej i kwarantanna personelu po kontroli sanepidu; " * 4)[:200]
    closure_create(
        actor=coordinator,
        facility_id=world.facility.pk,
        starts_at=visit_at - dt.timedelta(hours=1),
        ends_at=visit_at + dt.timedelta(days=1),
        reason=reason,
        now=now,
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED
    notice = visit.closure_notice
    note = ("Pacjentka prosi o termin w przyszłym tygodniu po południu, najlepiej w placówce na Woli; " * 8)[:500]
    closure_call_record(actor=world.operator, notice_id=notice.pk, note=note, now=now)
    _log_in(page, live_server, world.operator)
    for language in ("pl", "en"):
        with translation.override(language):
            path = reverse("staff:closure_calls")
        page.goto(live_server.url + path)
        assert page.get_by_text(patient.full_name).first.is_visible()
        check_page(page, f"the call centre's list after a closure, long values ({language})")


def test_the_alternatives_after_a_closure_with_long_values_fit_a_phone(page: Any, live_server: Any) -> None:
    """NET-3: the patient's alternatives page (from the SMS link) with a 60-character name, a 200-character reason
    and a facility of a long name offering the same service."""
    world = build_world()
    now = clock.now()
    patient = PatientFactory(first_name=LONG_FIRST_NAME, last_name=LONG_LAST_NAME)
    world.enrol(patient)
    visit_at = clock.at_warsaw(clock.local(now).date() + dt.timedelta(days=2), dt.time(9))
    visit = AppointmentFactory(patient=patient, slot=world.slot(starts_at=visit_at), service=world.consult)
    elsewhere = FacilityFactory(
        city=world.facility.city,
        name="CareNet Centrum Medyczno-Rehabilitacyjne im. Marii Skłodowskiej-Curie",
        address="ul. Generała Władysława Andersa 123/125 lok. 4B",
    )
    world.slot(facility=elsewhere, room=None, starts_at=visit_at + dt.timedelta(days=1))
    closure_create(
        actor=UserFactory(username="koordynator-alt", role=User.Role.COORDINATOR, is_staff=True),
        facility_id=world.facility.pk,
        starts_at=visit_at - dt.timedelta(hours=1),
        ends_at=visit_at + dt.timedelta(hours=8),
        reason=("Awaria instalacji elektrycznej i kwarantanna personelu po kontroli sanepidu; " * 4)[:200],
        now=now,
    )
    visit.refresh_from_db()
    assert patient.user is not None
    _log_in(page, live_server, patient.user)
    for language in ("pl", "en"):
        with translation.override(language):
            path = reverse("portal:closure_alternatives", args=[visit.closure_notice.pk])
        page.goto(live_server.url + path)
        assert page.get_by_text(elsewhere.name).first.is_visible()
        check_page(page, f"the alternatives after a closure, long values ({language})")
