"""The registration pages (ACC-1, ACC-2, ACC-7): register, "we sent you an SMS", log in with the SMS password,
and the forced "set your password" page before any other page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from carenet.accounts.models import FirstPassword, Patient, User
from carenet.api.tests.factories import ContractFactory, TierFactory, UserFactory
from carenet.core import clock
from carenet.coverage.models import RosterEntry
from carenet.demo.identity import pesel as make_pesel
from carenet.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db

PESEL = make_pesel(dt.date(1990, 2, 3), "M", 77)
PASSWORD_RE = re.compile(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}")
FORM = {
    "first_name": "Paweł",
    "last_name": "Wiśniewski",
    "pesel": PESEL,
    "email": "pawel@example.com",
    "mobile": "+48 601 200 300",
    "login": "pawel.w",
}


@pytest.fixture
def roster() -> RosterEntry:
    today = clock.today()
    return RosterEntry.objects.create(
        contract=ContractFactory(),
        tier=TierFactory(),
        first_name="PAWEL",
        last_name="Wisniewski",
        pesel=PESEL,
        mobile="601200300",
        activation_date=today - dt.timedelta(days=30),
        paid_through=today + dt.timedelta(days=300),
    )


def _sms_password() -> str:
    found = PASSWORD_RE.search(OutboundMessage.objects.filter(purpose="first-password").latest("id").body)
    assert found
    return found.group(0)


def test_login_page_links_to_registration(client: Client) -> None:
    page = client.get(reverse("portal:login"))
    assert reverse("portal:register").encode() in page.content


def test_the_form_asks_for_the_six_things(client: Client) -> None:
    page = client.get(reverse("portal:register"))
    assert page.status_code == 200
    for name in FORM:
        assert f'name="{name}"'.encode() in page.content


def test_registration_sends_the_sms_and_shows_the_sent_page_with_resend(client: Client, roster: RosterEntry) -> None:
    answer = client.post(reverse("portal:register"), FORM)
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:first_password")
    assert User.objects.filter(username="pawel.w", must_change_password=True).exists()
    page = client.get(reverse("portal:first_password"))
    assert page.status_code == 200 and b"300" in page.content and b"pawel.w" in page.content

    client.post(reverse("portal:first_password"))
    client.post(reverse("portal:first_password"))
    assert OutboundMessage.objects.filter(purpose="first-password").count() == 3
    refused = client.post(reverse("portal:first_password"), follow=True)
    assert OutboundMessage.objects.filter(purpose="first-password").count() == 3
    assert list(refused.context["messages"])[-1].level_tag == "error"


def test_the_sent_page_is_only_for_the_browser_that_registered(client: Client, roster: RosterEntry) -> None:
    Client().post(reverse("portal:register"), FORM)
    answer = client.post(reverse("portal:first_password"))
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:login")
    assert OutboundMessage.objects.filter(purpose="first-password").count() == 1


def test_unmatched_data_is_refused_on_the_page_and_nothing_is_stored(client: Client) -> None:
    page = client.post(reverse("portal:register"), FORM)
    assert page.status_code == 200
    assert page.context["form"].non_field_errors()
    assert not User.objects.exists() and not Patient.objects.exists() and not OutboundMessage.objects.exists()


def test_field_errors_for_a_bad_pesel_and_a_taken_login(client: Client, roster: RosterEntry) -> None:
    bad = client.post(reverse("portal:register"), FORM | {"pesel": PESEL[:-1] + str((int(PESEL[-1]) + 1) % 10)})
    assert "pesel" in bad.context["form"].errors
    UserFactory(username="pawel.w")
    taken = client.post(reverse("portal:register"), FORM)
    assert "login" in taken.context["form"].errors
    assert not Patient.objects.exists()


def test_polish_labels_by_default(client: Client) -> None:
    page = client.get(reverse("portal:register"))
    assert page.wsgi_request.LANGUAGE_CODE == "pl"


def test_first_login_forces_the_password_change_then_lands_on_my_visits(client: Client, roster: RosterEntry) -> None:
    client.post(reverse("portal:register"), FORM)
    password = _sms_password()

    logged_in = client.post(reverse("portal:login"), {"username": "pawel.w", "password": password})
    assert logged_in.status_code == 302
    forced = client.get(reverse("portal:visits"))
    assert forced.status_code == 302 and forced["Location"] == reverse("portal:set_password")
    assert client.get(reverse("portal:search"))["Location"] == reverse("portal:set_password")
    assert client.get(reverse("portal:set_password")).status_code == 200

    weak = client.post(reverse("portal:set_password"), {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors
    done = client.post(
        reverse("portal:set_password"),
        {"new_password1": "moje-wlasne-haslo-42", "new_password2": "moje-wlasne-haslo-42"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("portal:visits")
    assert client.get(reverse("portal:visits")).status_code == 200
    user = User.objects.get(username="pawel.w")
    assert user.check_password("moje-wlasne-haslo-42") and not user.must_change_password


def test_logging_out_from_the_forced_set_password_page_works() -> None:
    """The page's "log out" button posts with a CSRF token like every form (it failed with 403 without one)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="pawel.w", must_change_password=True))
    page = client.get(reverse("portal:set_password")).content.decode()
    logout_form = re.search(
        r'<form method="post" action="' + re.escape(reverse("portal:logout")) + r'">(.*?)</form>', page, re.S
    )
    assert logout_form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout_form.group(1))
    assert token is not None, "the log-out form carries no CSRF token"
    response = client.post(reverse("portal:logout"), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_registration_pages_are_not_stored(client: Client, roster: RosterEntry) -> None:
    """Before any login the registration pages show the person's data and their new login: never cached."""
    assert "no-store" in client.get(reverse("portal:register"))["Cache-Control"]
    client.post(reverse("portal:register"), FORM)
    assert "no-store" in client.get(reverse("portal:first_password"))["Cache-Control"]


def test_a_reused_or_expired_sms_password_gets_the_generic_refusal(client: Client, roster: RosterEntry) -> None:
    client.post(reverse("portal:register"), FORM)
    password = _sms_password()
    wrong = Client().post(reverse("portal:login"), {"username": "pawel.w", "password": "wrong-one-1234"})
    assert Client().post(reverse("portal:login"), {"username": "pawel.w", "password": password}).status_code == 302
    reused = Client().post(reverse("portal:login"), {"username": "pawel.w", "password": password})
    assert reused.status_code == 200
    assert reused.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()

    FirstPassword.objects.update(
        used_at=None,
        created_at=clock.now() - dt.timedelta(minutes=11),
        expires_at=clock.now() - dt.timedelta(minutes=1),
    )
    expired = Client().post(reverse("portal:login"), {"username": "pawel.w", "password": password})
    assert expired.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()


def test_set_password_needs_a_login(client: Client) -> None:
    answer = client.get(reverse("portal:set_password"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("portal:login"))
