"""Real ASGI servers for the tests that need sockets across processes (TEL-2, issue 13): ``uvicorn
config.asgi:application`` in a subprocess, on the test database, serving pages, static files and the rooms'
sockets from one port — as ``scripts/serve-demo`` does.

The server process must see what the test writes: the tests that use it are transactional, and on SQLite the test
database must be a file (``CARENET_SQLITE_TEST_PATH``; ``make test-sqlite`` sets it for its single-process run of
the ``browser`` and ``live`` tests). Servers reach each other's sockets through Redis when ``CARENET_REDIS_URL`` is
set (the same database the test process publishes to); otherwise each has its in-memory channel layer.

``asgi_server`` (a pytest fixture, re-exported by ``tests/browser/conftest.py``) yields a running :class:`AsgiServer`
with ``.url`` (``http://127.0.0.1:PORT``) and ``.ws_url`` (the rooms' socket).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
#: The largest WebSocket frame uvicorn takes; the consumer answers frames over 64 KB below it with an error.
WS_MAX_SIZE = 128 * 1024
STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_visible_to_servers() -> str | None:
    """Why a server process could not see the test database (``None`` when it can)."""
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if connection.is_in_memory_db() or not Path(name).is_file():
            return (
                "the SQLite test database is in memory: set CARENET_SQLITE_TEST_PATH (make test-sqlite runs the "
                "live and browser tests with var/test-live.sqlite3)"
            )
    return None


def server_environment() -> dict[str, str]:
    """The test process's environment, pointed at its test database and its private files' folder."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "CARENET_TEST_PRIVATE_ROOT": str(settings.CARENET_PRIVATE_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["CARENET_SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        auth = quote(db["USER"] or "")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"])
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return env


class AsgiServer:
    """One uvicorn process; :meth:`kill` and :meth:`start` again restart it on the same port."""

    def __init__(self, *, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.env = env if env is not None else server_environment()
        self.process: subprocess.Popen[bytes] | None = None
        # The server's output, kept for a failing test's message; closed with the server (close()).
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/consultations/"

    def start(self) -> AsgiServer:
        return self.launch().ready()

    def launch(self) -> AsgiServer:
        """Start the process without waiting for it (start several at once, then :meth:`ready` each)."""
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws-max-size",
            str(WS_MAX_SIZE),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def ready(self) -> AsgiServer:
        """Wait until the server takes connections."""
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the ASGI server stopped at start:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the ASGI server did not start within {STARTUP_SECONDS} s:\n{self.log()}")

    def kill(self) -> None:
        """Stop at once, as a crash or a pulled plug would (no goodbye to the sockets)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-20000:]

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextlib.contextmanager
def running_server(**kwargs: Any) -> Iterator[AsgiServer]:
    with running_servers(1, **kwargs) as (server,):
        yield server


@contextlib.contextmanager
def running_servers(count: int, **kwargs: Any) -> Iterator[list[AsgiServer]]:
    """``count`` servers started side by side (each on its own port)."""
    servers: list[AsgiServer] = []
    try:
        for _ in range(count):
            servers.append(AsgiServer(**kwargs).launch())
        for server in servers:
            server.ready()
        yield servers
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[AsgiServer]:
    """A running ASGI server (pages, static files, the rooms' sockets) on this test's database."""
    reason = database_visible_to_servers()
    if reason is not None:
        pytest.skip(reason)
    with running_server() as server:
        yield server
