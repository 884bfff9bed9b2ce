"""When a database connection is checked before a request uses it (SPEC PERF, issue 16).

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every request on a kept connection,
so a connection the server dropped (a restart, a failover, an idle timeout) is replaced instead of failing the
request. Under load a connection serves a request every few milliseconds, and that check was one statement in eight
of a search: its round trip and the server's work for it, on every request.

As a connection pooler does (PgBouncer's ``server_check_delay``), a connection is checked only when it has been
idle for longer than ``CARENET_DB_RECHECK_AFTER_SECONDS`` (default 1; 0 checks before every request, Django's own
behaviour): a connection whose previous request ended cleanly a moment ago is used as it is. A connection whose
request had an error is checked before the next one (Django also checks it at the end of that request and closes it
if it is broken). A connection the server dropped within the window is not noticed before the request: that request
fails, as any request fails when the server goes away while it runs, Django closes the connection at its end, and
the next request opens a new one.

Both receivers run after Django's own ``close_old_connections`` (connected when ``django.db`` is imported, before
any app is ready), in the request's own thread, on that thread's connections."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections

#: The moment (``time.monotonic()``) a connection's last request ended cleanly.
_CLEAN_AT = "_carenet_clean_at"
_monotonic = time.monotonic


def recheck_after() -> float:
    return float(getattr(settings, "CARENET_DB_RECHECK_AFTER_SECONDS", 1.0))


def note_clean_end(**_kwargs: Any) -> None:
    """At the end of a request: when each open connection of this thread ended it without an error."""
    now = _monotonic()
    for connection in connections.all(initialized_only=True):
        clean = connection.connection is not None and not connection.errors_occurred
        setattr(connection, _CLEAN_AT, now if clean else None)


def skip_recent_checks(**_kwargs: Any) -> None:
    """At the start of a request: a connection that ended a request cleanly within the window needs no check."""
    window = recheck_after()
    if window <= 0:
        return
    now = _monotonic()
    for connection in connections.all(initialized_only=True):
        clean_at = getattr(connection, _CLEAN_AT, None)
        if connection.connection is None or clean_at is None or not getattr(connection, "health_check_enabled", False):
            continue
        if now - clean_at < window:
            connection.health_check_done = True  # type: ignore[attr-defined]  # Django's own flag, set per request
        setattr(connection, _CLEAN_AT, None)  # used once: the next request's start needs this one's clean end


def connect() -> None:
    request_started.connect(skip_recent_checks, dispatch_uid="carenet-skip-recent-db-checks")
    request_finished.connect(note_clean_end, dispatch_uid="carenet-note-clean-db-ends")
