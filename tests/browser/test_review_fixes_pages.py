"""Review of issue 14 in a browser: page states the tour does not reach, each checked with axe and at phone widths."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.accessibility import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("path", "heading"), [("/en/no-such-page/", "Page not found"), ("/nie-ma/", "Nie znaleziono strony")]
)
def test_the_missing_page_uses_the_design_and_passes_axe(page: Any, live_server: Any, path: str, heading: str) -> None:
    # BEY-5, issue 14: Django's bare "Not Found" (English everywhere, no landmarks, no way back) is replaced.
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == heading
    assert page.locator("header.site-header").is_visible() and page.locator("footer.site-footer").is_visible()
    check_page(page, f"404 {path}")


def test_an_expired_form_gets_a_page_in_the_design_and_english(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/en/login/")
    page.context.clear_cookies()
    page.fill("#id_username", "someone")
    page.fill("#id_password", "a password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("h1").inner_text() == "The form has expired"
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, "403 CSRF failure (en)")
