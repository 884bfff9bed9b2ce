"""Shared helpers of the CareNet benchmarks (issue 5). Each ``bench/bN_*.py`` is a standalone script:

    uv run python bench/bN_name.py --database-url URL [--quick] [--time-limit SECONDS]

It prints human-readable tables and, as its LAST stdout line, one JSON object made by :func:`json_line`::

    {"benchmark": "B1", "figures": {...}, "targets": [{"name": ..., "value": ..., "target": ..., "met": bool}]}

``bench/run`` starts PostgreSQL, loads the scale data, runs every script with a time bound and merges those lines.
Latencies are always milliseconds (floats); rates are per second.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Environment for a production-like Django (DEBUG off: no query log, no debug toolbar-ish overhead) that still
#: answers plain HTTP on loopback: no HTTPS redirect, no secure-only cookies, no proxy header trust.
BENCH_ENV: dict[str, str] = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "CARENET_DEBUG": "false",
    "CARENET_SECRET_KEY": "carenet-bench-only-not-secret-0123456789",
    "CARENET_ECARD_SECRET": "carenet-bench-ecard-only-not-secret",
    "CARENET_PREMISES_CODE_SECRET": "carenet-bench-premises-only-not-secret",
    "CARENET_SSL_REDIRECT": "false",
    "CARENET_SECURE_COOKIES": "false",
    "CARENET_BEHIND_PROXY": "false",
    "CARENET_HSTS_SECONDS": "0",
    "CARENET_HSTS_PRELOAD": "false",
    "CARENET_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "CARENET_SMS_DEV_INBOX": "false",
    # A measuring installation, not production: the local national e-health platform is allowed (carenet.E010).
    "CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED": "true",
}


# --- Arguments, output --------------------------------------------------------------------------------------------


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """The common command line of a benchmark script: ``--database-url`` (required, or ``DATABASE_URL``),
    ``--quick`` (small sizes for development) and ``--time-limit`` seconds (the script should finish within it;
    default 600). ``extra`` may add the script's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--quick", action="store_true", help="small sizes for development")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds the script may take")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    return args


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """``{"p50", "p95", "p99"}`` of the samples (milliseconds) by the nearest-rank method, rounded to 0.01 ms;
    NaN for each when there are no samples."""
    if not samples_ms:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan}
    ordered = sorted(samples_ms)
    result = {}
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        result[name] = round(ordered[rank - 1], 3)
    return result


