"""BEY-5, issue 14: a reader who chooses English keeps it — the developer SMS inbox included — and switching back
opens the same page in Polish. Every page met is checked with axe-core and for sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.accessibility import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_english_is_kept_through_the_sms_inbox_and_polish_comes_back(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/sms/dev/")
    assert page.locator("html").get_attribute("lang") == "pl"
    check_page(page, "SMS inbox, Polish")
    page.select_option("#language-select", "en")
    page.get_by_role("button", name="Zmień").click()
    page.wait_for_url(live_server.url + "/en/sms/dev/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Send queued messages now").is_visible()
    assert page.get_by_text("For example TAK (yes), NIE (no) or a number from the list.").is_visible()
    check_page(page, "SMS inbox, English")

    # write as a patient: the conversation page that follows is English too
    page.get_by_label("Patient's phone number").fill("500 100 200")
    page.get_by_label("Reply text").fill("TAK")
    page.get_by_role("button", name="Send as the patient").click()
    page.wait_for_url(live_server.url + "/en/sms/dev/+48500100200/")
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, "SMS conversation, English")

    page.select_option("#language-select", "pl")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url(live_server.url + "/sms/dev/+48500100200/")
    assert page.locator("html").get_attribute("lang") == "pl"
    check_page(page, "SMS conversation, Polish")
