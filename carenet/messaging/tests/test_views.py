"""The gateway webhooks and the developer inbox (SMS-2, SMS-4, CXL-2)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from carenet.messaging.models import InboundMessage, LocalSms, OutboundMessage
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


def test_dev_inbox_lists_conversations_and_reply_goes_through_inbound_path(client: Client) -> None:
    outbox_enqueue(
        key="booking-confirmation:appointment:1",
        purpose="booking-confirmation",
        channel="sms",
        recipient="500100200",
        body="CareNet: wizyta 12.01 o 10:00. Aby odwołać, odpowiedz NIE.",
    )
    outbox_dispatch_all()
    response = client.get(reverse("messaging:dev_inbox"))
    assert response.status_code == 200
    assert "+48500100200" in response.text
    conversation = reverse("messaging:dev_conversation", kwargs={"phone": "+48500100200"})
    response = client.get(conversation)
    assert "Aby odwołać" in response.text
    assert "Odpowiedz jako pacjent" in response.text

    response = client.post(conversation, {"text": "co?"})
    assert response.status_code == 302
    [inbound] = InboundMessage.objects.all()
    assert inbound.provider == "local"
    assert inbound.sender == "+48500100200"
    assert inbound.handler == "fallback"
    reply_in = LocalSms.objects.get(direction="in")
    assert reply_in.in_reply_to is not None
    # The fallback's answer is in the outbox and reaches the inbox once sent.
    client.post(reverse("messaging:dev_send_now"), {"next": conversation})
    response = client.get(conversation)
    assert "nie rozpoznaliśmy" in response.text


def test_dev_inbox_new_conversation_validates_phone(client: Client) -> None:
    response = client.post(reverse("messaging:dev_inbox"), {"phone": "12", "text": "TAK"})
    assert response.status_code == 200
    assert not InboundMessage.objects.exists()
    response = client.post(reverse("messaging:dev_inbox"), {"phone": "501 000 000", "text": "TAK"})
    assert response.status_code == 302
    assert InboundMessage.objects.get().sender == "+48501000000"


@override_settings(CARENET_SMS_DEV_INBOX=False)
def test_dev_inbox_is_404_when_disabled(client: Client) -> None:
    assert client.get(reverse("messaging:dev_inbox")).status_code == 404
    assert client.post(reverse("messaging:dev_inbox"), {"phone": "501000000", "text": "x"}).status_code == 404
    phone_url = reverse("messaging:dev_conversation", kwargs={"phone": "+48500100200"})
    assert client.post(phone_url, {"text": "TAK"}).status_code == 404
    assert client.post(reverse("messaging:dev_send_now")).status_code == 404
    assert not InboundMessage.objects.exists()
