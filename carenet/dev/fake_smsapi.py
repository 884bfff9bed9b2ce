"""A fake SMSAPI gateway on loopback, for tests and benchmarks (stdlib only, no Django).

It speaks what ``smsapi-client`` sends: ``POST /sms.do`` with ``to``, ``message``, ``idx``, ``check_idx`` and
``format=json`` and a bearer token, and answers like the gateway: ``{"count": 1, "list": [{"id", "points", "number",
"status": "QUEUE", "idx", …}]}``, or ``{"error": 53, "message": …}`` for a repeated ``idx`` with ``check_idx=1``.
It records every accepted message so a test can check that each key reached "phones" exactly once, and it can be
made slow or faulty:

- ``delay`` seconds per request (so a killed worker dies mid-batch),
- every ``fail_every``-th request answers HTTP 503 without accepting,
- every ``lost_ack_every``-th request accepts the message, then stalls past the client's timeout (the worst case:
  the gateway has it, the sender thinks it failed).

It keeps connections alive (HTTP/1.1) and counts them, so a test can see a client reuse one; ``drop_connections()``
closes every open one without a word, as a gateway or a proxy does to idle keep-alive connections.

Inspection: ``GET /_fake/messages`` and ``GET /_fake/stats`` (JSON), ``POST /_fake/reset``.

Run it: ``python -m carenet.dev.fake_smsapi --port 8765 [--delay-ms 3] [--fail-every 7]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

DUPLICATE_IDX_ERROR = {
    "error": 53,
    "message": "Not unique idx parameter, message with the same idx has been already sent and &check_idx=1.",
}


@dataclass
class FakeState:
    token: str = ""  # when set, requests must carry "Authorization: Bearer <token>"
    delay: float = 0.0
    fail_every: int = 0
    lost_ack_every: int = 0
    lost_ack_stall: float = 2.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    accepted_by_idx: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    injected_failures: int = 0
    lost_acks: int = 0
    connections: int = 0  # TCP connections accepted so far
    open_sockets: set[socket.socket] = field(default_factory=set)
    next_id: int = 1

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {
                "requests": self.requests,
                "accepted": len(self.accepted),
                "duplicates": self.duplicates,
                "injected_failures": self.injected_failures,
                "lost_acks": self.lost_acks,
                "connections": self.connections,
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = self.duplicates = self.injected_failures = self.lost_acks = self.connections = 0
            self.accepted.clear()
            self.accepted_by_idx.clear()


class FakeSmsApiHandler(BaseHTTPRequestHandler):
    server: FakeSmsApiServer
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without this, Nagle's algorithm holds the body back until the client's
    # delayed ACK of the headers (40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        state = self.server.state
        with state.lock:
            state.connections += 1
            state.open_sockets.add(self.connection)

    def finish(self) -> None:
        with self.server.state.lock:
            self.server.state.open_sockets.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}

    # --- endpoints --------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        state = self.server.state
        path = urlparse(self.path).path
        if path == "/_fake/messages":
            with state.lock:
                self._reply(HTTPStatus.OK, list(state.accepted))
        elif path == "/_fake/stats":
            self._reply(HTTPStatus.OK, state.stats())
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": 404, "message": "Not found"})

    def do_POST(self) -> None:
        state = self.server.state
        path = urlparse(self.path).path
        form = self._form()
        if path == "/_fake/reset":
            state.reset()
            self._reply(HTTPStatus.OK, {"ok": True})
            return
        if path != "/sms.do":
            self._reply(HTTPStatus.NOT_FOUND, {"error": 404, "message": "Not found"})
            return
        if state.token and self.headers.get("Authorization") != f"Bearer {state.token}":
            self._reply(HTTPStatus.UNAUTHORIZED, {"error": 101, "message": "Authorization failed"})
            return
        self._send_sms(form)

    def _send_sms(self, form: dict[str, str]) -> None:
        state = self.server.state
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            state.requests += 1
            number = state.requests
            if state.fail_every and number % state.fail_every == 0:
                state.injected_failures += 1
                fail = True
            else:
                fail = False
        if fail:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": 503, "message": "Service unavailable (injected)"})
            return
        to, text, idx = form.get("to", ""), form.get("message", ""), form.get("idx", "")
        if not text:
            self._reply(HTTPStatus.OK, {"error": 11, "message": "Message too long or there is no message"})
            return
        if not to.lstrip("+").isdigit():
            self._reply(HTTPStatus.OK, {"error": 13, "message": "Lack of valid phone numbers"})
            return
        lost_ack = False
        with state.lock:
            if idx and form.get("check_idx") == "1" and idx in state.accepted_by_idx:
                state.duplicates += 1
                duplicate = True
            else:
                duplicate = False
                record: dict[str, Any] = {
                    "id": f"FAKE{state.next_id:010d}",
                    "number": to,
                    "message": text,
                    "idx": idx,
                    "from": form.get("from", ""),
                    "at": time.time(),
                }
                state.next_id += 1
                state.accepted.append(record)
                if idx:
                    state.accepted_by_idx[idx] = record
                if state.lost_ack_every and len(state.accepted) % state.lost_ack_every == 0:
                    state.lost_acks += 1
                    lost_ack = True
        if duplicate:
            self._reply(HTTPStatus.OK, DUPLICATE_IDX_ERROR)
            return
        if lost_ack:
            time.sleep(state.lost_ack_stall)
        self._reply(
            HTTPStatus.OK,
            {
                "count": 1,
                "list": [
                    {
                        "id": record["id"],
                        "points": 0.16,
                        "number": to,
                        "date_sent": int(record["at"]),
                        "submitted_number": to,
                        "status": "QUEUE",
                        "error": None,
                        "idx": idx or None,
                    }
                ],
            },
        )


class FakeSmsApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: FakeState | None = None) -> None:
        super().__init__(address, FakeSmsApiHandler)
        self.state = state or FakeState()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or die (the fault test kills them) close connections mid-request: not our error.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def drop_connections(self) -> int:
        """Close every open client connection, unannounced (no ``Connection: close``); returns how many."""
        state = self.state
        with state.lock:
            sockets = list(state.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(sockets)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


def start_in_thread(*, port: int = 0, **options: Any) -> FakeSmsApiServer:
    """Start a fake gateway on 127.0.0.1 (port 0 = any free port) in a daemon thread; ``shutdown()`` stops it."""
    server = FakeSmsApiServer(("127.0.0.1", port), FakeState(**options))
    threading.Thread(target=server.serve_forever, name="fake-smsapi", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake SMSAPI gateway on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--lost-ack-every", type=int, default=0)
    args = parser.parse_args(argv)
    state = FakeState(
        token=args.token, delay=args.delay_ms / 1000, fail_every=args.fail_every, lost_ack_every=args.lost_ack_every
    )
    server = FakeSmsApiServer(("127.0.0.1", args.port), state)
    print(f"fake SMSAPI listening on {server.url}", flush=True)  # noqa: T201 - a command-line tool
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
