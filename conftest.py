"""Suite-wide test setup. Markers: ``postgres`` tests skip on SQLite; ``replica`` ones without a streaming replica;
``browser`` tests need Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = connection.vendor
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_replica = pytest.mark.skip(reason="needs a streaming replica (CARENET_REPLICA_URLS=$(scripts/pg-replica-up))")
    has_replica = "replica_1" in settings.DATABASES
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(skip_pg)
        elif "replica" in item.keywords and not has_replica:
            item.add_marker(skip_replica)


@pytest.fixture(autouse=True)
def _search_lists_read_afresh() -> None:
    """The search form's lists are kept per process under the catalogue's token (issue 16); a test's rolled back
    transaction takes its token back with it, so every test starts without a copy (a test that inserts rows without
    save signals sees them, as the bulk loaders make every process see theirs by writing a new token)."""
    from carenet.network.selectors import search_lists_cache_clear

    search_lists_cache_clear()


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """A page requested under /en/ leaves English active in the test thread (LocaleMiddleware activates it and
    nothing deactivates it); every test starts from the default language, Polish, whatever ran before it."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def cast(db: None) -> Any:
    """The role cast (``tests.cast``): a person of every role, visits at two facilities, a free slot."""
    from tests.cast import build_cast

    return build_cast()
