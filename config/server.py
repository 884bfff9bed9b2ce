"""The production web server's settings (SPEC PERF, issue 16): ``gunicorn -c config/server.py config.asgi:application``,
as ``scripts/serve`` runs it for the demo, the benchmarks and production.

gunicorn supervises the processes (restarts a worker that dies, graceful reloads on SIGHUP, stops on SIGTERM or
Ctrl-C); each worker is uvicorn's event loop (uvloop, httptools) on ``config.asgi``: the pages, the API, the static
files (WhiteNoise) and the online consultations' sockets (Channels) on one port. Measured against gthread workers on
``config.wsgi`` in ``bench/README-figures.md``.

Environment: ``CARENET_WEB_WORKERS`` (default: the cores this process may use), ``CARENET_WEB_THREADS`` (request
threads per worker, default 2; config/asgi_handler.py), ``CARENET_WEB_KEEPALIVE`` (seconds an idle keep-alive connection
stays open; default 75, above nginx's and browsers' reuse windows), ``CARENET_WEB_ACCESS_LOG`` (a path or ``-``; off
by default), ``CARENET_WEB_LOG_LEVEL`` (default ``info``), ``CARENET_WEB_FORWARDED_ALLOW_IPS`` (the proxies whose
X-Forwarded-For/-Proto uvicorn believes; default 127.0.0.1).
"""

from __future__ import annotations

import gc
import os
import warnings

with warnings.catch_warnings():
    # uvicorn keeps its gunicorn worker (moved to the uvicorn-worker package) behind a deprecation notice.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    """uvicorn's worker with CareNet's limits: WebSocket frames up to 128 KB (the consultation consumer answers
    frames over 64 KB with an error), no lifespan protocol (Django has none), no server header."""

    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "ws_max_size": 128 * 1024,
        "lifespan": "off",
        "server_header": False,
    }


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


worker_class = "config.server.UvicornWorker"
workers = int(os.environ.get("CARENET_WEB_WORKERS") or _cores())
keepalive = int(os.environ.get("CARENET_WEB_KEEPALIVE") or 75)
backlog = 2048
timeout = 60
graceful_timeout = 20
loglevel = os.environ.get("CARENET_WEB_LOG_LEVEL", "info")
accesslog = os.environ.get("CARENET_WEB_ACCESS_LOG") or None
errorlog = "-"
# Behind nginx (README, "Production deployment"): uvicorn takes X-Forwarded-For/-Proto only from these addresses.
forwarded_allow_ips = os.environ.get("CARENET_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Django is loaded (and its system checks run) once, in the master, before the workers are forked: a worker starts
# at once and shares the loaded code's memory. A new release therefore needs a restart, not SIGHUP. No database
# connection may cross the fork: the master closes what loading opened before it forks.
preload_app = True


def when_ready(server: object) -> None:
    from django.db import connections

    connections.close_all()
    # Everything loading made (Django, the URL map, the templates, the translations) lives as long as the process:
    # moved out of the collector's generations before the fork, the workers' full collections no longer walk it
    # and the memory shared with the master stays shared (a collection writes to every object it visits). Python's
    # gc.freeze(), issue 16; its effect on a page's p95 is within this VM's noise (bench/README-figures.md).
    gc.freeze()
