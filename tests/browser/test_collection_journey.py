"""CLN-3 on a 390 px wide phone: the Mokotów receptionist records Anna's authorisation for Jan Nowak from the signed
form, checks Jan at "Wydanie wyników" (authorised: the list of exams, no values); Anna logs in, sees it with the
PESEL masked and revokes it; the desk's check of Jan now refuses — nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carenet.results.models import CollectionAuthorisation
from carenet.results.tests.factories import ObservationFactory
from tests.browser.conftest import ARTIFACTS
from tests.cast import build_cast, with_collection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
JAN = "44051401359"


def fits(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    wide = page.evaluate(  # what sticks out, to name it when this fails
        "Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
    )
    assert widths[0] <= widths[1], (page.url, widths, wide)


def login(page: Any, live_server: Any, door: str, username: str, landing: str) -> None:
    page.goto(live_server.url + reverse(door))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + reverse(landing))


def desk_check(page: Any, live_server: Any, patient_id: int, pesel: str) -> Any:
    page.goto(live_server.url + reverse("staff:collection_check", args=[patient_id]))
    page.get_by_label("Kto odbiera wyniki").select_option("person")
    page.get_by_label("PESEL osoby odbierającej").fill(pesel)
    page.get_by_label("Sprawdziłem/am dokument tożsamości").check()
    page.get_by_role("button", name="Sprawdź").click()
    outcome = page.locator("#check-outcome")
    outcome.wait_for()
    fits(page)
    return outcome


def test_record_check_revoke_and_refuse_on_a_phone(browser: Any, live_server: Any) -> None:
    cast = with_collection(build_cast())
    assert cast.collection_result is not None
    ObservationFactory(result=cast.collection_result, name="Hemoglobina", value="13.579")
    for role in ("patient", "receptionist_here"):
        user = cast.user(role)
        assert user is not None
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    context = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 780})
    page = context.new_page()
    try:
        # The desk: from Anna's page to her authorisations; the signed form becomes a record.
        login(page, live_server, "staff:login", "recepcja-mokotow", "staff:dashboard")
        # The patient's page fits a phone too: its visit tables become one block per visit.
        page.goto(live_server.url + reverse("staff:patient", args=[cast.patient.pk]))
        fits(page)
        page.get_by_role("link", name="Upoważnienia do odbioru wyników").click()
        page.wait_for_url(f"**/staff/patients/{cast.patient.pk}/collection/")
        fits(page)
        page.get_by_label("Imię i nazwisko osoby upoważnionej").fill("Jan Nowak")
        page.get_by_label("Jej PESEL").fill(JAN)
        page.get_by_label("Zakres").select_option("lab")
        page.get_by_label("Formularz upoważnienia podpisany przez pacjenta jest w dokumentacji").check()
        page.get_by_role("button", name="Zapisz upoważnienie").click()
        page.wait_for_url(f"**/staff/patients/{cast.patient.pk}/collection/")
        assert page.locator(".message").get_by_text("Upoważnienie dla Jan Nowak zostało zapisane").is_visible()
        jan = CollectionAuthorisation.objects.get(pesel=JAN)
        assert jan.facility_id == cast.here.pk and jan.scope == "lab"
        fits(page)
        page.screenshot(path=str(ARTIFACTS / "collection-recorded-390px.png"), full_page=True)

        # Jan comes for the results: authorised, the exams listed (never their values).
        outcome = desk_check(page, live_server, cast.patient.pk, JAN)
        assert outcome.get_attribute("data-outcome") == "authorised"
        assert outcome.get_by_text("Morfologia krwi").is_visible()
        assert "13.579" not in page.content()
        page.screenshot(path=str(ARTIFACTS / "collection-authorised-390px.png"), full_page=True)
        context.clear_cookies()

        # Anna sees it (PESEL masked) and revokes it.
        login(page, live_server, "portal:login", "anna", "portal:visits")
        page.goto(live_server.url + reverse("portal:treatment"))
        page.get_by_role("link", name="Upoważnienia do odbioru wyników").click()
        page.wait_for_url("**" + reverse("portal:collection_authorisations"))
        fits(page)
        card = page.locator(f'[data-authorisation="{jan.pk}"]')
        assert card.get_by_text("•••••••1359").is_visible() and JAN not in page.content()
        card.get_by_role("link", name="Odwołaj").click()
        page.get_by_role("heading", level=1, name="Odwołaj upoważnienie").wait_for()
        fits(page)
        page.get_by_role("button", name="Odwołaj").click()
        page.wait_for_url("**" + reverse("portal:collection_authorisations"))
        assert page.locator(f'[data-authorisation="{jan.pk}"]').get_attribute("data-status") == "revoked"
        fits(page)
        page.screenshot(path=str(ARTIFACTS / "collection-revoked-390px.png"), full_page=True)
        context.clear_cookies()

        # Back at the desk: Jan is refused, and hears nothing about the results.
        login(page, live_server, "staff:login", "recepcja-mokotow", "staff:dashboard")
        outcome = desk_check(page, live_server, cast.patient.pk, JAN)
        assert outcome.get_attribute("data-outcome") == "refused"
        assert "Morfologia" not in page.content()
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "collection-journey-390px.png"), full_page=True)
        context.close()
