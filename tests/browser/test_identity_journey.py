"""ACC-1, ACC-2, ACC-4, ACC-5 in a real browser: a person on the roster registers, reads the first password in the
developer SMS inbox, logs in and sets their own password; at level I the E-Karta shows the explanation instead of the
card; they confirm their identity through the local test bank (OpenID Connect: redirect, code, token and JWKS over
HTTP, PESEL claim) and then see the E-Karta (level II)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import IdentityConfirmation, Patient
from carenet.api.tests.factories import ContractFactory, TierFactory
from carenet.core import clock
from carenet.coverage.models import RosterEntry
from carenet.demo.identity import pesel as make_pesel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PESEL = make_pesel(dt.date(1986, 11, 3), "M", 812)
PHONE = "+48600711822"
PASSWORD_RE = re.compile(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}")


def path(name: str) -> str:
    with translation.override("pl"):
        return reverse(name)


def test_register_confirm_identity_through_the_test_bank_and_see_the_ecard(page: Any, live_server: Any) -> None:
    today = clock.today()
    RosterEntry.objects.create(
        contract=ContractFactory(),
        tier=TierFactory(),
        first_name="Łukasz",
        last_name="Wójcik",
        pesel=PESEL,
        mobile=PHONE,
        activation_date=today - dt.timedelta(days=10),
        paid_through=today + dt.timedelta(days=200),
    )

    # Register (ACC-1) and read the first password in the developer SMS inbox (ACC-2).
    page.goto(live_server.url + path("portal:register"))
    page.locator("input[name=first_name]").fill("Łukasz")
    page.locator("input[name=last_name]").fill("Wójcik")
    page.locator("input[name=pesel]").fill(PESEL)
    page.locator("input[name=email]").fill("lukasz@example.com")
    page.locator("input[name=mobile]").fill("600 711 822")
    page.locator("input[name=login]").fill("lukasz.w")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("form.actions button[type=submit]")

    page.goto(live_server.url + "/sms/dev/")
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.get_by_role("link", name=PHONE).click()
    found = PASSWORD_RE.search(page.locator("main").inner_text())
    assert found, "no password in the SMS conversation"

    # First login and the patient's own password.
    page.goto(live_server.url + path("portal:login"))
    page.locator("input[name=username]").fill("lukasz.w")
    page.locator("input[name=password]").fill(found.group(0))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("input[name=new_password1]")
    page.locator("input[name=new_password1]").fill("wlasne-haslo-lukasza-7")
    page.locator("input[name=new_password2]").fill("wlasne-haslo-lukasza-7")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path("portal:visits")) + "$"))

    # Level I: the E-Karta explains how to confirm identity instead of showing the card (ACC-4).
    page.goto(live_server.url + path("portal:ecard"))
    page.wait_for_selector("#level-two-required")
    assert page.locator("[data-ecard]").count() == 0
    page.locator(f"main a[href='{path('portal:identity')}']").first.click()

    # ACC-5 online: the test bank; the tester types the PESEL (nothing is prefilled).
    page.locator("#identity-bank-start").click()
    page.wait_for_selector("#testbank-hint")
    assert "/dev-bank/authorize" in page.url
    assert page.locator("input[name=pesel]").input_value() == ""
    page.locator("input[name=pesel]").fill(PESEL)
    page.locator("input[name=given_name]").fill("Łukasz")
    page.locator("input[name=family_name]").fill("Wójcik")
    page.locator("#testbank-approve").click()
    page.wait_for_selector("#identity-level[data-level='2']")
    patient = Patient.objects.get(pesel=PESEL)
    assert patient.account_level == Patient.Level.FULL
    assert IdentityConfirmation.objects.get(patient=patient).method == "bank"

    # Level II: the E-Karta.
    page.goto(live_server.url + path("portal:ecard"))
    page.wait_for_selector("[data-ecard]")
    assert page.locator("#level-two-required").count() == 0