def fmt(value: Any) -> str:
    """A cell of a table: floats with sensible precision, thousands separated."""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain-text table (a title line, headers, a rule, rows) to stdout; cells go through :func:`fmt`."""
    cells = [[fmt(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells if i < len(row)]) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join((c.rjust(w) if i else c.ljust(w)) for i, (c, w) in enumerate(zip(row, widths, strict=False))))
    sys.stdout.flush()


def target(name: str, value: float, limit: float, *, higher_is_better: bool = False) -> dict[str, Any]:
    """One target entry for :func:`json_line`: met when ``value <= limit`` (or ``>=`` when higher is better)."""
    met = (value >= limit) if higher_is_better else (value <= limit)
    if isinstance(value, float) and math.isnan(value):
        met = False
    return {"name": name, "value": value, "target": f"{'>=' if higher_is_better else '<='} {limit}", "met": met}


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def pair(name: str, value: float, reference: float, reference_name: str) -> dict[str, Any]:
    """One figure beside its reference measured in the same run (e.g. HTTP p95 beside raw SQL p95), for the
    optional ``pairs`` of :func:`json_line`; ``bench/run`` prints value, reference and their ratio."""
    return {"name": name, "value": value, "reference": reference, "reference_name": reference_name}


def json_line(
    benchmark: str,
    figures: dict[str, Any],
    targets: Sequence[dict[str, Any]],
    pairs: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Print the script's LAST stdout line: ``{"benchmark", "figures", "targets"[, "pairs"]}`` as one JSON object
    (NaN and infinities become null). ``figures`` is a flat or nested dict of numbers; ``targets`` come from
    :func:`target` or are dicts with the same keys; ``pairs`` (optional) from :func:`pair`."""
    line = {"benchmark": benchmark, "figures": _jsonable(figures), "targets": _jsonable(list(targets))}
    if pairs:
        line["pairs"] = _jsonable(list(pairs))
    sys.stdout.flush()
    print(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    sys.stdout.flush()


# --- Time bounds --------------------------------------------------------------------------------------------------


@dataclass
class Deadline:
    """A point in time: ``left()`` seconds remaining (never negative), ``expired()``, and ``share(fraction, cap)``
    seconds to give one phase (a fraction of what is left, at most ``cap``)."""

    at: float

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def share(self, fraction: float, cap: float | None = None) -> float:
        seconds = self.left() * fraction
        return seconds if cap is None else min(seconds, cap)


def deadline(seconds: float) -> Deadline:
    """A :class:`Deadline` ``seconds`` from now (monotonic clock)."""
    return Deadline(time.monotonic() + seconds)


# --- Django -------------------------------------------------------------------------------------------------------


def bench_env(database_url: str) -> dict[str, str]:
    """The process environment for Django against ``database_url`` with :data:`BENCH_ENV` (DEBUG off)."""
    env = dict(os.environ)
    env.update(BENCH_ENV)
    env["DATABASE_URL"] = database_url
    return env


def django_setup(database_url: str) -> None:
    """Configure this process for Django against ``database_url`` (sets ``DATABASE_URL``,
    ``DJANGO_SETTINGS_MODULE=config.settings`` and :data:`BENCH_ENV`: DEBUG off so no query log is kept, no HTTPS
    redirect; the static files collected, see :func:`collect_static`) and call ``django.setup()``. Call once,
    before importing models. Use ``django.test.utils.CaptureQueriesContext`` to see queries (it forces the log on
    for its block)."""
    collect_static(bench_env(database_url))
    os.environ.update(BENCH_ENV)
    os.environ["DATABASE_URL"] = database_url
    os.chdir(ROOT)
    import django

    django.setup()


# --- HTTP -----------------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound and released; good enough on a private machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, *, timeout: float = 60.0) -> None:
    """Wait until GET ``url`` answers 200; raise ``TimeoutError`` after ``timeout`` seconds."""
    parts = urllib.parse.urlsplit(url)
    stop = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < stop:
        try:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
            conn.request("GET", parts.path or "/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError as error:
            last = error
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s ({last})")


#: The server :func:`serve` runs: ``asgi`` (``scripts/serve``: gunicorn with uvicorn workers on config.asgi, the
#: production server) or ``gthread`` (gunicorn's threaded workers on config.wsgi, kept to compare against).
SERVER_KIND = os.environ.get("CARENET_BENCH_SERVER", "asgi")
_static_collected: list[bool] = []


def collect_static(env: dict[str, str]) -> None:
    """``manage.py collectstatic`` once per process with ``env`` (DEBUG off: hashed, compressed files and the
    manifest the pages' ``{% static %}`` needs); skipped when ``CARENET_BENCH_STATIC_COLLECTED=1`` (bench/run did
    it before the scripts)."""
    if _static_collected or os.environ.get("CARENET_BENCH_STATIC_COLLECTED") == "1":
        return
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _static_collected.append(True)


def server_command(kind: str, port: int, *, workers: int | None, threads: int, log: Path) -> list[str]:
    """The command line of the server :func:`serve` starts on ``127.0.0.1:port``."""
    if kind == "asgi":
        return [str(ROOT / "scripts" / "serve"), "127.0.0.1", str(port)]
    if kind == "gthread":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers or os.cpu_count() or 1),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "75",
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "--error-logfile",
            str(log),
        ]
    raise ValueError(f"CARENET_BENCH_SERVER must be asgi or gthread, not {kind!r}")


