"""SMS-4 in a real browser: a message CareNet sends shows up in the developer inbox, and a reply typed there as
the patient goes through the same inbound path as the gateway's webhook (an unknown text gets a helpful answer,
SMS-2/CXL-2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from carenet.messaging import services
from carenet.messaging.inbound import unrecognised_reply
from carenet.messaging.models import InboundMessage, OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+48600100200"


def test_message_read_and_answered_in_the_developer_inbox(page: Any, live_server: Any) -> None:
    with transaction.atomic():
        services.outbox_enqueue(
            key="journey:welcome:1",
            purpose="welcome",
            channel="sms",
            recipient="600 100 200",
            body="CareNet: witamy w sieci. Wizyty umówisz w portalu.",
        )
    page.goto(live_server.url + "/sms/dev/")
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.get_by_role("link", name=PHONE).click()
    assert page.get_by_text("CareNet: witamy w sieci.").is_visible()

    page.locator("section[aria-labelledby=reply-heading] textarea").fill("  dzień dobry, co to za wiadomość?")
    page.locator("section[aria-labelledby=reply-heading] button[type=submit]").click()
    page.locator("form[action$='/sms/dev/send-now/'] button").click()

    assert page.get_by_text("dzień dobry, co to za wiadomość?").is_visible()
    assert page.get_by_text(unrecognised_reply()).is_visible()
    inbound = InboundMessage.objects.get()
    assert (inbound.sender, inbound.provider) == (PHONE, "local")
    assert OutboundMessage.objects.filter(key=f"reply:{inbound.pk}", status="sent").count() == 1
