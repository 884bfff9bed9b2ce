"""SMS-4: the SMSAPI backend over real HTTP against the fake gateway on loopback; the local backend."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from carenet.dev.fake_smsapi import FakeSmsApiServer, start_in_thread
from carenet.messaging.backends import (
    LocalSmsBackend,
    PermanentSendError,
    SmsApiBackend,
    TransientSendError,
    get_sms_backend,
)
from carenet.messaging.models import LocalSms

TOKEN = "test-token"


def backend_for(server: FakeSmsApiServer, *, token: str = TOKEN, timeout: float = 5) -> SmsApiBackend:
    return SmsApiBackend(token=token, url=server.url, sender="CareNet", timeout=timeout)


def test_send_reaches_the_gateway_with_our_key(fake_smsapi: FakeSmsApiServer) -> None:
    result = backend_for(fake_smsapi).send(to="+48500100200", text="Zażółć gęślą jaźń", idempotency_key="k:1")
    assert result.provider_message_id.startswith("FAKE")
    assert result.status == "QUEUE"
    assert not result.duplicate
    [record] = fake_smsapi.state.accepted
    assert record == record | {"number": "48500100200", "message": "Zażółć gęślą jaźń", "idx": "k:1", "from": "CareNet"}


def test_duplicate_key_counts_as_already_sent(fake_smsapi: FakeSmsApiServer) -> None:
    backend = backend_for(fake_smsapi)
    backend.send(to="+48500100200", text="raz", idempotency_key="k:1")
    again = backend.send(to="+48500100200", text="raz", idempotency_key="k:1")
    assert again.duplicate
    assert len(fake_smsapi.state.accepted) == 1
    assert fake_smsapi.state.stats()["duplicates"] == 1


def test_gateway_overload_is_transient() -> None:
    server = start_in_thread(token="test-token", fail_every=1)
    try:
        with pytest.raises(TransientSendError):
            backend_for(server).send(to="+48500100200", text="x", idempotency_key="k:1")
    finally:
        server.shutdown()
        server.server_close()


def test_lost_acknowledgement_then_retry_delivers_once() -> None:
    # The retry's answer (a duplicate, at once) must come within the client's timeout on a busy CI machine too.
    server = start_in_thread(token="test-token", lost_ack_every=1, lost_ack_stall=3.0)
    try:
        backend = backend_for(server, timeout=1.0)
        with pytest.raises(TransientSendError):
            backend.send(to="+48500100200", text="x", idempotency_key="k:1")
        assert backend.send(to="+48500100200", text="x", idempotency_key="k:1").duplicate
        assert len(server.state.accepted) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_invalid_number_is_permanent(fake_smsapi: FakeSmsApiServer) -> None:
    with pytest.raises(PermanentSendError):
        backend_for(fake_smsapi).send(to="not-a-number", text="x", idempotency_key="k:1")


def test_wrong_token_is_transient_and_sends_nothing(fake_smsapi: FakeSmsApiServer) -> None:
    with pytest.raises(TransientSendError):
        backend_for(fake_smsapi, token="wrong").send(to="+48500100200", text="x", idempotency_key="k:1")
    assert not fake_smsapi.state.accepted


def test_unreachable_gateway_is_transient() -> None:
    server = start_in_thread()
    url = server.url
    server.shutdown()
    server.server_close()
    backend = SmsApiBackend(token="t", url=url, sender="CareNet", timeout=1)
    with pytest.raises(TransientSendError):
        backend.send(to="+48500100200", text="x", idempotency_key="k:1")


def test_fake_inspection_endpoints(fake_smsapi: FakeSmsApiServer) -> None:
    backend_for(fake_smsapi).send(to="+48500100200", text="x", idempotency_key="k:1")
    with urllib.request.urlopen(fake_smsapi.url + "_fake/stats") as response:  # noqa: S310 - loopback
        assert json.load(response)["accepted"] == 1
    with urllib.request.urlopen(fake_smsapi.url + "_fake/messages") as response:  # noqa: S310 - loopback
        assert [m["idx"] for m in json.load(response)] == ["k:1"]


@pytest.mark.django_db
def test_local_backend_stores_and_refuses_a_repeated_key() -> None:
    backend = LocalSmsBackend()
    first = backend.send(to="+48500100200", text="raz", idempotency_key="k:1")
    second = backend.send(to="+48500100200", text="raz", idempotency_key="k:1")
    assert not first.duplicate
    assert second.duplicate
    assert second.provider_message_id == first.provider_message_id
    assert LocalSms.objects.count() == 1


def test_backend_is_built_from_settings() -> None:
    with override_settings(CARENET_SMS_BACKEND="local"):
        assert isinstance(get_sms_backend(), LocalSmsBackend)
    with override_settings(CARENET_SMS_BACKEND="smsapi", CARENET_SMSAPI_TOKEN=""), pytest.raises(ImproperlyConfigured):
        get_sms_backend()
    with override_settings(
        CARENET_SMS_BACKEND="smsapi", CARENET_SMSAPI_URL="http://127.0.0.1:9", CARENET_SMSAPI_TOKEN=TOKEN
    ):
        backend = get_sms_backend()
        assert isinstance(backend, SmsApiBackend)
        assert backend.client.domain == "http://127.0.0.1:9/"
        assert get_sms_backend() is backend
    with override_settings(CARENET_SMS_BACKEND="carrier-pigeon"), pytest.raises(ValueError):
        get_sms_backend()


def test_sends_reuse_one_keep_alive_connection(fake_smsapi: FakeSmsApiServer) -> None:
    backend = backend_for(fake_smsapi)
    for number in range(3):
        backend.send(to="+48500100200", text="x", idempotency_key=f"k:{number}")
    assert len(fake_smsapi.state.accepted) == 3
    assert fake_smsapi.state.stats()["connections"] == 1


def test_each_thread_has_its_own_connection(fake_smsapi: FakeSmsApiServer) -> None:
    backend = backend_for(fake_smsapi)
    backend.send(to="+48500100200", text="x", idempotency_key="k:main")

    def send_twice(number: int) -> None:
        backend.send(to="+48500100200", text="x", idempotency_key=f"k:{number}:a")
        backend.send(to="+48500100200", text="x", idempotency_key=f"k:{number}:b")

    threads = [threading.Thread(target=send_twice, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_smsapi.state.accepted) == 5
    assert fake_smsapi.state.stats()["connections"] == 3


def test_connection_dropped_by_the_gateway_is_replaced(fake_smsapi: FakeSmsApiServer) -> None:
    backend = backend_for(fake_smsapi)
    backend.send(to="+48500100200", text="x", idempotency_key="k:1")
    assert fake_smsapi.drop_connections() == 1
    # urllib3 sees the closed idle connection and opens a new one; were the close to race the request, the error
    # would be transient (retried later, the idx keeps the retry from sending twice).
    try:
        backend.send(to="+48500100200", text="x", idempotency_key="k:2")
    except TransientSendError:
        backend.send(to="+48500100200", text="x", idempotency_key="k:2")
    assert [m["idx"] for m in fake_smsapi.state.accepted] == ["k:1", "k:2"]
    assert fake_smsapi.state.stats()["connections"] == 2


def test_gateway_gone_after_a_kept_connection_is_transient() -> None:
    server = start_in_thread(token=TOKEN)
    backend = backend_for(server, timeout=1)
    backend.send(to="+48500100200", text="x", idempotency_key="k:1")
    server.shutdown()
    server.drop_connections()
    server.server_close()
    with pytest.raises(TransientSendError):
        backend.send(to="+48500100200", text="x", idempotency_key="k:2")


def test_other_callers_of_the_client_still_get_their_own_connection(fake_smsapi: FakeSmsApiServer) -> None:
    backend = backend_for(fake_smsapi)
    # Outside SmsApiBackend.send (no session set) the client behaves as it always did: a connection per request.
    backend.client.sms.send(to="48500100200", message="x", idx="k:1", check_idx=1)
    backend.client.sms.send(to="48500100200", message="x", idx="k:2", check_idx=1)
    assert fake_smsapi.state.stats()["connections"] == 2
