"""The visit search form at network scale (SCH-2): the facility select lists only the chosen city's facilities, the
city select refreshes it through HTMX (behind the search page's own access rules), a facility of another city is
refused without searching, and the page costs the same number of queries however many facilities the network has."""

from __future__ import annotations

import itertools
import re
from typing import Any
from unittest import mock

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext

from carenet.api.tests.factories import CityFactory, ClinicianFactory, FacilityFactory, SpecialtyFactory
from carenet.core import clock
from carenet.network import selectors as network_selectors
from carenet.network.models import Facility
from carenet.portal.tests.booking_world import World, booked, build_world, url
from carenet.web import booking_flow
from carenet.web.forms import QuickSelect

pytestmark = pytest.mark.django_db

HTMX_FACILITY_REFRESH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "facility-field"}


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def krakow_centre() -> Facility:
    return FacilityFactory(city=CityFactory(name="Kraków"), name="CareNet Centrum Kazimierz")


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def facility_options(html: str) -> str:
    """The facility select of a page or fragment, from its opening tag to its end."""
    start = html.index('<select name="facility"')
    return html[start : html.index("</select>", start)]


# --- What the facility select lists --------------------------------------------------------------------------------


def test_sch2_without_a_city_no_facility_is_listed(world: World, krakow_centre: Facility) -> None:
    """SCH-2: the first page a patient sees asks for a city before offering facilities — no network-wide list."""
    html = login(world.patient_a.user).get(url("portal:search")).content.decode()
    options = facility_options(html)
    assert options.count("<option") == 1
    assert "— choose a city first —" in options
    for facility in (world.centre, world.other_centre, krakow_centre):
        assert facility.name not in html
    assert '<label for="id_facility">' in html  # the select keeps its label
    assert '<div id="facility-field" aria-live="polite">' in html


def test_sch2_with_a_city_only_its_facilities_are_listed(world: World, krakow_centre: Facility) -> None:
    """SCH-2: choosing a city (and submitting, without JavaScript) re-renders the form with that city's facilities."""
    FacilityFactory(city=world.centre.city, name="CareNet Centrum Zamknięte", is_active=False)
    FacilityFactory(partner=True, city=world.centre.city, name="Przychodnia Partnerska Ochota")
    html = login(world.patient_a.user).get(url("portal:search"), {"city": world.centre.city.pk}).content.decode()
    options = facility_options(html)
    assert world.centre.name in options and world.other_centre.name in options
    assert options.count("<option") == 3  # "any" and the city's two active own centres
    assert krakow_centre.name not in html  # another city's facility is nowhere on the page
    assert "CareNet Centrum Zamknięte" not in options and "Przychodnia Partnerska Ochota" not in options
    assert f'<option value="{world.centre.city.pk}" selected>' in html


def test_the_facility_select_reads_only_the_ids_and_names_of_a_citys_facilities(world: World) -> None:
    """Issue 16: a large city lists hundreds of facilities on every search page; their opening hours (a JSON document
    each) and the rest of the row are not read for a select that shows names."""
    with CaptureQueriesContext(connection) as captured:
        response = login(world.patient_a.user).get(url("portal:search"), {"city": world.centre.city.pk})
    assert world.centre.name in facility_options(response.content.decode())
    listed = [q["sql"] for q in captured if 'FROM "network_facility"' in q["sql"] and "ORDER BY" in q["sql"]]
    listed = [sql for sql in listed if '"network_facility"."city_id" = ' in sql]
    assert listed, [q["sql"] for q in captured]
    for sql in listed:
        columns = re.sub(r' AS "\w+"', "", sql.split(" FROM ", 1)[0])  # the columns, whatever their aliases
        assert columns == 'SELECT "network_facility"."id", "network_facility"."name"', sql


