"""Shared fixtures of the messaging tests: a recording SMS backend and a fake SMSAPI gateway on loopback."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from carenet.dev.fake_smsapi import FakeSmsApiServer, start_in_thread
from carenet.messaging import inbound
from carenet.messaging.backends import PermanentSendError, SendResult, TransientSendError


@dataclass
class RecordingBackend:
    """Remembers every send; can be told to fail some keys a number of times."""

    name: str = "recording"
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    transient_failures: dict[str, int] = field(default_factory=dict)
    permanent_failures: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        with self.lock:
            if idempotency_key in self.permanent_failures:
                raise PermanentSendError("invalid number")
            if self.transient_failures.get(idempotency_key, 0) > 0:
                self.transient_failures[idempotency_key] -= 1
                raise TransientSendError("gateway busy")
            self.sent.append((to, text, idempotency_key))
            return SendResult(provider_message_id=f"R{len(self.sent)}", status="QUEUE")

    def counts(self) -> Counter[str]:
        return Counter(key for _, _, key in self.sent)


@pytest.fixture
def recording_backend(monkeypatch: pytest.MonkeyPatch) -> RecordingBackend:
    backend = RecordingBackend()
    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: backend)
    return backend


@pytest.fixture
def fake_smsapi() -> Iterator[FakeSmsApiServer]:
    server = start_in_thread(token="test-token")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = inbound.registered()
    yield
    for route in inbound.registered():
        inbound.unregister(route.name)
    for route in saved:
        inbound.register(route.name, route.matcher, route.handler, priority=route.priority)
