"""What a process keeps under a version token (issue 16, SPEC PERF): values read from the database once and used
until the token stored beside them changes — the coverage matrix and the catalogue under
``coverage.MatrixVersion``, the search form's lists. Whoever changes the data writes a new token; every process
compares its token with the one it reads per request and reads the values again after a change."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class KeptUnderToken:
    """Values by key, all read under one token: a different token forgets them all."""

    def __init__(self) -> None:
        self._token: int | None = None
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, token: int, key: Hashable, load: Callable[[], T]) -> T:
        """The value of ``key`` read under ``token``: ``load()`` once per token and key. A value read while another
        request moved to a newer token is returned but not kept."""
        with self._lock:
            if self._token != token:
                self._values.clear()
                self._token = token
            if key in self._values:
                kept: T = self._values[key]
                return kept
        value = load()
        with self._lock:
            if self._token == token:
                self._values[key] = value
        return value

    def clear(self) -> None:
        """Forget everything (the next request reads the values again)."""
        with self._lock:
            self._values.clear()
            self._token = None