def test_sch2_a_facility_of_another_city_is_refused_and_nothing_is_searched(
    world: World, krakow_centre: Facility
) -> None:
    """SCH-2: a facility that is not in the chosen city (a stale page, a hand-made link) is a clear form error; the
    search does not run."""
    client = login(world.patient_a.user)
    params = world.search_params(city=world.centre.city.pk, facility=krakow_centre.pk)
    with mock.patch.object(booking_flow, "slot_search", wraps=booking_flow.slot_search) as search:
        response = client.get(url("portal:search"), params)
        htmx = client.get(url("portal:search"), params, HTTP_HX_REQUEST="true")
    assert search.call_count == 0
    assert response.status_code == 200 and response.context["results"] is None
    error = "CareNet Centrum Kazimierz is not in the chosen city (Warszawa)."
    assert error in response.content.decode()
    assert "included in the package" not in response.content.decode()
    # An HTMX search answers with the results region and puts the error next to the facility field.
    fragment = htmx.content.decode()
    assert '<div id="facility-field" hx-swap-oob="innerHTML">' in fragment and error in fragment
    assert "included in the package" not in fragment


def test_sch2_a_facility_without_a_city_is_searched_anywhere(world: World) -> None:
    """SCH-2: with no city chosen any active own facility is accepted (a saved link), and the select keeps it."""
    params = world.search_params(facility=world.other_centre.pk)
    response = login(world.patient_a.user).get(url("portal:search"), params)
    html = response.content.decode()
    assert response.context["results"] is not None
    assert url("portal:book", world.other_slot.pk) in html
    assert url("portal:book", world.slots[0].pk) not in html  # the other centre's slots only
    assert f'<option value="{world.other_centre.pk}" selected>{world.other_centre.name}</option>' in html


# --- The HTMX refresh ----------------------------------------------------------------------------------------------


def test_sch2_the_city_select_refreshes_the_facility_field(world: World) -> None:
    """SCH-2: the city select asks the search page for the facility field alone when it changes."""
    html = login(world.patient_a.user).get(url("portal:search")).content.decode()
    city = html[html.index('hx-target="#facility-field"') - 300 : html.index('<select name="city"')]
    assert f'hx-get="{url("portal:search")}"' in city
    assert 'hx-trigger="change"' in city and 'hx-include="#id_city"' in city and 'hx-push-url="false"' in city


def test_sch2_the_htmx_refresh_answers_with_the_facility_select_only(world: World, krakow_centre: Facility) -> None:
    """SCH-2: an HTMX request aimed at the facility field gets the label and the select of the city's facilities —
    no page, no results, no search."""
    client = login(world.patient_a.user)
    with mock.patch.object(booking_flow, "slot_search") as search:
        response = client.get(url("portal:search"), {"city": world.centre.city.pk}, **HTMX_FACILITY_REFRESH)
    assert search.call_count == 0
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<label for="id_facility">')
    assert "<html" not in html and 'id="results"' not in html and 'name="city"' not in html
    assert world.centre.name in html and world.other_centre.name in html
    assert krakow_centre.name not in html
    other_city = client.get(url("portal:search"), {"city": krakow_centre.city_id}, **HTMX_FACILITY_REFRESH)
    assert krakow_centre.name in other_city.content.decode()
    assert world.centre.name not in other_city.content.decode()
    no_city = client.get(url("portal:search"), {"city": ""}, **HTMX_FACILITY_REFRESH).content.decode()
    assert "— choose a city first —" in no_city and facility_options(no_city).count("<option") == 1


def test_sch2_the_htmx_refresh_keeps_the_search_pages_access_rules(world: World) -> None:
    """SCH-2: the refresh is the search page itself — anonymous visitors go to the login, staff get the 403 page."""
    page = url("portal:search") + f"?city={world.centre.city.pk}"
    anonymous = Client().get(page, **HTMX_FACILITY_REFRESH)
    assert anonymous.status_code == 302 and anonymous.url.startswith(url("portal:login"))
    for role in ("call_centre", "receptionist", "clinician", "coordinator", "admin"):
        response = login(world.staff[role]).get(page, **HTMX_FACILITY_REFRESH)
        assert response.status_code == 403, role
        assert world.other_centre.name not in response.content.decode()


