"""BEY-5, issue 14, on a 390×844 phone: an empty form sent opens with its error summary focused; a link of the summary
focuses its field; axe finds nothing on the failed page, in Polish and in English. An HTMX swap keeps the focus in
the swapped region and says politely what came."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.network.tests.factories import FacilityFactory
from carenet.questions.tests.factories import completed_visit
from tests.browser.accessibility import check_page
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # the factories' password
PHONE = {"width": 390, "height": 844}
WORDS = {
    "pl": {"register": "Załóż konto", "log_in": "Zaloguj się", "ask": "Zadaj pytanie", "next": "Następna"},
    "en": {"register": "Create an account", "log_in": "Log in", "ask": "Ask the question", "next": "Next"},
}


def url(live_server: Any, name: str, language: str) -> str:
    with translation.override(language):
        return live_server.url + reverse(name)


def wait_until(page: Any, script: str, timeout: float = 10.0) -> None:
    """Poll ``script`` (a JS expression) through the DevTools protocol: ``wait_for_function`` would evaluate it with
    ``eval``, which the pages' Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({script})"):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        page.wait_for_timeout(100)


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return {id: el.id, summary: el.hasAttribute('data-error-summary'), tag: el.tagName.toLowerCase(),
                           inResults: Boolean(el.closest('#results'))}; }"""
    )


def summary_is_focused_and_its_links_reach_the_fields(page: Any, label: str) -> None:
    assert focused(page)["summary"], f"{label}: the error summary is not focused"
    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert" and summary.get_attribute("tabindex") == "-1"
    links = summary.locator("a")
    assert links.count() >= 1
    check_page(page, label)
    page.set_viewport_size(PHONE)
    for index in range(links.count()):
        link = page.locator("[data-error-summary] a").nth(index)
        target = (link.get_attribute("href") or "")[1:]
        link.click()
        assert focused(page)["id"] == target, f"{label}: link {index} did not focus #{target}"
        field = page.locator(f"#{target}")
        assert field.get_attribute("aria-invalid") == "true"
        described = (field.get_attribute("aria-describedby") or "").split()
        assert any(page.locator(f"#{ref}").count() == 1 and ref.endswith("error") for ref in described), described


@pytest.mark.parametrize("language", ["pl", "en"])
def test_empty_registration_and_login_open_with_their_error_summary(
    browser: Any, live_server: Any, language: str
) -> None:
    context = browser.new_context(locale="pl-PL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(url(live_server, "portal:register", language))
        page.get_by_role("button", name=WORDS[language]["register"], exact=True).click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        summary_is_focused_and_its_links_reach_the_fields(page, f"registration, empty ({language})")

        page.goto(url(live_server, "portal:login", language))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        summary_is_focused_and_its_links_reach_the_fields(page, f"login, empty ({language})")
        page.fill("#id_username", "nobody")
        page.fill("#id_password", "wrong-password")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        # A wrong login is an error of the whole form: in the summary, linked to the first field.
        assert focused(page)["summary"]
        assert page.locator("[data-error-summary] a").first.get_attribute("href") == "#id_username"
        check_page(page, f"login, wrong password ({language})")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_an_empty_question_opens_with_its_error_summary(
    browser: Any, live_server: Any, cast: Cast, language: str
) -> None:
    visit = completed_visit(
        patient=cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=2), dt.time(9)),
    )
    context = browser.new_context(locale="pl-PL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(url(live_server, "portal:login", language))
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(url(live_server, "portal:questions", language))
        card = page.locator(f"#visit-{visit.pk}")
        card.get_by_role("button", name=WORDS[language]["ask"]).click()
        page.wait_for_load_state()
        summary_is_focused_and_its_links_reach_the_fields(page, f"question, empty ({language})")
        assert focused(page)["id"] == f"question-{visit.pk}"
    finally:
        context.close()


def test_paging_the_facilities_keeps_the_focus_in_the_results_and_announces_them(
    browser: Any, live_server: Any
) -> None:
    FacilityFactory.create_batch(25)
    context = browser.new_context(locale="pl-PL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(url(live_server, "portal:facilities", "pl"))
        next_page = page.locator("#results").get_by_role("link", name=WORDS["pl"]["next"])
        next_page.focus()
        with page.expect_response(lambda response: "page=2" in response.url):
            page.keyboard.press("Enter")
        wait_until(
            page, "document.querySelector('#results') && !document.querySelector('.htmx-settling, .htmx-request')"
        )
        count = page.locator("#results p").first.inner_text().strip()
        wait_until(page, f"document.getElementById('swap-status').textContent.trim() === {count!r}")
        where = focused(page)
        assert where["inResults"] and where["tag"] != "body", where
        check_page(page, "facilities, second page after an HTMX swap")
    finally:
        context.close()


def test_a_clinician_form_swapped_by_htmx_focuses_its_summary(browser: Any, live_server: Any, cast: Cast) -> None:
    starts = clock.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    visit = visit_of(cast.other_patient, cast.clinician_with, cast.consult, starts, facility=cast.here)
    context = browser.new_context(locale="pl-PL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(url(live_server, "staff:login", "pl"))
        page.fill("#id_username", cast.users["clinician_with"].username)  # type: ignore[union-attr]
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(live_server.url + reverse("staff:clinician_visit", args=[visit.pk]))
        page.locator("#issue-recommendation summary").click()
        page.locator("#issue-recommendation button[type=submit]").click()
        page.locator("#issue-recommendation [data-error-summary]").wait_for()
        wait_until(page, "document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
        assert "<html" not in page.locator("#clinical").inner_html()
        link = page.locator("#issue-recommendation [data-error-summary] a").first
        target = (link.get_attribute("href") or "")[1:]
        link.click()
        assert focused(page)["id"] == target == "id_recommendation-text"
        assert page.locator(f"#{target}").get_attribute("aria-invalid") == "true"
        check_page(page, "clinician visit, a document form refused after an HTMX swap")
    finally:
        context.close()
