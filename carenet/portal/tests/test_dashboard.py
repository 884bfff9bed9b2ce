"""Issue 14: the home page is a logged-in patient's dashboard — the next visit (never a clinic address for a remote
one), "Umów wizytę" with the remembered city and the most booked specialties first, the other sections; anonymous
visitors and staff keep the welcome page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import make_slot
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, patient_with_package, url
from carenet.scheduling.models import Mode

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def world() -> World:
    return build_world()


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_anonymous_visitors_and_staff_keep_the_welcome_page(world: World) -> None:
    for client in (Client(), client_for(world.staff["call_centre"])):
        html = client.get(url("portal:home")).content.decode()
        assert 'data-testid="own-facilities"' in html
        assert "Your next visit" not in html


def test_the_dashboard_highlights_the_next_visit_with_its_links(world: World) -> None:
    visit = booked(world.patient_a, world.slots[1])
    booked(world.patient_a, world.other_slot)
    html = client_for(world.patient_a.user).get(url("portal:home")).content.decode()
    card = html[html.index('data-testid="next-visit"') : html.index("</article>")]
    assert f'data-appointment="{visit.pk}"' in html
    assert world.centre.name in card and world.centre.address in card
    for page in ("portal:visit", "portal:reschedule", "portal:cancel"):
        assert url(page, visit.pk) in card, page
    assert url("portal:visits") in html  # two planned: a link to all of them
    assert url("portal:search") in html and 'name="specialty"' in html
    for section in ("portal:results", "portal:treatment", "portal:consultations", "portal:files", "portal:questions"):
        assert url(section) in html, section


def test_a_remote_next_visit_is_never_shown_with_a_clinic_address(world: World) -> None:
    slot = make_slot(
        starts_at=clock.at_warsaw(world.day, dt.time(8)),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        mode=Mode.PHONE,
    )
    booked(world.patient_a, slot)
    html = client_for(world.patient_a.user).get(url("portal:home")).content.decode()
    card = html[html.index('data-testid="next-visit"') : html.index("</article>")]
    assert "by phone" in card
    assert world.centre.address not in card and world.centre.name not in card


def test_the_short_search_preselects_the_last_city_and_lists_the_most_booked_first(world: World) -> None:
    booked(world.patient_a, world.slots[0], status="completed")
    html = client_for(world.patient_a.user).get(url("portal:home")).content.decode()
    assert f'<option value="{world.centre.city.pk}" selected>' in html
    assert '<optgroup label="Your recent choices"><option value="interna">' in html


def home_page(client: Client) -> tuple[str, dict[str, Any], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("portal:home"))
    assert response.status_code == 200
    # The reads only: a guardian opening a child's visit is recorded (an INSERT), the patient's own reads are not.
    reads = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    return response.content.decode(), response.context, reads


def visit_on(world: World, *, days: int, hour: int = 9) -> Any:
    return make_slot(
        starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=days), dt.time(hour)),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
    )


def test_the_dashboard_costs_the_same_queries_whatever_the_family_and_its_visits(world: World) -> None:
    """Issue 16: the family's next visit, the visits to rate (FBK-1) and whom the patient acts for are read in a
    fixed number of queries — the same for two or three in the family, with one visit each or many; a patient on
    their own costs at most two queries fewer: the one that asks which of the family have a visit coming, and the
    family's own (a login without children is known to have none when the session reads it)."""
    alone = client_for(world.patient_b.user)
    booked(world.patient_b, visit_on(world, days=3))
    booked(world.patient_b, visit_on(world, days=-2), status=Status.COMPLETED)
    alone.get(url("portal:home"))  # sessions, caches
    _html, _context, single = home_page(alone)

    client = client_for(world.patient_a.user)
    booked(world.patient_a, visit_on(world, days=4))
    booked(world.child, visit_on(world, days=5))
    booked(world.patient_a, visit_on(world, days=-1), status=Status.COMPLETED)
    client.get(url("portal:home"))
    _html, _context, small = home_page(client)
    assert len(small) <= len(single) + 2, small

    second_child = patient_with_package(
        first_name="Ola", last_name="Nowak", user=None, guardian=world.patient_a, birth_date=dt.date(2020, 1, 1)
    )
    for day in range(6, 12):
        booked(world.child, visit_on(world, days=day))
        booked(second_child, visit_on(world, days=day, hour=10))
    earliest = booked(second_child, visit_on(world, days=2, hour=8))
    for day in range(1, 5):
        booked(world.patient_a, visit_on(world, days=-day, hour=11), status=Status.COMPLETED)
        booked(second_child, visit_on(world, days=-day, hour=12), status=Status.COMPLETED)
    html, context, large = home_page(client)
    assert len(large) == len(small), large

    assert context["next_visit"] == earliest and context["next_visit"].patient == second_child
    assert "Ola Nowak" in html[html.index('data-testid="next-visit"') : html.index("</article>")]
    assert context["more_visits"] is True
    assert len(context["to_rate"]) == 3  # the latest three of the family's visits that may be rated
    rated = [row.visit for row in context["to_rate"]]
    assert [visit.slot.starts_at for visit in rated] == sorted((visit.slot.starts_at for visit in rated), reverse=True)
    assert rated[0].patient == second_child and rated[1].patient == world.patient_a


def test_the_link_to_all_planned_visits_when_several_of_the_family_have_one(world: World) -> None:
    """The dashboard offers "All your planned visits" when more than one of the family has a visit coming, as
    before issue 16 (one query for the family instead of one per person)."""
    client = client_for(world.patient_a.user)
    booked(world.patient_a, world.slots[0])
    booked(world.patient_a, world.slots[1])
    assert client.get(url("portal:home")).context["more_visits"] is False
    booked(world.child, world.slots[2])
    response = client.get(url("portal:home"))
    assert response.context["more_visits"] is True
    assert response.context["next_visit"].slot == world.slots[0]
