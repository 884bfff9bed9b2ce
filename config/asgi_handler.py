"""The request handler of the production server (config/asgi.py; SPEC PERF, issue 16): Django's synchronous stack
on a pool of threads per uvicorn worker, one hand-over per request. Importable without the entry point's start-up
checks, so the tests drive it in-process."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class ThreadedASGIHandler(ASGIHandler):
    """Django's ASGI handler running a whole request — the request-started signal, the middleware and view, and
    for an ordinary answer the request-finished signal — as ONE synchronous call on a pool of
    ``CARENET_WEB_THREADS`` threads per process (default 4), as a threaded WSGI server would (SPEC PERF, issue 16).
    Four, not eight: the threads of one process share its interpreter lock, and on the benchmark's 2 cores 2 × 4
    threads served ~10% more searches a second than 2 × 8 at a lower p95 (``bench/README-figures.md``, "Third
    round"); a process with slow requests to wait on (exports, a remote service) may want more.

    Every CareNet middleware and view is synchronous. Django's own ASGI mode runs them in a single thread per
    process (while one request waits for PostgreSQL the process serves nobody else) and, around each request, sends
    its two signals through a thread of their own made for that request (asgiref's ``ThreadSensitiveContext``):
    three hand-overs between the event loop and threads and a thread started per request, ~0.5–2 ms of CPU on a
    short request (``bench/README-figures.md``). Here the event loop reads the body, hands the request to a pool
    thread once and sends the answer; the thread's own database connection is checked and retired
    (``close_old_connections``, ``conn_max_age``) by the two signals in that thread, as under WSGI. A streamed
    answer (a file download) is read in a pool thread and sent piece by piece, never held whole in memory. The
    consultations' sockets (Channels) keep their own path."""

    executor = ThreadPoolExecutor(
        max_workers=int(os.environ.get("CARENET_WEB_THREADS") or 4), thread_name_prefix="carenet-request"
    )

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        in_pool = sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)
        try:
            response = await in_pool(scope, body_file)
            if response.streaming:
                await self._send_start(response, send)
                loop = asyncio.get_running_loop()
                await sync_to_async(self._stream, thread_sensitive=False, executor=self.executor)(response, send, loop)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """In a pool thread: the request from start to answer. An ordinary answer is closed here (its content is in
        memory; the request-finished signal runs in this thread); a streamed one once it is sent."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response: HttpResponseBase
        if request is None:
            assert error_response is not None  # create_request gives one or the other
            response = error_response
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response

    async def _send_start(self, response: HttpResponseBase, send: Any) -> None:
        headers = [
            (header.encode("ascii"), value.encode("latin1") if isinstance(value, str) else bytes(value))
            for header, value in response.items()
        ]
        headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})

    def _stream(self, response: Any, send: Any, loop: asyncio.AbstractEventLoop) -> None:
        """In a pool thread: a streamed answer read piece by piece, each piece sent by the event loop."""
        try:
            for part in response:
                for chunk, _last in self.chunk_bytes(part):
                    message = {"type": "http.response.body", "body": chunk, "more_body": True}
                    asyncio.run_coroutine_threadsafe(send(message), loop).result()
            asyncio.run_coroutine_threadsafe(send({"type": "http.response.body"}), loop).result()
        finally:
            response.close()
