"""The login sessions' store (``SESSION_ENGINE``): Django's database sessions — the same table, the same rows, the
same expiry —, with the read every page makes of its session row baked (issue 16, SPEC PERF).

Django builds and compiles ``Session.objects.get(session_key=…, expire_date__gt=now)`` on every request; the
statement is compiled once per process here (:mod:`carenet.core.baked`) and run with the request's key and time.
Nothing is kept between requests: each one reads its row, so a logout or an expired session counts at once."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from carenet.core.baked import BakedQuery


def _live_session(_shape: None, *, session_key: str, now: dt.datetime) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now)[:1]


_LIVE_SESSION = BakedQuery(Session, _live_session)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _LIVE_SESSION.first(session_key=self.session_key, now=timezone.now())
        if found is None:
            self._session_key = None  # as Django's store: an unknown or expired key starts a new session
        return found
