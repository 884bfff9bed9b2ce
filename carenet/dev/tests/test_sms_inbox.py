"""The developer SMS inbox (SMS-4): read the local gateway's conversations, reply as a patient."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from carenet.messaging.models import InboundMessage, LocalSms
from carenet.messaging.services import outbox_dispatch_all, outbox_enqueue

pytestmark = pytest.mark.django_db


def test_dev_inbox_lists_conversations_and_reply_goes_through_inbound_path(client: Client) -> None:
    outbox_enqueue(
        key="booking-confirmation:appointment:1",
        purpose="booking-confirmation",
        channel="sms",
        recipient="500100200",
        body="CareNet: wizyta 12.01 o 10:00. Aby odwołać, odpowiedz NIE.",
    )
    outbox_dispatch_all()
    response = client.get(reverse("dev:sms_inbox"))
    assert response.status_code == 200
    assert "+48500100200" in response.text
    conversation = reverse("dev:sms_conversation", kwargs={"phone": "+48500100200"})
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
    client.post(reverse("dev:sms_send_now"), {"next": conversation})
    response = client.get(conversation)
    assert "nie rozpoznaliśmy" in response.text


def test_dev_inbox_new_conversation_validates_phone(client: Client) -> None:
    response = client.post(reverse("dev:sms_inbox"), {"phone": "12", "text": "TAK"})
    assert response.status_code == 200
    assert not InboundMessage.objects.exists()
    response = client.post(reverse("dev:sms_inbox"), {"phone": "501 000 000", "text": "TAK"})
    assert response.status_code == 302
    assert InboundMessage.objects.get().sender == "+48501000000"


@override_settings(CARENET_SMS_DEV_INBOX=False)
def test_dev_inbox_is_404_when_disabled(client: Client) -> None:
    assert client.get(reverse("dev:sms_inbox")).status_code == 404
    assert client.post(reverse("dev:sms_inbox"), {"phone": "501000000", "text": "x"}).status_code == 404
    phone_url = reverse("dev:sms_conversation", kwargs={"phone": "+48500100200"})
    assert client.post(phone_url, {"text": "TAK"}).status_code == 404
    assert client.post(reverse("dev:sms_send_now")).status_code == 404
    assert not InboundMessage.objects.exists()


def test_the_inbox_keeps_the_chosen_language(client: Client) -> None:
    """BEY-5, issue 14: in English the inbox, a conversation, a reply and "send now" stay English (/en/sms/dev/)."""
    with translation.override("en"):
        inbox = reverse("dev:sms_inbox")
        conversation = reverse("dev:sms_conversation", kwargs={"phone": "+48500100200"})
        send_now = reverse("dev:sms_send_now")
    assert inbox == "/en/sms/dev/"
    response = client.get(inbox)
    assert '<html lang="en"' in response.text and "Send queued messages now" in response.text
    response = client.post(inbox, {"phone": "500 100 200", "text": "TAK"})
    assert response.status_code == 302 and response["Location"] == conversation
    response = client.get(conversation)
    assert '<html lang="en"' in response.text and "message has been received." in response.text
    response = client.post(send_now, {"next": conversation})
    assert response["Location"] == conversation
    # the Polish inbox stays where it was, and "next" leads only to the inbox's own pages
    with translation.override("pl"):
        assert reverse("dev:sms_inbox") == "/sms/dev/"
    for elsewhere in ("https://example.com/sms/dev/", "//example.com/sms/dev/", "/en/konto/", "/sms/dev/../../admin/"):
        assert client.post(send_now, {"next": elsewhere})["Location"] == inbox
