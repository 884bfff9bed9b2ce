"""Issue 14: the home page is a logged-in patient's dashboard — the next visit (never a clinic address for a remote
one), "Umów wizytę" with the remembered city and the most booked specialties first, the other sections; anonymous
visitors and staff keep the welcome page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from carenet.api.tests.factories import make_slot
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url
from carenet.scheduling.models import Mode

pytestmark = pytest.mark.django_db


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
