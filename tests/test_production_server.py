"""The production web server (SPEC PERF, issue 16): ``scripts/serve`` — the command ``make demo``, the benchmarks
and a production installation run — started with production settings (DEBUG off, config.settings) on this test's
database serves a page, the API and a static file (hashed name, gzip, cached for a year) over keep-alive
connections, takes the consultations' socket path, and stops cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from websockets.exceptions import ConnectionClosed

from tests.live_server import ROOT, database_visible_to_servers, free_port, server_environment

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "CARENET_DEBUG": "false",
    "CARENET_SECRET_KEY": "carenet-test-production-server-not-secret-0123",
    "CARENET_ECARD_SECRET": "carenet-test-production-server-ecard-not-secret",
    "CARENET_PREMISES_CODE_SECRET": "carenet-test-production-server-premises-not-secret",
    "CARENET_SSL_REDIRECT": "false",
    "CARENET_SECURE_COOKIES": "false",
    "CARENET_BEHIND_PROXY": "false",
    "CARENET_HSTS_SECONDS": "0",
    "CARENET_HSTS_PRELOAD": "false",
    "CARENET_ALLOWED_HOSTS": "127.0.0.1",
    "CARENET_SMS_DEV_INBOX": "false",
    "CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED": "true",
    "CARENET_WEB_WORKERS": "2",
}
STARTUP_SECONDS = 180.0


@contextlib.contextmanager
def production_server(
    tmp_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    reason = database_visible_to_servers()
    if reason is not None:
        pytest.skip(reason)
    env = server_environment() | PRODUCTION | (extra_env or {})
    env["CARENET_STATIC_ROOT"] = str(tmp_path / "static")
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve"), "127.0.0.1", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"scripts/serve stopped at start:\n{log.read_text(errors='replace')[-5000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"scripts/serve did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-5000:]}")
            time.sleep(0.3)
        yield port, process, log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_production_server_serves_a_page_the_api_and_static_files(tmp_path: Path) -> None:
    with production_server(tmp_path) as (port, process, log):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        # The API: JSON.
        conn.request("GET", "/api/v1/health")
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("application/json")
        json.loads(body)
        # A page on the same keep-alive connection: HTML under the content security policy, with its stylesheet
        # under a hashed name.
        conn.request("GET", reverse("portal:login"))
        response = conn.getresponse()
        page = response.read().decode()
        assert response.status == 200, page[:500]
        assert not response.will_close
        assert "script-src 'self'" in (response.getheader("Content-Security-Policy") or "")
        stylesheet = re.search(r'href="(/static/css/carenet\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet is not None, page[:2000]
        # The static file itself, compressed, with a year's caching, from the same connection.
        conn.request("GET", stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        compressed = response.read()
        assert response.status == 200
        assert response.getheader("Content-Encoding") == "gzip"
        assert "max-age=315360000" in (response.getheader("Cache-Control") or "")
        assert response.getheader("Content-Type", "").startswith("text/css")
        source = (ROOT / "static" / "css" / "carenet.css").read_bytes()
        assert gzip.decompress(compressed) == source
        # A name that is not there: 404, not a 500 from the storage.
        conn.request("GET", "/static/css/no-such-file.css")
        response = conn.getresponse()
        response.read()
        assert response.status == 404
        conn.close()
        # The consultations' sockets are on the same port: the handshake reaches Channels (an anonymous socket is
        # refused there, with 403; a server without it would answer 404).
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "GET",
            "/ws/consultations/",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Origin": f"http://127.0.0.1:{port}",
            },
        )
        handshake = conn.getresponse()
        assert handshake.status in (101, 403), handshake.status
        conn.close()
        # SIGTERM stops the server and its workers cleanly.
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text(errors="replace")[-3000:]


class _Served:
    """What the consultation clients of carenet/realtime/tests/test_live.py need of a server."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws/consultations/"


def test_production_server_carries_the_consultations_sockets(tmp_path: Path, cast: Any, settings: Any) -> None:
    """Both sides of a consultation on the production server: the chat goes through whichever of the two workers
    each socket lands on (through Redis, CARENET_REDIS_URL; one worker without it), and a frame over the server's
    128 KB limit ends only that socket (1009), as under the plain uvicorn the other live tests use."""
    from carenet.consultations.models import ChatMessage
    from carenet.realtime.tests.room import consultation_in_progress, token_for
    from carenet.realtime.tests.test_live import clients

    # The test process signs the rooms' tokens with the key the server has (production settings want 32 bytes).
    settings.SECRET_KEY = PRODUCTION["CARENET_SECRET_KEY"]
    room = consultation_in_progress(cast)
    patient_token = token_for(cast, "patient", room, "patient")
    clinician_token = token_for(cast, "clinician_with", room, "clinician")
    one_worker = {} if os.environ.get("CARENET_REDIS_URL") else {"CARENET_WEB_WORKERS": "1"}
    with production_server(tmp_path, one_worker) as (port, _process, _log):
        served = _Served(port)
        with clients((served, patient_token), (served, clinician_token)) as (patient, clinician):  # type: ignore[arg-type]
            patient.join()
            clinician.join()
            patient.say("p-1", "Dzień dobry")
            assert clinician.next_of("chat")["text"] == "Dzień dobry"
            patient.say("p-2", "x" * (200 * 1024))
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # the echo of p-1 and the peer's arrival may come first
                    assert patient.next(timeout=10)["type"] != "error"
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            clinician.say("c-1", "Słyszę")
            assert clinician.next_of("chat")["text"] == "Słyszę"
    assert list(ChatMessage.objects.order_by("seq").values_list("client_id", flat=True)) == ["p-1", "c-1"]
