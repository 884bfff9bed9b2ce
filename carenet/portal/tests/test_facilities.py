"""NET-1 / NET-2 / PKG-7: the public facility directory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.network.tests.factories import CityFactory, FacilityFactory

pytestmark = pytest.mark.django_db


def test_net2_partner_facilities_show_their_phone_and_no_portal_booking(client: Client) -> None:
    FacilityFactory(partner=True, name="Przychodnia Pod Lipami", phone="+48 71 555 10 10")
    page = client.get(reverse("portal:facilities")).content.decode()
    assert "Przychodnia Pod Lipami" in page
    assert "+48 71 555 10 10" in page
    assert "by phone or in person" in page or "telefonicznie lub osobiście" in page


def test_filters_by_city_and_kind(client: Client) -> None:
    krakow, gdansk = CityFactory(name="Kraków"), CityFactory(name="Gdańsk")
    FacilityFactory(city=krakow, name="Centrum Kraków")
    FacilityFactory(city=gdansk, name="Centrum Gdańsk")
    FacilityFactory(city=krakow, partner=True, name="Partner Kraków")
    page = client.get(reverse("portal:facilities"), {"city": krakow.pk, "kind": "own"}).content.decode()
    assert "Centrum Kraków" in page
    assert "Centrum Gdańsk" not in page and "Partner Kraków" not in page


def test_bad_filter_values_show_everything_with_a_form_error_not_a_crash(client: Client) -> None:
    FacilityFactory(name="Centrum Widoczne")
    response = client.get(reverse("portal:facilities"), {"city": "x", "kind": "hospital", "page": "-3"})
    assert response.status_code == 200
    assert "Centrum Widoczne" in response.content.decode()


def test_htmx_request_gets_only_the_results_fragment(client: Client) -> None:
    FacilityFactory(name="Centrum Fragment")
    response = client.get(reverse("portal:facilities"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body and "Centrum Fragment" in body


def test_paginated_and_query_count_does_not_grow_with_the_network(client: Client) -> None:
    FacilityFactory.create_batch(5)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("portal:facilities"))
    FacilityFactory.create_batch(60)
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("portal:facilities"), {"page": 2}).content.decode()
    assert len(large) == len(small)
    assert "page=3" in body  # 65 facilities, 20 a page