def test_sch2_a_reschedule_refreshes_the_facility_field_through_the_patients_search_page(world: World) -> None:
    """SCH-2: "Zmień termin" uses the same form; its city select asks the patient's search page. Issue 14: it opens
    on the visit's city, so the facility select lists that city's facilities with the visit's one chosen."""
    appointment = booked(world.patient_a, world.slots[0])
    html = login(world.patient_a.user).get(url("portal:reschedule", appointment.pk)).content.decode()
    assert f'hx-get="{url("portal:search")}"' in html
    options = facility_options(html)
    assert f'<option value="{world.centre.pk}" selected>' in options and world.other_centre.name in options


def test_sch2_the_call_centre_refreshes_through_its_own_console(world: World, krakow_centre: Facility) -> None:
    """SCH-2 in the consoles: the operator's city select asks the console's search page, which keeps its access
    rules (patients and clinicians 403, anonymous users to the staff login)."""
    page = url("staff:patient_search", world.patient_a.pk)
    client = login(world.staff["call_centre"])
    html = client.get(page).content.decode()
    assert f'hx-get="{page}"' in html
    fragment = client.get(page, {"city": world.centre.city.pk}, **HTMX_FACILITY_REFRESH).content.decode()
    assert fragment.lstrip().startswith('<label for="id_facility">')
    assert world.centre.name in fragment and krakow_centre.name not in fragment
    refresh = page + f"?city={world.centre.city.pk}"
    anonymous = Client().get(refresh, **HTMX_FACILITY_REFRESH)
    assert anonymous.status_code == 302 and anonymous.url.startswith(url("staff:login"))
    for user in (world.patient_a.user, world.staff["clinician"], world.staff["coordinator"]):
        response = login(user).get(refresh, **HTMX_FACILITY_REFRESH)
        assert response.status_code == 403
        assert world.centre.name not in response.content.decode()


def test_sch2_a_reception_desk_keeps_its_fixed_facility(world: World) -> None:
    """SCH-2 at the desk: a receptionist's search is fixed to their facility — no city or facility select."""
    html = login(world.staff["receptionist"]).get(url("staff:patient_search", world.patient_a.pk)).content.decode()
    assert 'name="facility"' not in html and 'name="city"' not in html
    assert 'id="facility-field"' not in html


# --- Scale ---------------------------------------------------------------------------------------------------------


def page_queries(client: Client, path: str, params: dict[str, Any], **headers: Any) -> list[str]:
    client.get(path, params, **headers)  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params, **headers).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_sch2_the_search_page_costs_the_same_queries_with_3_or_30_facilities_elsewhere(
    world: World, time_machine: Any
) -> None:
    """SCH-2 at network scale: the query count of the search page — first view, a chosen city, the HTMX refresh —
    does not grow with the facilities of other cities, and none of them is on the page."""
    time_machine.move_to(clock.now(), tick=False)  # both counts on one day: the page's work depends on today
    client = login(world.patient_a.user)
    path = url("portal:search")
    city = {"city": world.centre.city.pk}
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [({}, {}), (city, {}), (city, HTMX_FACILITY_REFRESH)]

    def add_facilities(count: int) -> list[Facility]:
        return [FacilityFactory(city=CityFactory(name=f"Miasto {n}")) for n in range(count)]

    few = add_facilities(3)
    small = [page_queries(client, path, params, **headers) for params, headers in cases]
    many = add_facilities(27)
    large = [page_queries(client, path, params, **headers) for params, headers in cases]
    for before, after in zip(small, large, strict=True):
        assert len(after) == len(before), after
    html = client.get(path, city).content.decode()
    for facility in few + many:
        assert facility.name not in html


