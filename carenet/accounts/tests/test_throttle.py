"""Per-login throttling across addresses (issue 10): after N failures of one login from any addresses, each further
attempt waits a doubling delay (at most 15 minutes) or is refused without checking the password — the same for a
login that does not exist; the patient's own address is spared and a success clears it. Every login door, and a
wrong current password on a password change counts too."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from carenet.accounts.models import User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.accounts.throttle import throttle_delay, throttle_wait
from carenet.core import clock
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.portal.tests.booking_world import url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
FREE = settings.CARENET_LOGIN_THROTTLE_FREE_FAILURES
LIMIT = settings.AXES_FAILURE_LIMIT
MINUTE = dt.timedelta(minutes=1)


def enrolled_patient(**fields: object) -> Any:
    """A patient with a package in force (ACC-7: the portal and the API are for them)."""
    patient = PatientFactory(**fields)
    EnrolmentFactory(patient=patient)
    return patient


def address(n: int) -> str:
    """A distinct, valid address for each ``n`` (PostgreSQL checks them)."""
    return f"198.18.{n // 250}.{n % 250 + 1}"


def post_login(path: str, username: str, password: str, ip: str) -> tuple[Any, Client]:
    client = Client()
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip), client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def spread_failures(path: str, login: str, count: int, first: int = 0) -> None:
    """``count`` wrong passwords, each from another address (no address reaches its own lockout)."""
    for n in range(first, first + count):
        assert post_login(path, login, "wrong-guess", address(n))[0].status_code == 200, n


def page_shape(response: Any, username: str) -> str:
    html = response.content.decode()
    html = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", html)
    return html.replace(username, "LOGIN")


def test_the_delay_doubles_from_one_minute_up_to_fifteen() -> None:
    limits = {"free": 10, "base": MINUTE, "cap": 15 * MINUTE}
    assert [throttle_delay(failures=f, **limits) for f in range(9, 16)] == [
        dt.timedelta(0),
        MINUTE,
        2 * MINUTE,
        4 * MINUTE,
        8 * MINUTE,
        15 * MINUTE,
        15 * MINUTE,
    ]
    now = clock.now()
    common = {"now": now, "window": dt.timedelta(hours=1), **limits}
    assert throttle_wait(failures=12, last_failure_at=now - MINUTE, **common) == 3 * MINUTE
    assert throttle_wait(failures=12, last_failure_at=now - 5 * MINUTE, **common) is None
    assert throttle_wait(failures=9, last_failure_at=now, **common) is None
    assert throttle_wait(failures=50, last_failure_at=now - 2 * dt.timedelta(hours=1), **common) is None


@pytest.mark.parametrize("page", ["portal:login", "staff:login", "admin:login"])
def test_failures_from_many_addresses_delay_the_login_the_same_whether_it_exists_or_not(page: str) -> None:
    known = UserFactory(username="infolinia.spread", role=User.Role.CALL_CENTRE, is_staff=True).username
    unknown = "infolinia.nikt"
    start = clock.now()
    with time_machine.travel(start, tick=False):
        spread_failures(url(page), known, FREE)
        spread_failures(url(page), unknown, FREE, first=50)
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        right, client = post_login(url(page), known, PASSWORD, address(99))
        other, _ = post_login(url(page), unknown, "anything", address(98))
        assert right.status_code == other.status_code == 429
        assert right["Retry-After"] == other["Retry-After"] == "30"
        assert page_shape(right, known) == page_shape(other, unknown)
        assert known not in right.content.decode()
        assert not logged_in(client)
    with time_machine.travel(start + MINUTE + dt.timedelta(seconds=1), tick=False):
        ok, client = post_login(url(page), known, PASSWORD, address(99))
        assert ok.status_code == 302 and logged_in(client)


def test_attempts_during_the_delay_do_not_grow_it_and_it_is_bounded() -> None:
    login = enrolled_patient(user__username="anna.delay").user.username
    page = url("portal:login")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        spread_failures(page, login, FREE)
        for n in range(30):  # refused without a check, not counted
            assert post_login(page, login, "x", address(200 - n))[0].status_code == 429
    moment = start
    for n in range(8):  # one wrong guess each time the delay has passed: 1, 2, 4, 8, 15, 15 … minutes
        delay = min(MINUTE * 2**n, 15 * MINUTE)
        moment += delay + dt.timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert post_login(page, login, "wrong-again", address(60 + n))[0].status_code == 200, n
            refused, _ = post_login(page, login, PASSWORD, address(70 + n))
            assert refused.status_code == 429
            assert int(refused["Retry-After"]) == min(MINUTE * 2 ** (n + 1), 15 * MINUTE).total_seconds()


def test_the_patients_own_address_is_spared_and_a_success_clears_the_delay() -> None:
    login = enrolled_patient(user__username="anna.home").user.username
    page = url("portal:login")
    home = "198.51.100.77"
    start = clock.now()
    with time_machine.travel(start - dt.timedelta(days=2), tick=False):
        assert post_login(page, login, PASSWORD, home)[0].status_code == 302
    with time_machine.travel(start, tick=False):
        spread_failures(page, login, FREE)
        assert post_login(page, login, PASSWORD, address(90))[0].status_code == 429
        ok, client = post_login(page, login, PASSWORD, home)
        assert ok.status_code == 302 and logged_in(client)
        # The success cleared the count: a new address is not delayed.
        again, client = post_login(page, login, PASSWORD, address(91))
        assert again.status_code == 302 and logged_in(client)


def test_api_token_answers_429_throttled_with_retry_after() -> None:
    login = enrolled_patient(user__username="anna.api.delay").user.username
    start = clock.now()

    def token(login: str, password: str, ip: str) -> Any:
        body = {"login": login, "password": password}
        return Client().post("/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=ip)

    with time_machine.travel(start, tick=False):
        for n in range(FREE):
            assert token(login, "wrong", address(n)).status_code == 401
            assert token("nobody.here", "wrong", address(n + 50)).status_code == 401
        refused = token(login, PASSWORD, address(99))
        invented = token("nobody.here", PASSWORD, address(98))
    assert refused.status_code == invented.status_code == 429
    assert refused.json() == invented.json()
    assert refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == "60"
    with time_machine.travel(start + MINUTE, tick=False):
        assert token(login, PASSWORD, address(99)).status_code == 201


def test_a_wrong_current_password_on_the_portal_password_change_counts_and_locks() -> None:
    user = enrolled_patient(user__username="anna.change").user
    client = Client(REMOTE_ADDR="198.51.100.40")
    client.force_login(user)
    change = url("portal:password_change")
    form = {"new_password1": "a-new-long-password-1", "new_password2": "a-new-long-password-1"}
    statuses = [client.post(change, {"old_password": "wrong", **form}).status_code for _ in range(LIMIT)]
    assert statuses == [400] * (LIMIT - 1) + [429]
    # Locked: even the right current password is refused, and nothing changed.
    refused = client.post(change, {"old_password": PASSWORD, **form})
    assert refused.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_current_password_on_the_staff_password_page_counts_and_locks() -> None:
    staff = UserFactory(username="infolinia.change", role=User.Role.CALL_CENTRE)
    client = Client(REMOTE_ADDR="198.51.100.41")
    client.force_login(staff)
    change = url("staff:password_change")
    form = {"new_password1": "a-new-long-password-1", "new_password2": "a-new-long-password-1"}
    statuses = [client.post(change, {"old_password": "wrong", **form}).status_code for _ in range(LIMIT)]
    assert statuses == [400] * (LIMIT - 1) + [429]
    assert client.post(change, {"old_password": PASSWORD, **form}).status_code == 429
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    # The lock holds at the login too (one key: login and address).
    assert post_login(url("staff:login"), staff.username, PASSWORD, "198.51.100.41")[0].status_code == 429
