"""The pages anyone meets before logging in, on the demo network: axe-core (WCAG 2.2 A/AA) at 1280×800 and 390×844
and no sideways scroll at 390 and 320 px, in Polish and English, empty and after a failed submit (BEY-5, issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.accessibility import PHONE, check_page
from tests.browser.demo_site import DemoSite

pytestmark = [pytest.mark.browser]

PUBLIC_PAGES = ("portal:home", "portal:facilities", "portal:login", "staff:login", "portal:register")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_public_pages_pass_axe_and_fit_a_phone(page: Any, demo_site: DemoSite, language: str) -> None:
    for name in PUBLIC_PAGES:
        demo_site.go(page, name, language)
        check_page(page, f"{name} ({language})")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_login_forms_with_errors_pass_axe(page: Any, demo_site: DemoSite, language: str) -> None:
    for name in ("portal:login", "staff:login"):
        demo_site.go(page, name, language)
        page.fill("#id_username", "nobody")
        page.fill("#id_password", "wrong password")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        check_page(page, f"{name} after a wrong password ({language})")


def test_the_menu_opens_and_closes_on_a_phone(page: Any, demo_site: DemoSite) -> None:
    page.set_viewport_size(PHONE)
    demo_site.go(page, "portal:home")
    menu = page.locator("#site-menu")
    toggle = page.get_by_role("button", name="Menu")
    assert not menu.is_visible()
    toggle.click()
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    check_page(page, "home with the menu open")
    page.set_viewport_size(PHONE)
    page.keyboard.press("Escape")
    assert not menu.is_visible() and toggle.get_attribute("aria-expanded") == "false"
