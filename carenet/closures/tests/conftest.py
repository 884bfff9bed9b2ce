"""Closures tests use the booking tests' small network (a facility in Warsaw, a clinician, an enrolled patient)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carenet.booking.tests.conftest import sqlite_file_database  # noqa: F401  (a fixture)
from carenet.booking.tests.factories import World, build_world
from carenet.coverage.selectors import coverage_items_cache_clear


@pytest.fixture(autouse=True)
def _fresh_coverage_cache() -> Iterator[None]:
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()


@pytest.fixture
def world(db: None) -> World:
    return build_world()