@contextlib.contextmanager
def serve(
    database_url: str,
    *,
    workers: int | None = None,
    threads: int = 8,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    kind: str | None = None,
) -> Iterator[str]:
    """Run the production web server (``scripts/serve``, see :data:`SERVER_KIND`) on a free loopback port against
    ``database_url`` with :data:`BENCH_ENV`; yield the base URL (``http://127.0.0.1:PORT``, no trailing slash) once
    ``/api/v1/health`` answers 200; stop it (SIGTERM, then SIGKILL) on exit. ``workers`` processes (default: one per
    core, as in production); ``threads`` per process for gthread only. Access logging is off; errors go to
    ``log_path`` (default: var/bench-server-PORT.log). Django keeps each database connection for 60 s
    (``conn_max_age``), so a worker opens its connection once."""
    kind = kind or SERVER_KIND
    port = free_port()
    env = bench_env(database_url)
    env.update(extra_env or {})
    collect_static(env)
    env["CARENET_COLLECTSTATIC"] = "0"
    env["CARENET_WEB_LOG_LEVEL"] = "warning"
    if workers:
        env["CARENET_WEB_WORKERS"] = str(workers)
    log = log_path or (ROOT / "var" / f"bench-server-{port}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    command = server_command(kind, port, workers=workers, threads=threads, log=log)
    with log.open("ab") as sink:
        # In the benchmark's own process group: bench/run's time bound kills the script with its server.
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(f"{base}/api/v1/health", timeout=90)
        except TimeoutError:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}; see {log}") from None
            raise
        yield base
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server (``uv run`` passes it on to gunicorn, which stops its workers), SIGKILL to the server
    and everything it started when it has not stopped after 15 s."""
    family = _descendants(process.pid)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        for pid in [process.pid, *_descendants(process.pid), *family]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them, from /proc (Linux); empty elsewhere."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in children.read_text().split():
                    found.append(int(child))
                    pending.append(int(child))
    return found


@dataclass
class LoadResult:
    """What :func:`http_load` measured: one latency (ms) per finished request, the HTTP statuses counted (0 for a
    connection error), the wall time and the requests per second, and what the client itself cost: the CPU seconds
    the measuring process used meanwhile (all its threads) and :attr:`client_cpu_share` (1.0 = one whole core taken
    from the server's machine)."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    client_cpu_seconds: float = 0.0

    @property
    def client_cpu_share(self) -> float:
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def qps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentiles(self) -> dict[str, float]:
        return percentiles(self.latencies_ms)

    def ok(self) -> int:
        """Requests answered 2xx."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


#: A request made by the caller: ``fn(session, n)`` performs request number ``n`` (0, 1, 2 … across all
#: connections) on ``session`` (a :class:`Session`) and returns the HTTP status.
RequestFn = Callable[["Session", int], int]


class Session:
    """A keep-alive HTTP/1.1 connection to one host (``http.client``; lighter than ``requests`` so the client costs
    the 2-core machine as little as possible). ``request(method, path, body=None, headers=None)`` returns
    ``(status, body_bytes)``; it reconnects once if the server closed the connection."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        merged = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=merged)
                response = conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, headers=headers)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_load(
    base_url: str,
    urls_or_fn: Sequence[str] | RequestFn,
    *,
    connections: int,
    duration: float | None = None,
    count: int | None = None,
    headers: dict[str, str] | None = None,
    warmup: int = 0,
) -> LoadResult:
    """Drive ``connections`` client threads, each with its own keep-alive :class:`Session` to ``base_url``.

    ``urls_or_fn`` is either a sequence of paths (``/api/v1/...``, GET, taken round-robin across all requests) or
    a :data:`RequestFn` that makes request ``n`` itself and returns its status. The run stops after ``duration``
    seconds or ``count`` requests in total (whichever is given; both: whichever comes first). ``warmup`` requests
    per connection are made first and not counted. ``headers`` go with every request (e.g. ``Authorization``).
    Exceptions count as status 0 and their first messages are kept in ``errors``."""
    if duration is None and count is None:
        raise ValueError("give duration or count")
    paths = None if callable(urls_or_fn) else list(urls_or_fn)

    def make(session: Session, n: int) -> int:
        if paths is None:
            return urls_or_fn(session, n)  # type: ignore[operator]
        return session.get(paths[n % len(paths)])[0]

    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(10**12))
    counter_lock = threading.Lock()
    start_barrier = threading.Barrier(connections + 1)
    stop_at = [math.inf]

    def worker(index: int) -> None:
        session = Session(base_url, headers=headers)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors: list[str] = []
        try:
            for w in range(warmup):
                with contextlib.suppress(Exception):
                    make(session, index * 7919 + w)
            start_barrier.wait()
            while time.monotonic() < stop_at[0]:
                with counter_lock:
                    n = next(counter)
                if count is not None and n >= count:
                    break
                began = time.perf_counter()
                try:
                    status = make(session, n)
                except Exception as error:  # noqa: BLE001 - a failed request is a measurement, not a crash
                    status = 0
                    if len(errors) < 3:
                        errors.append(f"{type(error).__name__}: {error}")
                    session.close()
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[status] += 1
        finally:
            session.close()
            with lock:
                result.latencies_ms.extend(latencies)
                result.statuses.update(statuses)
                result.errors.extend(errors[: max(0, 5 - len(result.errors))])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.perf_counter()
    cpu_began = process_cpu_seconds()
    if duration is not None:
        stop_at[0] = time.monotonic() + duration
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.client_cpu_seconds = process_cpu_seconds() - cpu_began
    return result


