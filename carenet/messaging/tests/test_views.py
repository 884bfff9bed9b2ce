"""The gateway webhooks (SMS-2, SMS-4, CXL-2)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from carenet.messaging.models import InboundMessage, OutboundMessage
from carenet.messaging.services import outbox_dispatch_all, outbox_enqueue

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-for-tests"


def inbound_url(secret: str = SECRET) -> str:
    return reverse("messaging:smsapi_inbound", kwargs={"secret": secret})


def mo(msg_id: str = "MO-1", text: str = "Dzień dobry", sender: str = "48500100200") -> dict[str, str]:
    return {
        "sms_to": "48799000000",
        "sms_from": sender,
        "sms_text": text,
        "sms_date": "1767225600",
        "MsgId": msg_id,
        "username": "carenet",
    }


@override_settings(CARENET_SMS_WEBHOOK_SECRET=SECRET)
def test_wrong_secret_is_refused_and_stores_nothing(client: Client) -> None:
    response = client.post(inbound_url("wrong"), mo())
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    assert not OutboundMessage.objects.exists()
    response = client.get(
        reverse("messaging:smsapi_report", kwargs={"secret": "wrong"}), {"MsgId": "x", "status": "404"}
    )
    assert response.status_code == 403


@override_settings(CARENET_SMS_WEBHOOK_SECRET="")
def test_no_configured_secret_refuses_everything(client: Client) -> None:
    assert client.post("/sms/webhook/smsapi//inbound", mo()).status_code == 404
    assert client.post(inbound_url("anything"), mo()).status_code == 403


@override_settings(CARENET_SMS_WEBHOOK_SECRET=SECRET)
def test_inbound_delivered_three_times_acts_once(client: Client) -> None:
    for _ in range(3):
        response = client.post(inbound_url(), mo())
        assert response.status_code == 200
        assert response.content == b"OK"
    [message] = InboundMessage.objects.all()
    assert message.sender == "+48500100200"
    assert message.handler == "fallback"
    assert message.outcome == "unrecognised"
    assert message.received_at.year == 2026
    [reply] = OutboundMessage.objects.all()
    assert reply.key == f"reply:{message.pk}"
    assert reply.recipient == "+48500100200"
    assert "nie rozpoznaliśmy" in reply.body


@override_settings(CARENET_SMS_WEBHOOK_SECRET=SECRET)
def test_inbound_without_a_sender_is_answered_ok_and_not_stored(client: Client) -> None:
    # The gateway repeats any answer but 200 forever (issue 10); with nobody to act for, nothing is stored.
    assert client.post(inbound_url(), {"sms_text": "TAK"}).status_code == 200
    assert not InboundMessage.objects.exists()


@override_settings(CARENET_SMS_WEBHOOK_SECRET=SECRET)
def test_delivery_reports_update_status(client: Client) -> None:
    for number in (1, 2):
        outbox_enqueue(key=f"k:{number}", purpose="test", channel="sms", recipient="500100200", body="x")
    outbox_dispatch_all()
    url = reverse("messaging:smsapi_report", kwargs={"secret": SECRET})
    response = client.get(url, {"MsgId": "A1,A2", "status": "404,405", "idx": "k:1,k:2", "donedate": "1767225600,"})
    assert response.content == b"OK"
    statuses = dict(OutboundMessage.objects.values_list("key", "status"))
    assert statuses == {"k:1": "delivered", "k:2": "undelivered"}
