"""Helpers for tests with real concurrency (STYLE: lock and race tests with real threads, ``transaction=True``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_in_threads(count: int, target: Callable[[int], None], *, timeout: float = 120) -> list[BaseException]:
    """Run ``target(number)`` in ``count`` threads released together by a barrier, each on its own database
    connection (closed at the end); returns what the threads raised, for the test to assert on."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)
    lock = threading.Lock()

    def body(number: int) -> None:
        try:
            barrier.wait()
            target(number)
        except BaseException as error:  # noqa: BLE001 - collected and asserted by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return errors
