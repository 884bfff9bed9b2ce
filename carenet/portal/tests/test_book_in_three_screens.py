"""Issue 14 (SCH-2, BKG-3, BKG-4): the search results hide what the patient cannot book, with a count and the
reason; referral-gated times say so before any click and carry the patient's referral; the city is remembered;
a reschedule keeps its context; in person and remote are kept apart; the page costs the same queries with 3 or 30
clinicians."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import CityFactory, ClinicianFactory, FacilityFactory, benefit, make_slot
from carenet.clinical.services import referral_issue
from carenet.core import clock
from carenet.network.models import Clinician
from carenet.portal.tests.booking_world import World, booked, build_world, url
from carenet.portal.visits import reschedule_preselection
from carenet.scheduling.models import Mode
from carenet.web.booking_flow import SEARCH_CITY_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def patient_client(world: World) -> Client:
    client = Client()
    client.force_login(world.patient_a.user)
    return client


def needs_referral(world: World) -> None:
    world.ultrasound.requires_referral = True
    world.ultrasound.save()
    benefit(world.patient_a.enrolments.get().tier, "usg", service=world.ultrasound)


def test_times_needing_a_referral_the_patient_lacks_are_hidden_with_the_count_and_the_reason(world: World) -> None:
    needs_referral(world)
    html = patient_client(world).get(url("portal:search"), world.search_params()).content.decode()
    assert url("portal:book", world.paid_slot.pk) not in html  # no "Book" leading to a refusal
    assert url("portal:book", world.slots[0].pk) in html
    assert "1 time hidden: they need a referral you do not have." in html
    assert 'data-reason="referral_required"' in html
    assert url("portal:questions") in html  # how to get one


def test_a_referral_gated_time_says_so_and_carries_the_patients_referral(world: World) -> None:
    needs_referral(world)
    referral = referral_issue(
        clinician=Clinician.objects.get(last_name="Lekarska"), patient=world.patient_a, service=world.ultrasound
    )
    client = patient_client(world)
    html = client.get(url("portal:search"), world.search_params()).content.decode()
    assert 'data-testid="hidden-times"' not in html
    assert "needs a referral" in html and "You have a valid referral for this service" in html
    book = url("portal:book", world.paid_slot.pk)
    assert f"{book}?service=usg-jamy-brzusznej&amp;for={world.patient_a.pk}&amp;referral={referral.pk}" in html
    confirm = client.get(f"{book}?service=usg-jamy-brzusznej&referral={referral.pk}").content.decode()
    assert f'<option value="{referral.pk}" selected>' in confirm


def test_a_day_with_nothing_bookable_is_skipped_to_the_next_one(world: World) -> None:
    """No paging through rows the patient cannot book: the first day with a time the patient can book is shown,
    and what was hidden on the way is counted."""
    needs_referral(world)
    earlier = world.day - dt.timedelta(days=1)
    make_slot(
        starts_at=clock.at_warsaw(earlier, dt.time(10)),
        clinician=world.paid_slot.clinician,
        facility=world.centre,
        specialty=world.paid_slot.specialty,
        services=[world.ultrasound],
    )
    params = world.search_params(date_from=earlier.isoformat())
    response = patient_client(world).get(url("portal:search"), params)
    assert response.context["results"].day == world.day
    assert response.context["results"].hidden_total == 2


def city_select(html: str) -> str:
    start = html.index('<select name="city"')
    return html[start : html.index("</select>", start)]


def test_the_city_is_remembered_from_the_last_search_then_from_the_last_booking(world: World) -> None:
    krakow = FacilityFactory(city=CityFactory(name="Kraków"), name="CareNet Kazimierz")
    client = patient_client(world)
    warszawa = f'<option value="{world.centre.city.pk}" selected>'
    assert warszawa not in city_select(client.get(url("portal:search")).content.decode())
    booked(world.patient_a, world.slots[0])  # a visit in Warszawa
    assert warszawa in city_select(client.get(url("portal:search")).content.decode())
    client.get(url("portal:search"), world.search_params(city=krakow.city_id))
    assert client.session[SEARCH_CITY_KEY] == krakow.city_id
    chosen = f'<option value="{krakow.city_id}" selected>'
    assert chosen in city_select(client.get(url("portal:search")).content.decode())
    assert chosen in city_select(client.get(url("portal:home")).content.decode())


def test_a_reschedule_keeps_the_city_facility_clinician_and_kind_of_visit(world: World) -> None:
    in_person = booked(world.patient_a, world.slots[0])
    assert reschedule_preselection(in_person) == {
        "visit_kind": "in_person",
        "clinician": str(world.slots[0].clinician_id),
        "city": str(world.centre.city_id),
        "facility": str(world.centre.pk),
    }
    phone = make_slot(
        starts_at=clock.at_warsaw(world.day, dt.time(18)),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        mode=Mode.PHONE,
    )
    remote = booked(world.patient_b, phone)
    assert reschedule_preselection(remote) == {"visit_kind": "remote", "clinician": str(phone.clinician_id)}


def test_in_person_and_remote_are_kept_apart(world: World) -> None:
    """A city search for a visit in person never lists nationwide phone times; "phone or video" lists only them."""
    phone = make_slot(
        starts_at=clock.at_warsaw(world.day, dt.time(7)),
        clinician=world.slots[0].clinician,
        city=CityFactory(name="Gdańsk"),
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        mode=Mode.PHONE,
    )
    client = patient_client(world)
    city = world.search_params(city=world.centre.city.pk)
    in_person = client.get(url("portal:search"), city).content.decode()
    assert url("portal:book", phone.pk) not in in_person and url("portal:book", world.slots[0].pk) in in_person
    remote = client.get(url("portal:search"), {**city, "visit_kind": "remote"}).content.decode()
    assert url("portal:book", phone.pk) in remote and url("portal:book", world.slots[0].pk) not in remote
    assert "Remote visit" in remote and world.centre.address not in remote


def add_clinicians(world: World, count: int) -> None:
    specialty = world.slots[0].specialty
    for index in range(count):
        clinician = ClinicianFactory(first_name="Lekarz", last_name=f"Numer{index:02d}")
        clinician.specialties.add(specialty)
        clinician.facilities.add(world.centre)
        make_slot(
            starts_at=clock.at_warsaw(world.day, dt.time(10 + index % 8, index % 4 * 15)),
            clinician=clinician,
            facility=world.centre,
            specialty=specialty,
            services=[world.consultation],
        )


def test_the_results_cost_the_same_queries_with_3_or_30_clinicians(
    world: World, django_assert_max_num_queries: Any
) -> None:
    needs_referral(world)  # a hidden time on the day too
    client = patient_client(world)
    params = world.search_params(city=world.centre.city.pk)
    add_clinicians(world, 2)
    client.get(url("portal:search"), params)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url("portal:search"), params)
    few_queries = len(few)  # counted now: the connection keeps a bounded log of its queries
    assert len(small.context["results"].cards) == 4  # 3 clinicians at the centre (+1 at the other one)
    add_clinicians(world, 27)
    client.get(url("portal:search"), params)  # new clinicians, a new catalogue token: the lists kept read again
    with django_assert_max_num_queries(few_queries):
        large = client.get(url("portal:search"), params)
    assert len(large.context["results"].cards) == 31
    assert large.content.decode().count('class="button time"') == 4 + 29


def test_the_clinician_list_is_there_before_searching(world: World) -> None:
    """SCH-2: choosing a specialty refreshes the clinician select (HTMX) with its clinicians — no search runs — and
    choosing one of them searches their free times only."""
    other = ClinicianFactory(first_name="Jan", last_name="Inny")
    other.specialties.add(world.slots[0].specialty)
    client = patient_client(world)
    page = client.get(url("portal:search")).content.decode()
    assert 'hx-target="#clinician-field"' in page
    fragment = client.get(
        url("portal:search"),
        {"specialty": "interna"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="clinician-field",
    ).content.decode()
    assert fragment.lstrip().startswith('<label for="id_clinician">')
    assert "Ewa Lekarska" in fragment and "Jan Inny" in fragment and 'id="results"' not in fragment
    only_other = client.get(url("portal:search"), world.search_params(clinician=other.pk)).content.decode()
    assert url("portal:book", world.slots[0].pk) not in only_other
    mine = client.get(url("portal:search"), world.search_params(clinician=world.slots[0].clinician_id))
    assert url("portal:book", world.slots[0].pk) in mine.content.decode()
