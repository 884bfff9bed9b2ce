"""Every page keeps the chosen language (BEY-5, issue 14): the language switch sends the reader to the same page in
the other language (the developer SMS inbox included), and logging in, the staff's second step, logging out, the
bank's identity round trip and HTMX partials all stay in English once English is chosen. (Every page's own
redirects — to the login, the 2FA step, back to a list — are checked for every role in test_english_pages.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.http import HttpResponseRedirect
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts import bank
from carenet.accounts.models import User
from carenet.accounts.tests.factories import UserFactory
from carenet.portal.tests.booking_world import World, build_world

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def url(name: str, language: str, *args: Any) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def path_of(location: str) -> str:
    return urlsplit(location).path


@pytest.fixture
def world() -> World:
    world = build_world()
    User.objects.filter(pk=world.patient_a.user_id).update(password=make_password(PASSWORD))
    world.patient_a.user.refresh_from_db()
    return world


@pytest.mark.parametrize(
    ("page", "args"),
    [
        ("portal:home", ()),
        ("portal:visits", ()),
        ("portal:search", ()),
        ("portal:login", ()),
        ("staff:dashboard", ()),
        ("dev:sms_inbox", ()),
        ("dev:sms_conversation", ("+48500100200",)),
    ],
)
def test_the_language_switch_opens_the_same_page_in_the_other_language(page: str, args: tuple[str, ...]) -> None:
    """The switch is the form of every page's header, posted to the switch's address in the page's language."""
    client = Client()
    polish, english = url(page, "pl", *args), url(page, "en", *args)
    assert polish != english
    switch_on_polish_page, switch_on_english_page = url("set_language", "pl"), url("set_language", "en")
    to_english = client.post(switch_on_polish_page, {"language": "en", "next": polish + "?page=2"})
    assert to_english.status_code == 302 and to_english["Location"] == english + "?page=2"
    to_polish = client.post(switch_on_english_page, {"language": "pl", "next": english})
    assert to_polish.status_code == 302 and to_polish["Location"] == polish
    assert '<html lang="pl"' in client.get(polish, follow=True).text


def test_the_language_switch_leads_nowhere_else() -> None:
    answer = Client().post(url("set_language", "pl"), {"language": "en", "next": "https://example.com/en/"})
    assert not urlsplit(answer["Location"]).netloc


def test_a_patient_logging_in_and_out_in_english_stays_in_english(world: World) -> None:
    client = Client()
    login = url("portal:login", "en")
    answer = client.get(url("portal:visits", "en"))  # a page behind the login: its login page is English
    assert path_of(answer["Location"]) == login
    answer = client.post(
        login + "?next=" + url("portal:visits", "en"), {"username": world.patient_a.user.username, "password": PASSWORD}
    )
    assert answer.status_code == 302 and answer["Location"] == url("portal:visits", "en")
    page = client.get(answer["Location"])
    assert '<html lang="en"' in page.text
    answer = client.post(url("portal:login", "en"), {"username": world.patient_a.user.username, "password": PASSWORD})
    assert path_of(answer["Location"]).startswith("/en/")
    answer = client.post(url("portal:logout", "en"))
    assert answer.status_code == 302 and path_of(answer["Location"]).startswith("/en/"), answer["Location"]
    assert '<html lang="en"' in client.get(answer["Location"], follow=True).text


def test_a_failed_login_answers_in_english(world: World) -> None:
    page = Client().post(url("portal:login", "en"), {"username": world.patient_a.user.username, "password": "wrong"})
    assert '<html lang="en"' in page.text and "logowani" not in page.text.lower()


def test_staff_second_step_and_logout_stay_in_english(settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    operator = UserFactory(username="infolinia.en", role=User.Role.CALL_CENTRE)
    User.objects.filter(pk=operator.pk).update(password=make_password(PASSWORD))
    client = Client()
    answer = client.post(url("staff:login", "en"), {"username": operator.username, "password": PASSWORD})
    assert answer.status_code == 302 and path_of(answer["Location"]).startswith("/en/"), answer["Location"]
    # every page before the second step sends the reader to the enrolment, in English
    answer = client.get(url("staff:dashboard", "en"))
    assert path_of(answer["Location"]) == url("staff:two_factor_enrol", "en"), answer["Location"]
    assert '<html lang="en"' in client.get(answer["Location"]).text

    TOTPDevice.objects.create(user=operator, name="phone", confirmed=True)
    client = Client()
    answer = client.post(url("staff:login", "en"), {"username": operator.username, "password": PASSWORD})
    assert path_of(answer["Location"]).startswith("/en/"), answer["Location"]
    answer = client.get(answer["Location"])
    assert path_of(answer["Location"]) == url("staff:two_factor", "en"), answer["Location"]
    assert '<html lang="en"' in client.get(answer["Location"]).text
    answer = client.post(url("staff:logout", "en"))
    assert path_of(answer["Location"]).startswith("/en/"), answer["Location"]


def test_the_bank_round_trip_comes_back_in_the_language_it_left(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """ACC-5: the bank returns to one fixed (Polish) address; the patient lands on the English page they left."""
    client = Client()
    client.force_login(world.level_one.user)
    returned_to: list[str] = []

    def authorize(request: Any, *, redirect_uri: str) -> Any:
        returned_to.append(redirect_uri)
        return HttpResponseRedirect("https://bank.example/authorize")

    def fetch(request: Any) -> bank.BankIdentity:
        return bank.BankIdentity(subject="s", pesel=world.level_one.pesel, given_name="", family_name="", birthdate="")

    monkeypatch.setattr(bank, "bank_authorize_redirect", authorize)
    monkeypatch.setattr(bank, "bank_identity_fetch", fetch)
    client.post(url("portal:identity_bank_start", "en"))
    assert path_of(returned_to[0]) == url("portal:identity_bank_callback", "pl")
    answer = client.get(returned_to[0] + "?code=c&state=s")
    assert answer.status_code == 302 and path_of(answer["Location"]) == url("portal:identity", "en")
    assert '<html lang="en"' in client.get(answer["Location"]).text


def test_htmx_partials_answer_in_the_page_language(world: World) -> None:
    """A partial asked from an English page (its address is /en/…) is English, not the default language."""
    client = Client()
    client.force_login(world.patient_a.user)
    query = {"specialty": "interna", "city": str(world.centre.city_id)}
    english = client.get(url("portal:search", "en"), query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    polish = client.get(url("portal:search", "pl"), query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert english.status_code == polish.status_code == 200
    assert "<html" not in english.text  # a fragment, not a page
    assert english.text != polish.text
    assert "Free times on" in english.text or "Free slots" in english.text
    assert "Wolne terminy" not in english.text
