"""Coverage test fixtures: the matrix loaded once per test package, rolled back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from carenet.coverage.matrix import MatrixLoadResult, matrix_load
from carenet.coverage.selectors import coverage_items_cache_clear


@pytest.fixture(scope="package")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[MatrixLoadResult]:
    """Load ``data/matrix.yaml`` once inside an outer transaction; each test's own transaction nests in it (a
    savepoint), and the whole load is rolled back when the package's tests are done, so other apps' tests never
    see it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            result = matrix_load()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    coverage_items_cache_clear()


@pytest.fixture(autouse=True)
def _fresh_items_cache() -> Iterator[None]:
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()
