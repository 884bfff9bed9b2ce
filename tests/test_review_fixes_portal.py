"""Review of issue 14 (patient portal on a phone, bilingual, accessible): problems found and fixed, each proved here."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts import two_factor
from carenet.accounts.tests.factories import UserFactory
from carenet.portal.tests.booking_world import build_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "language", "heading"),
    [("/en/no-such-page/", "en", "Page not found"), ("/no-such-page/", "pl", "Nie znaleziono strony")],
)
def test_a_missing_page_is_in_the_design_and_the_page_language(address: str, language: str, heading: str) -> None:
    # BEY-5, issue 14: Django's bare English "Not Found" page had no header, menu, footer or landmarks, and was in
    # English on Polish pages.
    response = Client().get(address)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert f"<h1>{heading}</h1>" in html
    assert 'class="site-header"' in html and '<main id="main"' in html and 'class="site-footer"' in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize(("language", "heading"), [("en", "Something went wrong"), ("pl", "Coś poszło nie tak")])
def test_the_server_error_page_is_in_the_design_and_the_page_language(language: str, heading: str) -> None:
    # Django renders 500.html without a request or context processors: the page stands alone and needs no database.
    with translation.override(language):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert f'<html lang="{language}"' in html and f"<h1>{heading}</h1>" in html
    assert "pico.min.css" in html and '<main id="main"' in html and "112" in html


def test_a_refused_form_without_its_csrf_token_is_in_the_design_and_english() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="en"' in html and 'class="site-header"' in html


@pytest.mark.parametrize(("language", "name"), [("en", "QR code for the authenticator app"), ("pl", "Kod QR dla")])
def test_the_authenticator_qr_code_scales_and_is_named_in_the_page_language(language: str, name: str) -> None:
    # A fixed-size code (width="…" height="…") of a long login stuck out of a 320 px phone; "otpauth" was its name.
    user = UserFactory(username="maximiliana.wierzbickaszczepanska@przychodniamedycznaexample.pl")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    with translation.override(language):
        svg = two_factor.qr_svg(device)
    opening = svg[: svg.index(">")]
    assert "viewBox=" in opening and "width=" not in opening
    assert f"<title>{name}" in svg


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refused_search_does_not_also_say_choose_a_specialty(htmx: bool) -> None:
    # SCH-2: a search with a specialty but impossible dates said its errors AND "Choose a doctor or a specialty and
    # press Search." — the second contradicted the first (and was announced with the swapped results).
    world = build_world()
    client = Client()
    client.force_login(world.patient_a.user)
    params = world.search_params(date_from="9999-12-20", date_to="9999-12-30")
    headers = {"HX-Request": "true"} if htmx else {}
    html = client.get("/en/find-a-visit/", params, headers=headers).content.decode()
    assert "Enter a date between" in html
    assert "Choose a doctor or a specialty and press Search." not in html
    # The hint stays on the page before any search.
    assert "Choose a doctor or a specialty and press Search." in client.get("/en/find-a-visit/").content.decode()
