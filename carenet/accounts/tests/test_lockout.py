"""The login lockout (issue 4, ACC-1/ACC-2 logins): failures are keyed on login *and* address, a lock lifts after the
cool-off, and every answer is the same for a login that exists and one that does not — on the portal login, the
staff login, the Django admin login and the API's token endpoint."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils.module_loading import import_string

from carenet.accounts import lockout
from carenet.accounts.models import User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core import clock
from carenet.portal.tests.booking_world import url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LIMIT = settings.AXES_FAILURE_LIMIT
ATTACKERS = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
PATIENT_HOME = "198.51.100.7"
COOL_OFF = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)


@pytest.fixture
def patient_login() -> str:
    return str(PatientFactory(user__username="anna.nowak").user.username)


def post_login(path: str, username: str, password: str, ip: str) -> tuple[Any, Client]:
    client = Client()
    response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def page_shape(response: Any, username: str) -> str:
    """The page with what must differ removed: the CSRF tokens and the login the visitor typed in."""
    html = response.content.decode()
    html = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", html)
    return html.replace(username, "LOGIN")


def test_brute_force_from_several_addresses_never_locks_the_patient_out(patient_login: str) -> None:
    """Many wrong passwords for one patient from several addresses: each address is throttled after the limit,
    the right password from a locked address is refused like a wrong one, the patient's own address works at once,
    and after the cool-off the locked addresses work again."""
    login_page = url("portal:login")
    start = clock.now()
    with time_machine.travel(start - dt.timedelta(days=1), tick=False):
        # The patient's own address: they logged in from there before (the per-login delay spares it).
        assert post_login(login_page, patient_login, PASSWORD, PATIENT_HOME)[0].status_code == 302
    with time_machine.travel(start, tick=False):
        for number, ip in enumerate(ATTACKERS):
            statuses = [
                post_login(login_page, patient_login, f"guess-{n}", ip)[0].status_code for n in range(LIMIT + 3)
            ]
            if number * LIMIT < settings.CARENET_LOGIN_THROTTLE_FREE_FAILURES:
                assert statuses == [200] * (LIMIT - 1) + [429] * 4, ip
            else:  # the login's failures from every address together: the per-login delay (carenet.accounts.throttle)
                assert statuses == [429] * (LIMIT + 3), ip

        refused, client = post_login(login_page, patient_login, PASSWORD, ATTACKERS[0])
        wrong, _ = post_login(login_page, patient_login, "still-wrong", ATTACKERS[0])
        assert refused.status_code == wrong.status_code == 429
        assert page_shape(refused, patient_login) == page_shape(wrong, patient_login)
        assert not logged_in(client)

        ok, client = post_login(login_page, patient_login, PASSWORD, PATIENT_HOME)
        assert ok.status_code == 302 and logged_in(client)

    with time_machine.travel(start + COOL_OFF - dt.timedelta(minutes=1), tick=False):
        still, client = post_login(login_page, patient_login, PASSWORD, ATTACKERS[1])
        assert still.status_code == 429 and not logged_in(client)

    with time_machine.travel(start + COOL_OFF + dt.timedelta(minutes=1), tick=False):
        for ip in ATTACKERS:
            after, client = post_login(login_page, patient_login, PASSWORD, ip)
            assert after.status_code == 302 and logged_in(client), ip


@pytest.mark.parametrize("page", ["portal:login", "staff:login"])
def test_known_and_unknown_logins_get_the_same_answers(page: str) -> None:
    """Wrong password and unknown login: the same status and the same page at every attempt, lockout included."""
    known = UserFactory(username="infolinia.known", role=User.Role.CALL_CENTRE).username
    unknown = "infolinia.nobody"
    for attempt in range(LIMIT + 1):
        a, _ = post_login(url(page), known, "wrong-password", "203.0.113.20")
        b, _ = post_login(url(page), unknown, "wrong-password", "203.0.113.21")
        assert a.status_code == b.status_code, attempt
        assert page_shape(a, known) == page_shape(b, unknown), attempt
    assert a.status_code == 429
    assert 'id="locked-out"' in a.content.decode()
    assert known not in a.content.decode()


def test_staff_login_locks_and_the_lock_covers_every_front_door() -> None:
    """A lock earned at the staff login holds at the portal login and the admin login for the same login and
    address (it is one key), while another address is untouched."""
    staff = UserFactory(username="admin.lock", role=User.Role.ADMIN, is_staff=True, is_superuser=True).username
    for _ in range(LIMIT):
        post_login(url("staff:login"), staff, "wrong-password", "203.0.113.30")
    for page in ("staff:login", "portal:login", "admin:login"):
        response, client = post_login(url(page), staff, PASSWORD, "203.0.113.30")
        assert response.status_code == 429 and not logged_in(client), page
    response, client = post_login(url("admin:login"), staff, PASSWORD, "203.0.113.31")
    assert response.status_code == 302 and logged_in(client)


def test_admin_login_is_behind_the_lockout() -> None:
    staff = UserFactory(username="admin.two", role=User.Role.ADMIN, is_staff=True, is_superuser=True).username
    statuses = [
        post_login(url("admin:login"), name, "wrong-password", "203.0.113.40")[0].status_code
        for name in (staff, "admin.nobody")
        for _ in range(LIMIT)
    ]
    assert statuses == ([200] * (LIMIT - 1) + [429]) * 2


def token_request(login: str, password: str, ip: str, **extra: str) -> Any:
    return Client().post(
        "/api/v1/auth/token",
        {"login": login, "password": password, **extra},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_api_token_lockout_is_the_same_for_known_and_unknown_logins(patient_login: str) -> None:
    """The token endpoint: 401 `invalid_credentials` up to the limit, then 429 `locked_out` — for a real login and an
    invented one alike, and the right password during the lock gets the same 429."""
    for login, ip in ((patient_login, "203.0.113.50"), ("nobody.at.all", "203.0.113.51")):
        answers = [token_request(login, "wrong-password", ip) for _ in range(LIMIT + 1)]
        assert [a.status_code for a in answers] == [401] * (LIMIT - 1) + [429] * 2
        assert {a.json()["code"] for a in answers[: LIMIT - 1]} == {"invalid_credentials"}
        assert {a.json()["code"] for a in answers[LIMIT - 1 :]} == {"locked_out"}
    right = token_request(patient_login, PASSWORD, "203.0.113.50")
    assert right.status_code == 429 and right.json() == answers[-1].json()
    assert token_request(patient_login, PASSWORD, PATIENT_HOME).status_code == 201


def test_a_lockout_page_says_nothing_of_the_login(patient_login: str) -> None:
    for _ in range(LIMIT):
        response, _ = post_login(url("portal:login"), patient_login, "wrong-password", "203.0.113.60")
    body = response.content.decode()
    assert response.status_code == 429 and patient_login not in body and 'id="locked-out"' in body


def test_client_address_without_a_proxy_ignores_forwarded_headers(settings: Any) -> None:
    settings.CARENET_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert lockout.client_ip(request) == "10.0.0.1"


def test_client_address_behind_our_proxy_is_the_one_it_saw(settings: Any) -> None:
    """A client may put anything in X-Forwarded-For; only the entry our own proxy appended counts."""
    settings.CARENET_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert lockout.client_ip(request) == "203.0.113.9"
    settings.CARENET_TRUSTED_PROXY_COUNT = 2
    assert lockout.client_ip(request) == "6.6.6.6"
    bare = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1")
    assert lockout.client_ip(bare) == "10.0.0.1"


def test_lockout_is_configured_on_login_and_address_with_a_cool_off() -> None:
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    # Failures are cleared once the whole login is done (two_factor.login_failures_reset), not by axes on the
    # password step (a code may still be owed).
    assert settings.AXES_COOLOFF_TIME and not settings.AXES_RESET_ON_SUCCESS
    first = import_string(settings.AUTHENTICATION_BACKENDS[0])
    assert issubclass(first, AxesStandaloneBackend)


def test_a_token_issued_clears_the_failures_of_that_login_and_address(patient_login: str) -> None:
    """The API completes a login itself: a token issued clears the earlier failures (from that address), so the
    patient's own typos do not add up across days towards a lock."""
    ip = "203.0.113.70"
    for _ in range(LIMIT - 1):
        assert token_request(patient_login, "wrong-password", ip).status_code == 401
    assert token_request(patient_login, PASSWORD, ip).status_code == 201
    answers = [token_request(patient_login, "wrong-password", ip).status_code for _ in range(LIMIT - 1)]
    assert answers == [401] * (LIMIT - 1)
    assert token_request(patient_login, PASSWORD, ip).status_code == 201