def test_sch2_specialties_are_found_with_exists_over_active_clinicians() -> None:
    """SCH-2: the specialty list holds specialties with an active clinician, asked with a correlated EXISTS — not a
    DISTINCT over every clinician's specialties."""
    practised = SpecialtyFactory(code="kardiologia", name="Kardiologia")
    retired = SpecialtyFactory(code="geriatria", name="Geriatria")
    SpecialtyFactory(code="nikt", name="Bez lekarzy")
    ClinicianFactory().specialties.add(practised)
    ClinicianFactory(is_active=False).specialties.add(retired)
    second = ClinicianFactory()
    second.specialties.add(practised)
    specialties = network_selectors.specialties_with_active_clinicians()
    assert list(specialties) == [practised]
    sql = str(specialties.query).upper()
    assert "EXISTS" in sql and "DISTINCT" not in sql


def test_the_quick_select_writes_the_html_of_djangos_select() -> None:
    """B4: the search form's selects are written in Python; the HTML means the same as Django's own (escaping, the
    selected option, option groups, required and aria attributes)."""
    choices = [("", "— any <&> —"), ("1", 'Łódź & "Bałuty"'), ("Group", [("2", "two"), ("3", "three")])]

    class Both(forms.Form):
        django = forms.ChoiceField(choices=choices)
        quick = forms.ChoiceField(choices=choices, widget=QuickSelect)

    for data in ({}, {"django": "3", "quick": "3"}, {"django": "", "quick": ""}):
        form = Both(data or None)
        form.is_valid()
        django = str(form["django"]).replace("django", "field")
        quick = str(form["quick"]).replace("quick", "field")
        assert parse_html(quick) == parse_html(django), (quick, django)


def test_a_quick_select_is_written_as_its_option_groups_would_write_it() -> None:
    """Issue 16: a select is written straight from its choices — byte for byte what Django's option groups give,
    flat or grouped, with nothing, an unknown value, the empty choice or a value chosen (the first match only)."""
    flat = [("", "— any <&> —"), ("1", 'Łódź & "Bałuty"'), ("2", "two"), ("2", "again two"), (None, "none")]
    grouped = [("Recent <1>", [("2", "two"), ("5", "five")]), ("All", flat), ("", [("7", "seven")])]
    for choices, value in itertools.product((flat, grouped), (None, "", "1", "2", "5", "7", "999", 1)):
        widget = QuickSelect(choices=choices, attrs={"aria-describedby": "hint"})
        fast = widget.render("city", value, attrs={"id": "id_city", "required": True})
        groups = widget._render_groups("city", value, attrs={"id": "id_city", "required": True})
        assert fast == groups, (choices, value)
    assert QuickSelect(choices=grouped).render("city", "2").count(" selected") == 1


def test_the_kept_specialty_labels_follow_the_language_and_a_new_catalogue() -> None:
    """Issue 16: the sorted, labelled specialties are kept per list read and language — Polish and English pages
    each get their own labels, and a list read again after a catalogue change (a new tuple) is labelled again."""
    from django.utils import translation

    from carenet.web.forms import specialty_choices

    first = (
        SpecialtyFactory(code="interna", name="Choroby wewnętrzne", name_en="Internal medicine",
                         patient_name="internista", patient_name_en="internist"),
        SpecialtyFactory(code="derma", name="Dermatologia", name_en="Dermatology", patient_name="", patient_name_en=""),
    )  # fmt: skip
    with translation.override("pl"):
        assert specialty_choices(first) == [("derma", "Dermatologia"), ("interna", "internista (Choroby wewnętrzne)")]
    with translation.override("en"):
        assert specialty_choices(first) == [("derma", "Dermatology"), ("interna", "internist (Internal medicine)")]
    first[1].name = "Alergologia"
    renamed = (first[0], first[1])  # the catalogue read again: another tuple
    with translation.override("pl"):
        assert specialty_choices(first)[0] == ("derma", "Dermatologia")  # the kept labels of the tuple kept
        assert specialty_choices(renamed)[0] == ("derma", "Alergologia")
        grouped = specialty_choices(renamed, preferred=["interna"])
        assert grouped[0][1] == [("interna", "internista (Choroby wewnętrzne)")] and len(grouped[1][1]) == 2
