"""The gateway webhooks and input they cannot fully act on (issue 10, SMS-2): whatever arrives with the right
secret answers 200 — the gateway repeats anything else forever — and what can be stored is stored. NUL characters
fail only on PostgreSQL, so CI runs these there too."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from carenet.messaging.models import InboundMessage, OutboundMessage
from carenet.messaging.services import outbox_dispatch_all, outbox_enqueue
from carenet.messaging.tests.test_views import SECRET, inbound_url, mo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_webhook_secret")]


@pytest.fixture
def _webhook_secret():  # type: ignore[no-untyped-def]
    with override_settings(CARENET_SMS_WEBHOOK_SECRET=SECRET):
        yield


def report_url() -> str:
    return reverse("messaging:smsapi_report", kwargs={"secret": SECRET})


@pytest.mark.parametrize("text", ["TAK\x00", "\x00", "NIE\x07\x1b"])
def test_a_text_with_nul_or_control_characters_is_stored_without_them_and_answered(text: str) -> None:
    response = Client().post(inbound_url(), mo(text=text))
    assert (response.status_code, response.content) == (200, b"OK")
    [message] = InboundMessage.objects.all()
    assert message.text == text.replace("\x00", "").replace("\x07", "").replace("\x1b", "")
    assert message.handled_at is not None
    assert OutboundMessage.objects.filter(key=f"reply:{message.pk}").exists()


@pytest.mark.parametrize("msg_id", ["MO\x00-1", "", "M" * 500])
def test_a_message_id_that_cannot_be_stored_still_records_the_message_once(msg_id: str) -> None:
    for _ in range(2):  # the gateway's retry acts once
        response = Client().post(inbound_url(), mo(msg_id=msg_id))
        assert (response.status_code, response.content) == (200, b"OK")
    [message] = InboundMessage.objects.all()
    assert "\x00" not in message.provider_message_id and len(message.provider_message_id) <= 100
    assert OutboundMessage.objects.count() == 1


def test_a_sender_with_a_nul_is_read_without_it() -> None:
    response = Client().post(inbound_url(), mo(sender="48500100200\x00"))
    assert response.status_code == 200
    assert InboundMessage.objects.get().sender == "+48500100200"


@pytest.mark.parametrize("fields", [{"sms_text": "TAK"}, {"sms_from": "\x00", "MsgId": "MO-9"}, {}])
def test_a_message_without_a_sender_answers_200_and_stores_nothing(fields: dict[str, str]) -> None:
    response = Client().post(inbound_url(), fields)
    assert (response.status_code, response.content) == (200, b"OK")
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"MsgId": "A1\x00", "status": "404", "idx": "k:1\x00"},
        {"MsgId": "A" * 500, "status": "404", "idx": "k" * 500},
        {"MsgId": "\x00", "status": "\x00", "idx": "\x00", "donedate": "\x00"},
    ],
)
def test_a_delivery_report_with_ids_that_cannot_be_stored_answers_200(query: dict[str, str]) -> None:
    outbox_enqueue(key="k:1", purpose="test", channel="sms", recipient="500100200", body="x")
    outbox_dispatch_all()
    for method in ("get", "post"):
        response = getattr(Client(), method)(report_url(), query)
        assert (response.status_code, response.content) == (200, b"OK")
    delivered = query["idx"] == "k:1\x00"
    assert OutboundMessage.objects.get(key="k:1").status == ("delivered" if delivered else "sent")
