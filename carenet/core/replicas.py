"""Reads on PostgreSQL streaming replicas (issue 16, PERF): searches and read-only pages scale out, writes do not.

``CARENET_REPLICA_URLS`` (comma-separated) adds the databases ``replica_1`` … ``replica_n`` (config.settings); without
it there is one database and nothing here runs. Where a request may read is decided in ONE place,
:class:`ReplicaReadsMiddleware`, for the GET and HEAD requests of :data:`REPLICA_ROUTES` only; :class:`ReplicaRouter`
then follows that decision and never guesses:

- a booking and every other write go to the primary, and once a request has written (or opened a transaction on the
  primary) the rest of its reads go there too, so a transaction that writes never mixes in a replica's older rows;
- read-your-writes: a request that may change something (POST, PUT, PATCH, DELETE) leaves a signed cookie "wrote at
  T", and the same browser or app reads from the primary for ``CARENET_REPLICA_PIN_SECONDS`` afterwards (a few
  seconds more than the replication lag we accept), so a patient sees the visit they booked at once on "Moje wizyty";
- the login session and the user are loaded on the primary before a replica is chosen, and a bearer token is looked
  up there (carenet.api.auth), so a logout or a revoked token counts at once;
- a replica that does not answer is skipped for a few seconds and the request reads from the primary: no 500; one
  whose replay is more than ``CARENET_REPLICA_MAX_LAG_SECONDS`` behind what it received is skipped for that request;
- background work (the worker, the scheduler, management commands) never passes the middleware: all on the primary;
- migrations run on the primary only; a replica receives them by streaming.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA_PREFIX = "replica_"
#: The signed cookie "this browser or app wrote at T" (read-your-writes).
PIN_COOKIE = "carenet_wrote"
PIN_SALT = "carenet.core.replicas.pin"
SAFE_METHODS = frozenset({"GET", "HEAD"})
#: The routes whose GET may read from a replica (``namespace:name``): the slot search (API and portal), the
#: facilities' catalogue and "Moje wizyty". Everything else reads from the primary.
REPLICA_ROUTES = frozenset({"api:slot_list", "portal:search", "portal:facilities", "portal:visits"})
#: A replica that did not answer is not tried again for this long (each try may wait for a connect timeout).
RETRY_SECONDS = 5.0

#: The replica this request reads from; None: the primary (every request by default, and all background work).
_reads_from: ContextVar[str | None] = ContextVar("carenet_reads_from", default=None)
_down_until: dict[str, float] = {}
_turn = itertools.count()
_turn_lock = threading.Lock()


def replica_aliases() -> list[str]:
    """The replicas configured (``replica_1`` …), in order."""
    return sorted(alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX))


def reads_from() -> str:
    """The database this request's reads go to now (for tests and the benchmark's checks)."""
    return _reads_from.get() or PRIMARY


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside the block go to the primary whatever the request chose (authentication state)."""
    token = _reads_from.set(None)
    try:
        yield
    finally:
        _reads_from.reset(token)


#: Fresh enough: it has replayed all it received, or its last replayed commit is at most this old (%s seconds).
#: On the primary (a mirror in the tests) both positions are NULL: fresh.
FRESH_SQL = (
    "SELECT pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()"
    " OR now() - pg_last_xact_replay_timestamp() <= make_interval(secs => %s)"
)


FRESH, BEHIND, DOWN = "fresh", "behind", "down"


def replica_state(alias: str) -> str:
    """:data:`FRESH` (answers, within the lag budget: ``CARENET_REPLICA_MAX_LAG_SECONDS`` of replay behind what it
    received), :data:`BEHIND` or :data:`DOWN`. One round trip per request: it stands for Django's own health check
    of the connection (a kept connection that fails it is opened again once)."""
    connection = connections[alias]
    for attempt in (1, 2):
        kept = connection.connection is not None
        try:
            connection.health_check_done = True  # type: ignore[attr-defined]  # (not in django-stubs)
            with connection.cursor() as cursor:
                cursor.execute(FRESH_SQL, [float(settings.CARENET_REPLICA_MAX_LAG_SECONDS)])
                return FRESH if cursor.fetchone()[0] else BEHIND
        except DatabaseError:
            connection.close()
            if not kept or attempt == 2:
                break
    return DOWN


def replica_choose() -> str | None:
    """A replica that answers and is not behind, round-robin from one request to the next; None when none is (the
    primary)."""
    aliases = replica_aliases()
    if not aliases:
        return None
    with _turn_lock:
        start = next(_turn)
    for offset in range(len(aliases)):
        alias = aliases[(start + offset) % len(aliases)]
        if _down_until.get(alias, 0.0) > time.monotonic():
            continue
        state = replica_state(alias)
        if state == FRESH:
            _down_until.pop(alias, None)
            return alias
        if state == DOWN:
            _down_until[alias] = time.monotonic() + RETRY_SECONDS
    return None


def pinned_to_primary(request: HttpRequest) -> bool:
    """Read-your-writes: this browser or app changed something within the last ``CARENET_REPLICA_PIN_SECONDS``."""
    wrote_at = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT, max_age=pin_seconds())
    return wrote_at is not None


def pin_seconds() -> int:
    return int(settings.CARENET_REPLICA_PIN_SECONDS)


class ReplicaReadsMiddleware:
    """The one place that decides where a request reads (see the module's docstring). Last in MIDDLEWARE: the
    session, the user and the second login step are settled on the primary before any replica is chosen."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _reads_from.set(None)
        try:
            response = self.get_response(request)
        finally:
            _reads_from.set(None)
        if request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE,
                str(int(time.time())),
                salt=PIN_SALT,
                max_age=pin_seconds(),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        match = request.resolver_match
        if request.method not in SAFE_METHODS or match is None or match.view_name not in REPLICA_ROUTES:
            return None
        if pinned_to_primary(request):
            return None
        # The session and the user from the primary (lazy until now): a login or logout a moment ago counts.
        user = getattr(request, "user", None)
        if user is not None:
            _ = user.is_authenticated
        _reads_from.set(replica_choose())
        return None


class ReplicaRouter:
    """Follows the middleware's decision: reads go where it chose, unless the request has written since or is in a
    transaction on the primary; writes and migrations always go to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _reads_from.get()
        if alias is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        if _reads_from.get() is not None:
            _reads_from.set(None)  # the rest of a request that writes reads what it wrote
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replicas are copies of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db.startswith(REPLICA_PREFIX):
            return False
        return None
