"""CLN-3, issue 12: on a 390 px wide phone a patient opens "Wyniki", opens her blood count with a haemoglobin below
its range (marked in words and with an arrow), follows "Historia" to the haemoglobin's values over time — a chart
with the reference band and a table — and nothing scrolls sideways on the way. The same pages at 320 px. Screenshots
of every step go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from carenet.core import clock
from carenet.results.tests.factories import ObservationFactory, ResultFactory
from tests.browser.accessibility import open_menu
from tests.browser.conftest import ARTIFACTS
from tests.cast import RESULT_CODE, build_cast, with_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"results-{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], (page.url, widths)


def test_patient_reads_a_result_and_an_analytes_history_on_a_phone(browser: Any, live_server: Any) -> None:
    cast = with_results(build_cast())
    assert cast.result is not None
    for months, value, flag in ((6, "13.4", ""), (4, "11.2", "L"), (2, "12.8", "")):
        at = clock.now() - dt.timedelta(days=30 * months)
        earlier = ResultFactory(
            patient=cast.patient, facility=cast.here, reported_at=at, received_at=at, collected_at=at
        )
        ObservationFactory(
            result=earlier, sequence=1, code=RESULT_CODE, value=value, numeric_value=Decimal(value), abnormal_flag=flag
        )
    imaging = ResultFactory(
        patient=cast.patient,
        kind="imaging",
        code="USG-JB",
        name="USG jamy brzusznej",
        report_text="Wątroba niepowiększona, o prawidłowej echogeniczności. " * 6,
        reported_at=clock.now() - dt.timedelta(days=10),
    )

    context = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 800})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    try:
        page.goto(live_server.url + reverse("portal:login"))
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(live_server.url + reverse("portal:visits"))

        open_menu(page)
        page.get_by_role("link", name="Wyniki").first.click()
        page.wait_for_url(live_server.url + reverse("portal:results"))
        newest = page.locator(f"li[data-result='{cast.result.pk}']")
        assert newest.get_by_text("Niektóre wartości są poza zakresem referencyjnym").is_visible()
        assert page.locator(f"li[data-result='{imaging.pk}']").is_visible()
        no_sideways_scroll(page)
        shot(page, "01-list")

        newest.get_by_role("link", name="Morfologia krwi").click()
        page.wait_for_url(live_server.url + reverse("portal:result", args=[cast.result.pk]))
        low = page.locator("tr.out-of-range [data-mark='low']")
        assert low.is_visible() and "poniżej zakresu" in low.inner_text() and "↓" in low.inner_text()
        assert page.get_by_role("link", name="Pobierz raport PDF").is_visible()
        no_sideways_scroll(page)
        shot(page, "02-result")

        page.locator("tr.out-of-range").get_by_role("link", name="Historia").click()
        history = reverse("portal:analyte_history", args=[RESULT_CODE])
        page.wait_for_url(f"{live_server.url}{history}?who={cast.patient.pk}")
        chart = page.locator("svg.chart")
        assert chart.is_visible() and chart.get_attribute("role") == "img"
        assert page.locator("svg.chart .chart-band").count() == 1
        assert page.locator("svg.chart .chart-point.out").count() == 2  # 11.2 (L) and today's 10.1 (L)
        assert page.locator("svg.chart circle.chart-point").count() == 2
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 390
        rows = page.locator("#history-table tbody tr")
        assert rows.count() == 4 and "10.1" in rows.first.inner_text()
        no_sideways_scroll(page)
        shot(page, "03-history")

        page.set_viewport_size({"width": 320, "height": 700})
        for url in (
            reverse("portal:results"),
            reverse("portal:result", args=[cast.result.pk]),
            reverse("portal:result", args=[imaging.pk]),
            reverse("portal:analyte_history", args=[RESULT_CODE]),
        ):
            page.goto(live_server.url + url)
            no_sideways_scroll(page)
        shot(page, "04-history-320")
        assert not refused, refused
    finally:
        context.close()
