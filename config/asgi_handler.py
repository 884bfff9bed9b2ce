"""The request handler of the production server (config/asgi.py; SPEC PERF, issue 16): Django's synchronous stack
on a pool of threads per uvicorn worker, one hand-over per request. Importable without the entry point's start-up
checks, so the tests drive it in-process."""

import os
from collections.abc import Iterator
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
    ``CARENET_WEB_THREADS`` threads per process (default 2), as a threaded WSGI server would (SPEC PERF, issue 16).
    Few: the threads of one process share its interpreter lock, and on the benchmark's 2 cores 2 × 4 threads served
    ~10% more searches a second than 2 × 8 at a lower p95, and 2 × 2 another ~7% more searches than 2 × 4 with as
    many bookings (``bench/README-figures.md``, "Third round" and "Fifth round"). A thread is held while a request
    runs (its database waits included), not while a slow client sends a body or takes a download (the event loop
    does both); a process whose requests wait on something slow (a remote service) may want more.

    Every CareNet middleware and view is synchronous. Django's own ASGI mode runs them in a single thread per
    process (while one request waits for PostgreSQL the process serves nobody else) and, around each request, sends
    its two signals through a thread of their own made for that request (asgiref's ``ThreadSensitiveContext``):
    three hand-overs between the event loop and threads and a thread started per request, ~0.5–2 ms of CPU on a
    short request (``bench/README-figures.md``). Here the event loop reads the body, hands the request to a pool
    thread once and sends the answer; the thread's own database connection is checked and retired
    (``close_old_connections``, ``conn_max_age``) by the two signals in that thread, as under WSGI. A streamed
    answer (a file download) is read piece by piece in a pool thread and sent by the event loop, never held whole
    in memory. The consultations' sockets (Channels) keep their own path."""

    executor = ThreadPoolExecutor(
        max_workers=int(os.environ.get("CARENET_WEB_THREADS") or 2), thread_name_prefix="carenet-request"
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
                await self._send_streamed(response, send)
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

    async def _send_streamed(self, response: HttpResponseBase, send: Any) -> None:
        """A streamed answer: each piece read in a pool thread, sent by the event loop. A pool thread is held only
        while a piece is read, never while a slow client takes it (a phone downloading a result on a poor network
        would otherwise hold one of the process's few request threads for the whole download)."""
        read = sync_to_async(_next_piece, thread_sensitive=False, executor=self.executor)
        close = sync_to_async(response.close, thread_sensitive=False, executor=self.executor)
        try:
            await self._send_start(response, send)
            pieces = await sync_to_async(iter, thread_sensitive=False, executor=self.executor)(response)
            while (part := await read(pieces)) is not _END:
                for chunk, _last in self.chunk_bytes(part):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body"})
        finally:
            await close()


#: What :func:`_next_piece` answers once a streamed answer has no piece left.
_END = object()


def _next_piece(pieces: Iterator[Any]) -> Any:
    return next(pieces, _END)
