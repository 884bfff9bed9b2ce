"""Arrival tests run on the booking tests' small network (see ``carenet.booking.tests.factories``)."""

from carenet.booking.tests.conftest import _fresh_coverage_cache, sqlite_file_database, world

__all__ = ["_fresh_coverage_cache", "sqlite_file_database", "world"]
