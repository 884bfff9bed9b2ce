"""ACC-1, ACC-2 in a real browser: a person on the roster registers, reads the first password in the developer SMS
inbox, logs in with it, is made to set their own password, and lands on "Moje wizyty"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from carenet.accounts.models import User
from carenet.api.tests.factories import ContractFactory, TierFactory
from carenet.core import clock
from carenet.coverage.models import Enrolment, RosterEntry
from carenet.demo.identity import pesel as make_pesel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PESEL = make_pesel(dt.date(1984, 7, 21), "F", 311)
PHONE = "+48600700800"
PASSWORD_RE = re.compile(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}")


def test_register_read_the_sms_password_log_in_and_set_a_password(page: Any, live_server: Any) -> None:
    today = clock.today()
    RosterEntry.objects.create(
        contract=ContractFactory(),
        tier=TierFactory(),
        first_name="Małgorzata",
        last_name="Kołodziej",
        pesel=PESEL,
        mobile=PHONE,
        activation_date=today - dt.timedelta(days=10),
        paid_through=today + dt.timedelta(days=200),
    )

    page.goto(live_server.url + "/logowanie/")
    page.locator("a[href$='/rejestracja/'], main a[href*='regist']").first.click()
    page.locator("input[name=first_name]").fill("malgorzata")
    page.locator("input[name=last_name]").fill("KOŁODZIEJ")
    page.locator("input[name=pesel]").fill(PESEL)
    page.locator("input[name=email]").fill("malgorzata@example.com")
    page.locator("input[name=mobile]").fill("600 700 800")
    page.locator("input[name=login]").fill("malgosia")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("form.actions button[type=submit]")
    assert User.objects.filter(username="malgosia", must_change_password=True).exists()
    assert Enrolment.objects.filter(patient__pesel=PESEL).exists()

    page.goto(live_server.url + "/sms/dev/")
    page.locator("form[action$='/sms/dev/send-now/'] button").click()
    page.get_by_role("link", name=PHONE).click()
    found = PASSWORD_RE.search(page.locator("main").inner_text())
    assert found, "no password in the SMS conversation"
    password = found.group(0)

    page.goto(live_server.url + "/logowanie/")
    page.locator("input[name=username]").fill("malgosia")
    page.locator("input[name=password]").fill(password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_selector("input[name=new_password1]")
    page.locator("input[name=new_password1]").fill("moje-nowe-haslo-2026")
    page.locator("input[name=new_password2]").fill("moje-nowe-haslo-2026")
    page.locator("form.stack button[type=submit]").click()

    page.get_by_role("heading", name="Moje wizyty").wait_for()
    assert not User.objects.get(username="malgosia").must_change_password
