"""The production server's request handler (config/asgi.py, SPEC PERF, issue 16): a whole request runs in ONE pool
thread — the request-started signal, the middleware and view, and the request-finished signal that retires the
thread's database connection — and a streamed answer (a file download) reaches the client piece by piece and whole.
Driven in-process as uvicorn drives it (ASGI messages), against the test database."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path

pytestmark = pytest.mark.django_db(transaction=True)

BIG = bytes(range(256)) * 1024  # 256 KB: four pieces of the handler's 64 KB


def _download(request: HttpRequest) -> FileResponse:
    import io

    return FileResponse(io.BytesIO(BIG), as_attachment=True, filename="wynik.bin")


def _echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body[::-1], content_type="application/octet-stream")


urlpatterns = [path("download", _download), path("echo", _echo)]


def _call(path_: str, *, method: str = "GET", body: bytes = b"") -> list[dict[str, Any]]:
    from config.asgi_handler import ThreadedASGIHandler

    django_application = ThreadedASGIHandler()

    sent: list[dict[str, Any]] = []

    async def run() -> None:
        pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]

        async def receive() -> dict[str, Any]:
            if pieces:
                piece = pieces.pop(0)
                return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
            await asyncio.sleep(3600)  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path_,
            "raw_path": path_.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        await django_application(scope, receive, send)

    asyncio.run(run())
    return sent


@pytest.fixture
def signal_threads() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []

    def started(**kwargs: Any) -> None:
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs: Any) -> None:
        seen.append(("finished", threading.current_thread().name))

    signals.request_started.connect(started, weak=False)
    signals.request_finished.connect(finished, weak=False)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def test_an_api_answer_runs_whole_in_one_request_thread(signal_threads: list[tuple[str, str]]) -> None:
    sent = _call("/api/v1/health")
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 200
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["status"] == "ok"
    assert [event for event, _thread in signal_threads] == ["started", "finished"]
    threads = {thread for _event, thread in signal_threads}
    assert len(threads) == 1, signal_threads  # the connection checked and retired by the thread that used it
    assert threads.pop().startswith("carenet-request")


def test_a_streamed_download_arrives_whole_in_pieces(settings: Any, signal_threads: list[tuple[str, str]]) -> None:
    settings.ROOT_URLCONF = __name__
    sent = _call("/download")
    start, *body = sent
    assert start["status"] == 200
    assert (b"content-disposition", b'attachment; filename="wynik.bin"') in [
        (name.lower(), value) for name, value in start["headers"]
    ]
    assert b"".join(m.get("body", b"") for m in body) == BIG
    assert len(body) >= 4  # sent as it is read, not as one message
    assert all(m["more_body"] for m in body[:-1]) and not body[-1].get("more_body", False)
    assert [event for event, _thread in signal_threads] == ["started", "finished"]


def test_a_request_body_in_many_pieces_reaches_the_view(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = []  # the echo view is a test's own, outside CareNet's CSRF-protected doors
    payload = bytes(range(256)) * 40
    sent = _call("/echo", method="POST", body=payload)
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == payload[::-1]


def test_a_slow_client_taking_a_download_holds_no_request_thread(settings: Any) -> None:
    """While a client takes a download slowly (its sends wait), the process's only request thread still serves
    other requests: a thread reads a piece, the event loop sends it."""
    from concurrent.futures import ThreadPoolExecutor

    from config.asgi_handler import ThreadedASGIHandler

    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = []  # the echo view is a test's own, outside CareNet's CSRF-protected doors
    handler = ThreadedASGIHandler()
    handler.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carenet-request")
    order: list[str] = []

    def scope(path_: str) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path_,
            "raw_path": path_.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }

    async def run() -> None:
        release = asyncio.Event()
        first_piece = asyncio.Event()
        downloaded: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def slow_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                downloaded.append(message.get("body", b""))
                first_piece.set()
                await release.wait()  # the client takes its time

        async def echo_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                order.append(f"other request answered {message['status']}")

        download = asyncio.create_task(handler(scope("/download"), receive, slow_send))
        await asyncio.wait_for(first_piece.wait(), 30)
        other = scope("/echo")
        other["method"] = "POST"
        await asyncio.wait_for(handler(other, receive, echo_send), 30)  # served while the download waits
        order.append("download released")
        release.set()
        await asyncio.wait_for(download, 30)
        assert b"".join(downloaded) == BIG

    asyncio.run(run())
    handler.executor.shutdown()
    assert order == ["other request answered 200", "download released"]
