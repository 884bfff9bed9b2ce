"""A kept database connection is checked before a request only after it has been idle (issue 16, SPEC PERF;
carenet/core/connection_checks.py): the check Django's CONN_HEALTH_CHECKS sends is skipped for a connection that
ended a request cleanly within CARENET_DB_RECHECK_AFTER_SECONDS, and kept for an idle one, one that had an error,
and when the window is 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import connections

from carenet.core import connection_checks

pytestmark = pytest.mark.django_db

connection = connections["default"]  # the wrapper itself, not the proxy: the test sets attributes on it


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch, settings: object) -> Iterator[dict[str, object]]:
    """The test's connection with health checks on, Django's own receivers out of the way (they would close the test's
    connection), a clock the test moves, and a count of the checks actually made."""
    state: dict[str, object] = {"now": 1000.0, "checks": 0}
    connection.ensure_connection()
    monkeypatch.setattr(connection, connection_checks._CLEAN_AT, None, raising=False)  # nothing known of it yet
    monkeypatch.setattr(connection_checks, "_monotonic", lambda: state["now"])
    monkeypatch.setattr(connection, "health_check_enabled", True, raising=False)
    real_is_usable = connection.is_usable

    def counting_is_usable() -> bool:
        state["checks"] = int(state["checks"]) + 1  # type: ignore[call-overload]
        return real_is_usable()

    monkeypatch.setattr(connection, "is_usable", counting_is_usable)
    settings.CARENET_DB_RECHECK_AFTER_SECONDS = 1.0  # type: ignore[attr-defined]
    yield state
    connection.errors_occurred = False


def request(state: dict[str, object], *, error: bool = False) -> None:
    """One request on this thread: its start (the check skipped or not), its first query, its end."""
    connection.health_check_done = False  # what Django's close_old_connections does at every request's start
    connection_checks.skip_recent_checks()
    connection.close_if_health_check_failed()  # what the request's first query does
    connection.errors_occurred = error
    connection_checks.note_clean_end()


def test_a_connection_used_a_moment_ago_is_not_checked_again(checked: dict[str, object]) -> None:
    request(checked)  # the first request on the connection: nothing known of it, checked
    assert checked["checks"] == 1
    for _ in range(5):
        checked["now"] = float(checked["now"]) + 0.2  # type: ignore[arg-type]
        request(checked)
    assert checked["checks"] == 1


def test_an_idle_connection_is_checked(checked: dict[str, object]) -> None:
    request(checked)
    checked["now"] = float(checked["now"]) + 1.0  # type: ignore[arg-type]
    request(checked)
    assert checked["checks"] == 2


def test_a_connection_whose_request_had_an_error_is_checked(checked: dict[str, object]) -> None:
    request(checked, error=True)
    checked["now"] = float(checked["now"]) + 0.01  # type: ignore[arg-type]
    request(checked)
    assert checked["checks"] == 2


def test_a_window_of_zero_checks_every_request(checked: dict[str, object], settings: object) -> None:
    settings.CARENET_DB_RECHECK_AFTER_SECONDS = 0  # type: ignore[attr-defined]
    for _ in range(3):
        request(checked)
    assert checked["checks"] == 3


def test_the_receivers_are_connected_to_the_request_signals() -> None:
    assert any(entry[0][0] == "carenet-skip-recent-db-checks" for entry in request_started.receivers)
    assert any(entry[0][0] == "carenet-note-clean-db-ends" for entry in request_finished.receivers)
