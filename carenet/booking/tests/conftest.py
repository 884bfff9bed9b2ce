"""Booking test fixtures: a small network (see factories), a clean coverage cache, a file SQLite for races."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from carenet.coverage.selectors import coverage_items_cache_clear

from .factories import World, build_world


@pytest.fixture(autouse=True)
def _fresh_coverage_cache() -> Iterator[None]:
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def sqlite_file_database(tmp_path: Path) -> Iterator[Path]:
    """BKG-2 on SQLite needs real concurrent connections: the test suite's in-memory database (shared cache) has
    table locks that a busy timeout does not wait for, so a race test switches the default connection to a copy
    of the test database in a file (WAL, BEGIN IMMEDIATE, busy timeout — exactly as in production) and back."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    connection.ensure_connection()
    target = tmp_path / "race.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()
    original_name = connection.settings_dict["NAME"]
    in_memory = connection.connection
    connection.connection = None
    connection.settings_dict["NAME"] = str(target)
    try:
        yield target
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
        connection.connection = in_memory
