"""Smoke journey in a real browser: the home page, the developer SMS inbox and the back-office login."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_in_polish_with_help_numbers(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.locator("footer").get_by_text("112").is_visible()


def test_language_switch_to_english(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    page.select_option("#language-select", "en")
    page.get_by_role("button", name="Zmień").click()
    page.wait_for_url("**/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="CareNet — your medical network").is_visible()


def test_developer_sms_inbox_opens(page: Any, live_server: Any) -> None:
    response = page.goto(live_server.url + "/sms/dev/")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).is_visible()


def test_back_office_login(page: Any, live_server: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_superuser(username="admin", password="demo-admin-2026", email="a@carenet.test")
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo-admin-2026")
    page.locator("input[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator("#site-name").is_visible()
