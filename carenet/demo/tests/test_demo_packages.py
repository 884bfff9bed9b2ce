"""Packages and the roster in the demo (PKG-3, PKG-7, PKG-8): the employer's contact ``kadry`` of the biggest
employer contract with its two-step device, an applied upload with an activation e-mail, the example file with its
deliberate errors waiting as a report."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import User
from carenet.coverage.models import Enrolment, RosterUpload
from carenet.coverage.roster import LineProblem
from carenet.coverage.services import ACTIVATION_EMAIL_PURPOSE, roster_report_for
from carenet.demo.logins import demo_logins
from carenet.messaging.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_demo_has_a_roster_contact_an_applied_upload_and_the_example_report() -> None:
    call_command("seed_demo", "--small", "--reset", "--today", dt.date.today().isoformat(), stdout=StringIO())
    contact = User.objects.get(username="kadry")
    assert contact.role == User.Role.EMPLOYER_CONTACT and contact.contract is not None
    assert TOTPDevice.objects.filter(user=contact, confirmed=True).exists()
    assert "kadry" in {login for _, login, _, _ in demo_logins()}

    applied, waiting = (
        RosterUpload.objects.filter(contract=contact.contract, applied_at__isnull=False).get(),
        RosterUpload.objects.filter(contract=contact.contract, applied_at__isnull=True).get(),
    )
    assert applied.added == 2 and applied.enrolled == 1
    assert Enrolment.objects.filter(contract=contact.contract, activated_on__gt=dt.date.today()).exists()
    email = OutboundMessage.objects.get(purpose=ACTIVATION_EMAIL_PURPOSE)
    assert email.channel == "email" and email.recipient

    report = roster_report_for(waiting, today=dt.date.today())
    problems = {problem for line in report.invalid_lines for problem in line.problems}
    assert {
        LineProblem.PESEL_CHECKSUM,
        LineProblem.TIER_UNKNOWN,
        LineProblem.DATES_ORDER,
        LineProblem.DUPLICATE,
        LineProblem.HOLDER_NOT_ON_ROSTER,
    } <= problems
    assert len(report.valid_lines) == 4
