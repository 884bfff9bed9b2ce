"""Issue 16: the search form's lists — specialties of active clinicians, cities with an active facility, languages —
are kept per process under the catalogue's token. A page under an unchanged token reads none of them; any change
(a save or delete of a city, facility, clinician, specialty or language, a clinician's specialties, a bulk load
that writes a new token, another process's change) is on the next page (SCH-2, NET-2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carenet.coverage.selectors import matrix_changed, matrix_version
from carenet.network.models import City, Clinician, Facility, Language
from carenet.network.tests.factories import CityFactory, ClinicianFactory, FacilityFactory, SpecialtyFactory
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db

LIST_TABLES = ('"network_city"', '"network_specialty"', '"network_language"')


@pytest.fixture
def world() -> World:
    return build_world()


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def select(html: str, name: str) -> str:
    start = html.index(f'<select name="{name}"')
    return html[start : html.index("</select>", start)]


def search_page(client: Client, **params: Any) -> str:
    response = client.get(url("portal:search"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", ["portal:search", "portal:home"])
def test_a_page_under_an_unchanged_token_reads_no_list(world: World, page: str) -> None:
    """Issue 16: the second page reads the token, not the specialties, cities or languages — and shows the same."""
    client = login(world.patient_a.user)
    with CaptureQueriesContext(connection) as first:
        html = client.get(url(page)).content.decode()
    with CaptureQueriesContext(connection) as second:
        again = client.get(url(page)).content.decode()
    assert select(again, "specialty") == select(html, "specialty")
    assert select(again, "city") == select(html, "city")
    read_lists = [q["sql"] for q in second.captured_queries if q["sql"].startswith("SELECT") and "FROM" in q["sql"]]
    listed = [sql for sql in read_lists if sql.split(" FROM ", 1)[1].split()[0] in LIST_TABLES]
    assert listed == []
    assert len(second) <= len(first) - 2


def test_a_new_city_with_a_facility_is_listed_at_the_next_page(world: World) -> None:
    client = login(world.patient_a.user)
    assert "Zakopane" not in select(search_page(client), "city")
    FacilityFactory(city=CityFactory(name="Zakopane"))
    assert "Zakopane" in select(search_page(client), "city")


def test_a_city_whose_last_facility_closes_for_good_leaves_the_list(world: World) -> None:
    client = login(world.patient_a.user)
    facility = FacilityFactory(city=CityFactory(name="Zakopane"))
    assert "Zakopane" in select(search_page(client), "city")
    facility.is_active = False
    facility.save()
    assert "Zakopane" not in select(search_page(client), "city")
    facility.is_active = True
    facility.save()
    assert "Zakopane" in select(search_page(client), "city")
    facility.delete()
    assert "Zakopane" not in select(search_page(client), "city")


def test_a_renamed_city_is_listed_under_its_new_name(world: World) -> None:
    client = login(world.patient_a.user)
    city = world.centre.city
    search_page(client)
    renamed = City.objects.get(pk=city.pk)
    renamed.name = "Nowe Miasto nad Wartą"
    renamed.save()
    assert "Nowe Miasto nad Wartą" in select(search_page(client), "city")


def test_a_specialty_follows_its_active_clinicians(world: World) -> None:
    """SCH-2: a specialty is listed while someone active practises it — a new clinician's specialty, a specialty
    added to a clinician, a clinician who leaves: each seen at the next page."""
    client = login(world.patient_a.user)
    rare = SpecialtyFactory(code="medycyna-podrozy", name="Medycyna podróży")
    assert "Medycyna podróży" not in select(search_page(client), "specialty")
    clinician = ClinicianFactory()
    clinician.specialties.add(rare)
    assert "Medycyna podróży" in select(search_page(client), "specialty")
    clinician.specialties.remove(rare)
    assert "Medycyna podróży" not in select(search_page(client), "specialty")
    clinician.specialties.add(rare)
    assert "Medycyna podróży" in select(search_page(client), "specialty")
    clinician.is_active = False
    clinician.save()
    assert "Medycyna podróży" not in select(search_page(client), "specialty")


def test_a_new_language_is_listed_at_the_next_page(world: World) -> None:
    client = login(world.patient_a.user)
    assert 'value="sw"' not in select(search_page(client), "language")
    Language.objects.create(code="sw", name="Język suahili", name_en="Swahili")
    assert 'value="sw"' in select(search_page(client), "language")


def test_a_change_another_process_made_is_seen_by_its_new_token(world: World) -> None:
    """A change without save signals here (a bulk update, another process's back office) reaches this process by
    the token the change wrote: the next page reads the lists again."""
    client = login(world.patient_a.user)
    assert "Zakopane" not in select(search_page(client), "city")
    facility = FacilityFactory(city=CityFactory(name="Zakopane"), is_active=False)
    assert "Zakopane" not in select(search_page(client), "city")
    Facility.objects.filter(pk=facility.pk).update(is_active=True)  # no signal: the lists kept stay
    before = matrix_version()
    matrix_changed()  # what the other process's change, or a bulk loader, writes
    assert matrix_version() != before
    assert "Zakopane" in select(search_page(client), "city")
    Clinician.objects.filter(pk__in=[c.pk for c in Clinician.objects.all()]).update(is_active=False)
    matrix_changed()
    assert select(search_page(client), "specialty").count("<option") == 1  # only "— choose —"


def test_a_chosen_city_is_still_validated_against_the_database(world: World) -> None:
    """The lists kept serve the options; the choice itself is checked by the database, so a city without an
    active facility is refused even while a page lists it."""
    client = login(world.patient_a.user)
    facility = FacilityFactory(city=CityFactory(name="Zakopane"))
    search_page(client)
    Facility.objects.filter(pk=facility.pk).update(is_active=False)  # no new token
    response = client.get(
        url("portal:search"), {"city": facility.city_id, "specialty": "interna", "visit_kind": "in_person"}
    )
    assert response.status_code == 200
    assert "Zakopane" in select(response.content.decode(), "city")  # the option kept under the unchanged token
    assert response.context["form"].errors.get("city")
