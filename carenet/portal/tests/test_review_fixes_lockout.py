"""Review fix (lockout with two-step login): the password step alone no longer clears the failed-login count —
someone who knows the password cannot loop "password, wrong codes, password …". The count is cleared only once
the whole login is done: right after the password for an account that owes no code, after the code otherwise."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import User
from carenet.api.tests.factories import UserFactory
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ADDRESS = "198.51.100.44"


@pytest.fixture
def world(settings: Any) -> World:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    return build_world()


def step_start() -> dt.datetime:
    return dt.datetime.fromtimestamp((int(time.time()) // 30) * 30 + 5, tz=dt.UTC)


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if code_for(device) != "000000" else "111111"


def password_login(username: str, password: str = PASSWORD, *, page: str = "portal:login") -> tuple[Client, int]:
    client = Client(REMOTE_ADDR=ADDRESS)
    response = client.post(url(page), {"username": username, "password": password})
    return client, response.status_code


def test_password_then_wrong_codes_across_re_logins_locks_out(world: World, settings: Any) -> None:
    user = world.patient_a.user
    device = TOTPDevice.objects.create(user=user, name="CareNet", confirmed=True)
    with time_machine.travel(step_start(), tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client, status = password_login(user.username)
            assert status == 302
            assert client.post(url("portal:login_code"), {"code": wrong_code(device)}).status_code == 200
        client, status = password_login(user.username)
        assert status == 302, "still one try left"
        last = client.post(url("portal:login_code"), {"code": wrong_code(device)})
        assert last.status_code == 429
        _, again = password_login(user.username)
    assert again == 429, "the right password no longer helps: the account is locked from this address"


def test_staff_password_then_wrong_codes_across_re_logins_locks_out(world: World, settings: Any) -> None:
    operator = world.staff["call_centre"]
    device = TOTPDevice.objects.create(user=operator, name="CareNet", confirmed=True)
    with time_machine.travel(step_start(), tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client, status = password_login(operator.username, page="staff:login")
            assert status == 302
            client.post(url("staff:two_factor"), {"code": wrong_code(device)})
        _, again = password_login(operator.username, page="staff:login")
    assert again == 429


def test_a_right_code_clears_the_count(world: World, settings: Any) -> None:
    user = world.patient_a.user
    device = TOTPDevice.objects.create(user=user, name="CareNet", confirmed=True)
    with time_machine.travel(step_start(), tick=False):
        client, _ = password_login(user.username)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post(url("portal:login_code"), {"code": wrong_code(device)})
        assert client.post(url("portal:login_code"), {"code": code_for(device)}).status_code == 302
    with time_machine.travel(step_start() + dt.timedelta(seconds=30), tick=False):
        client, status = password_login(user.username)
        assert status == 302
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post(url("portal:login_code"), {"code": wrong_code(device)}).status_code == 200


def test_without_two_step_login_a_right_password_clears_the_count(world: World, settings: Any) -> None:
    user = UserFactory(role=User.Role.PATIENT)
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert password_login(user.username, "wrong-password")[1] == 200
        assert password_login(user.username)[1] == 302
