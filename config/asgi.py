"""The ASGI entry point: pages and the API (Django) and the consultation rooms' sockets (Channels) from one server
(``scripts/serve``: gunicorn with uvicorn workers). Static files are WhiteNoise's, a middleware (settings); the
synchronous stack runs on a pool of threads per process (:class:`ThreadedASGIHandler`)."""

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)


class ThreadedASGIHandler(ASGIHandler):
    """Django's ASGI handler running each request's middleware and view as ONE synchronous call on a pool of
    ``CARENET_WEB_THREADS`` threads per process (default 8), as a threaded WSGI server would (SPEC PERF, issue 16).

    Every CareNet middleware and view is synchronous. Django's own ASGI mode runs them all in a single thread per
    process, so while one request waits for PostgreSQL the process serves nobody else, and it crosses between the
    event loop and that thread at each edge of the stack. Here each request runs whole in one pool thread with that
    thread's own database connection, opened, health-checked and retired (``conn_max_age``) around the request as
    under WSGI. The consultations' sockets (Channels) keep their own path."""

    executor = ThreadPoolExecutor(
        max_workers=int(os.environ.get("CARENET_WEB_THREADS") or 8), thread_name_prefix="carenet-request"
    )

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response: Any = await sync_to_async(
            self._get_response_in_thread, thread_sensitive=False, executor=self.executor
        )(request)
        return response

    def _get_response_in_thread(self, request: HttpRequest) -> HttpResponseBase:
        close_old_connections()
        try:
            return self.get_response(request)
        finally:
            close_old_connections()


django_application = ThreadedASGIHandler()

# ASGI servers run no system checks: with DEBUG off, refuse to serve on a guardrail that is not in place.
from carenet.core.checks import refuse_to_start  # noqa: E402

refuse_to_start()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from carenet.realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": websocket_application(),
    }
)
