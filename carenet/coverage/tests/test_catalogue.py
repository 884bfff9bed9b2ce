"""The catalogue's services kept per process under the coverage matrix's token (PERF, issue 16): a search reads
them without a query, and still sees every change of a service or a specialty at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.coverage.selectors import catalogue_services, coverage_items_cache_clear, matrix_version
from carenet.network.models import Service
from carenet.network.tests.factories import ServiceFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def test_the_services_are_read_once_under_the_token() -> None:
    service = ServiceFactory(name="Konsultacja A")
    coverage_items_cache_clear()
    version = matrix_version()
    assert catalogue_services({service.pk}, version=version)[service.pk].name == "Konsultacja A"
    with CaptureQueriesContext(connection) as queries:
        found = catalogue_services({service.pk}, version=version)
    assert found[service.pk].specialty.code == service.specialty.code
    assert len(queries) == 0, [query["sql"] for query in queries.captured_queries]


def test_a_change_of_a_service_or_its_specialty_is_seen_at_once() -> None:
    service = ServiceFactory(name="Konsultacja A")
    assert catalogue_services({service.pk})[service.pk].name == "Konsultacja A"
    service.name = "Konsultacja B"
    service.save()
    assert catalogue_services({service.pk})[service.pk].name == "Konsultacja B"
    specialty = service.specialty
    specialty.name = "Choroby wewnętrzne (nowa nazwa)"
    specialty.save()
    assert catalogue_services({service.pk})[service.pk].specialty.name == "Choroby wewnętrzne (nowa nazwa)"


def test_a_service_added_without_a_save_is_read_from_the_database() -> None:
    known = ServiceFactory()
    assert set(catalogue_services({known.pk})) == {known.pk}
    specialty = SpecialtyFactory()
    (added,) = Service.objects.bulk_create(
        [
            Service(
                code="bulk-added",
                name="Dodana hurtem",
                kind=Service.Kind.CONSULTATION,
                specialty=specialty,
                base_price=Decimal(100),
            )
        ]
    )
    found = catalogue_services({known.pk, added.pk})
    assert set(found) == {known.pk, added.pk}
    assert found[added.pk].specialty.pk == specialty.pk
    assert catalogue_services({987654321}) == {}