def backend_cpu_seconds(connection: Any) -> float | None:
    """User and system CPU seconds the PostgreSQL backend serving Django's ``connection`` has used so far, read from
    /proc (the benchmark's server runs on this machine); None where that cannot be read (SQLite, another host).
    The kernel counts in clock ticks (10 ms): meaningful over many requests, not one."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime and stime: the 14th and 15th fields of stat


def process_cpu_seconds() -> float:
    """User and system CPU seconds this process (every thread) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- Raw SQL --------------------------------------------------------------------------------------------------------


def pg_connect(database_url: str) -> Any:
    """A psycopg 3 connection (autocommit) to ``database_url`` using client-side parameter binding, exactly as
    Django's PostgreSQL backend sends queries (``%s`` placeholders)."""
    import psycopg

    return psycopg.connect(database_url, autocommit=True, cursor_factory=psycopg.ClientCursor)


def raw_sql_timings(
    connection_or_dsn: Any,
    sql: str,
    params_list: Sequence[Sequence[Any]],
    *,
    warmup: int = 3,
    fetch: bool = True,
) -> list[float]:
    """Time ``sql`` with psycopg directly, once per parameter tuple in ``params_list`` (``%s`` placeholders; a
    Django-captured statement can be passed as is). Returns one latency per execution in milliseconds: send,
    execute and (when ``fetch``) fetch every row — the database's time plus one loopback round trip, no ORM.
    ``connection_or_dsn`` is an open psycopg connection (kept open) or a URL (a connection is opened and closed).
    The first ``warmup`` parameter tuples are run once more before timing."""
    own = isinstance(connection_or_dsn, str)
    conn = pg_connect(connection_or_dsn) if own else connection_or_dsn
    try:
        with conn.cursor() as cursor:
            for params in list(params_list)[:warmup]:
                cursor.execute(sql, params)
                if fetch and cursor.description is not None:
                    cursor.fetchall()
            timings = []
            for params in params_list:
                began = time.perf_counter()
                cursor.execute(sql, params)
                if fetch and cursor.description is not None:
                    cursor.fetchall()
                timings.append((time.perf_counter() - began) * 1000)
        return timings
    finally:
        if own:
            conn.close()


def explain(connection_or_dsn: Any, sql: str, params: Sequence[Any]) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of one statement, as text."""
    own = isinstance(connection_or_dsn, str)
    conn = pg_connect(connection_or_dsn) if own else connection_or_dsn
    try:
        with conn.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        if own:
            conn.close()


def server_timings(connection_or_dsn: Any, sql: str, params_list: Sequence[Sequence[Any]]) -> list[float]:
    """The database server's own time for ``sql`` (planning + execution, from ``EXPLAIN (ANALYZE, SUMMARY,
    TIMING OFF)``), once per parameter tuple, in milliseconds: no driver, no loopback, no client scheduling."""
    own = isinstance(connection_or_dsn, str)
    conn = pg_connect(connection_or_dsn) if own else connection_or_dsn
    timings = []
    try:
        with conn.cursor() as cursor:
            for params in params_list:
                cursor.execute("EXPLAIN (ANALYZE, SUMMARY, TIMING OFF) " + sql, params)
                text = "\n".join(row[0] for row in cursor.fetchall())
                planning = re.search(r"Planning Time: ([\d.]+)", text)
                execution = re.search(r"Execution Time: ([\d.]+)", text)
                timings.append(
                    float(planning.group(1) if planning else 0) + float(execution.group(1) if execution else 0)
                )
        return timings
    finally:
        if own:
            conn.close()


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Call ``fn`` ``repeat`` times; return each call's latency in milliseconds."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan
