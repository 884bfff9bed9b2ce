"""TOTP two-factor login for staff (issue 4): the rule, the two-step login with a device, the enrolment forced when
CARENET_STAFF_TOTP_REQUIRED is on, the admin and the consoles closed to an unverified session, single-use and
throttled codes that count as failed logins, and the API's `otp` field."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import threading
import time
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts import two_factor
from carenet.accounts.models import User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.accounts.two_factor import Outcome, Step, second_factor_step
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.demo.totp import demo_totp_key, demo_totp_secrets, totp_devices_for_demo_staff
from carenet.portal.tests.booking_world import url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
IP = "198.51.100.20"


def step_start() -> dt.datetime:
    """A moment 5 s into a TOTP time step, so a test pinned there never crosses into the next step."""
    return dt.datetime.fromtimestamp((int(time.time()) // 30) * 30 + 5, tz=dt.UTC)


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    return "000000" if right != "000000" else "111111"


@pytest.fixture
def operator() -> User:
    return UserFactory(username="infolinia.2fa", role=User.Role.CALL_CENTRE)


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="admin.2fa", role=User.Role.ADMIN, is_staff=True, is_superuser=True)


def device_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def password_login(user: User, *, page: str = "staff:login", ip: str = IP) -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(url(page), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- The rule -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_staff", "has_device", "required", "expected"),
    [
        (True, True, True, Step.VERIFY),
        (True, True, False, Step.VERIFY),
        (True, False, True, Step.ENROL),
        (True, False, False, Step.NONE),
        (False, True, True, Step.VERIFY),
        (False, True, False, Step.VERIFY),
        (False, False, True, Step.NONE),
        (False, False, False, Step.NONE),
    ],
)
def test_who_owes_a_second_factor(is_staff: bool, has_device: bool, required: bool, expected: Step) -> None:
    """Staff enrol when required; a device is always asked for; patients without one are never asked."""
    assert second_factor_step(is_staff=is_staff, has_device=has_device, staff_totp_required=required) is expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("123456", "123456"), (" 123 456 ", "123456"), ("123-456", "123456"), ("12345", None), ("abcdef", None)],
)
def test_codes_are_six_digits(raw: str, code: str | None) -> None:
    assert two_factor.normalize_code(raw) == code


def test_every_staff_role_and_superusers_count_as_staff() -> None:
    for role in User.Role.values:
        assert two_factor.is_staff_member(User(role=role)) is (role != User.Role.PATIENT)
    assert two_factor.is_staff_member(User(role=User.Role.PATIENT, is_superuser=True))


def test_production_settings_require_staff_totp() -> None:
    """On unless switched off: the base settings default to True; only the test settings turn it off."""
    import config.settings as base

    assert base.CARENET_STAFF_TOTP_REQUIRED is True or "CARENET_STAFF_TOTP_REQUIRED" in os.environ
    assert django_settings.CARENET_STAFF_TOTP_REQUIRED is False


# --- Two steps with a device ----------------------------------------------------------------------------------


def test_staff_with_a_device_logs_in_in_two_steps(operator: User) -> None:
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        client = password_login(operator)
        dashboard = client.get(url("staff:dashboard"))
        assert dashboard.status_code == 302 and dashboard.url.startswith(url("staff:two_factor"))
        page = client.get(dashboard.url)
        assert page.status_code == 200 and b'id="two-factor-verify"' in page.content

        wrong = client.post(url("staff:two_factor"), {"code": wrong_code(device), "next": url("staff:dashboard")})
        assert wrong.status_code == 200 and b"errorlist" in wrong.content
        assert client.get(url("staff:dashboard")).status_code == 302

    with time_machine.travel(step_start() + dt.timedelta(seconds=10), tick=False):
        right = client.post(url("staff:two_factor"), {"code": code_for(device), "next": url("staff:patients")})
        assert right.status_code == 302 and right.url == url("staff:patients")
        assert client.get(url("staff:dashboard")).status_code == 200


def test_staff_without_a_device_and_totp_not_required_log_in_with_the_password(operator: User) -> None:
    client = password_login(operator)
    assert client.get(url("staff:dashboard")).status_code == 200


def test_the_portal_login_asks_staff_for_their_code_too(operator: User) -> None:
    device_of(operator)
    client = password_login(operator, page="portal:login")
    response = client.get(url("staff:dashboard"))
    assert response.status_code == 302 and response.url.startswith(url("staff:two_factor"))


def test_a_code_works_once(operator: User) -> None:
    """A second login with the same code in the same time step is refused; the next step's code works."""
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        code = code_for(device)
        first = password_login(operator)
        assert first.post(url("staff:two_factor"), {"code": code}).status_code == 302
        second = password_login(operator)
        again = second.post(url("staff:two_factor"), {"code": code})
        assert again.status_code == 200 and second.get(url("staff:dashboard")).status_code == 302
    with time_machine.travel(step_start() + dt.timedelta(seconds=30), tick=False):
        assert second.post(url("staff:two_factor"), {"code": code_for(device)}).status_code == 302
        assert second.get(url("staff:dashboard")).status_code == 200


def test_wrong_codes_are_throttled(operator: User) -> None:
    """django-otp's throttle: after a wrong code the next try must wait (1 s, then 2 s, ...); a try inside the
    wait is refused without even checking the code, the right one included."""
    device = device_of(operator)
    start = step_start()
    with time_machine.travel(start, tick=False):
        client = password_login(operator)
        client.post(url("staff:two_factor"), {"code": wrong_code(device)})
        refused = client.post(url("staff:two_factor"), {"code": code_for(device)})
        assert refused.status_code == 200
        assert client.get(url("staff:dashboard")).status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 1
    with time_machine.travel(start + dt.timedelta(seconds=2), tick=False):
        assert client.post(url("staff:two_factor"), {"code": code_for(device)}).status_code == 302


def test_wrong_codes_count_as_failed_logins_and_lock_out(operator: User, settings: Any) -> None:
    """Guessing codes is a brute force like guessing passwords: the lockout ends the half-done login."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        client = password_login(operator)
        statuses = [
            client.post(url("staff:two_factor"), {"code": wrong_code(device)}).status_code
            for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
        assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
        assert "_auth_user_id" not in client.session
        again = Client(REMOTE_ADDR=IP).post(url("staff:login"), {"username": operator.username, "password": PASSWORD})
        assert again.status_code == 429


def test_two_requests_with_one_code_cannot_both_pass(operator: User) -> None:
    """The check runs on the locked device row, so one code is accepted at most once even at the same moment."""
    device = device_of(operator)
    code = code_for(device)
    results: list[Outcome] = []

    def attempt() -> None:
        request = RequestFactory().post("/", REMOTE_ADDR=IP)
        results.append(two_factor.code_check(request=request, user=operator, device_id=device.pk, code=code))

    attempt()
    attempt()
    assert sorted(results) == sorted([Outcome.OK, Outcome.INVALID])


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_of_one_code_accept_it_once() -> None:
    user = UserFactory(username="infolinia.race", role=User.Role.CALL_CENTRE)
    device = device_of(user)
    code = code_for(device)
    results: list[Outcome | str] = []
    barrier = threading.Barrier(2)

    def attempt() -> None:
        try:
            barrier.wait()
            request = RequestFactory().post("/", REMOTE_ADDR=IP)
            results.append(two_factor.code_check(request=request, user=user, device_id=device.pk, code=code))
        except OperationalError as error:
            # The fast suite's in-memory SQLite (shared cache) refuses a second writer at once instead of waiting:
            # a refused attempt, never an accepted one. PostgreSQL makes the second check wait and answer.
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            results.append("refused by SQLite")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2, results  # both attempts answered: neither died on an error
    assert results.count(Outcome.OK) == 1


# --- Enrolment when required ----------------------------------------------------------------------------------


def test_required_totp_forces_enrolment_before_any_console_page(operator: User, settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    client = password_login(operator)
    for page in ("staff:dashboard", "staff:patients", "staff:ecard_verify"):
        response = client.get(url(page))
        assert response.status_code == 302 and response.url.startswith(url("staff:two_factor_enrol")), page
    enrol = client.get(url("staff:two_factor_enrol"))
    assert enrol.status_code == 200 and b"<svg" in enrol.content and b'id="totp-secret"' in enrol.content
    device = TOTPDevice.objects.get(user=operator)
    assert not device.confirmed
    assert client.get(url("staff:two_factor_enrol")).status_code == 200
    assert TOTPDevice.objects.filter(user=operator).count() == 1, "the QR code stays the same on reload"

    bad = client.post(url("staff:two_factor_enrol"), {"code": wrong_code(device)})
    assert bad.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed

    with time_machine.travel(step_start() + dt.timedelta(seconds=60), tick=False):
        done = client.post(url("staff:two_factor_enrol"), {"code": code_for(device), "next": url("staff:patients")})
        assert done.status_code == 302 and done.url == url("staff:patients")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(url("staff:dashboard")).status_code == 200

    later = password_login(operator)
    response = later.get(url("staff:dashboard"))
    assert response.url.startswith(url("staff:two_factor")) and not response.url.startswith(
        url("staff:two_factor_enrol")
    )


def test_the_secret_on_the_enrolment_page_is_the_devices(operator: User, settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    client = password_login(operator)
    page = client.get(url("staff:two_factor_enrol")).content.decode()
    device = TOTPDevice.objects.get(user=operator)
    assert two_factor.secret_grouped(device) in page


def test_required_totp_does_not_touch_patients_without_a_device(settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    patient = PatientFactory(user__username="pacjent.bez.2fa")
    EnrolmentFactory(patient=patient)
    client = password_login(patient.user, page="portal:login")
    assert client.get(url("portal:account")).status_code == 200


def test_the_admin_is_closed_until_the_session_is_verified(superuser: User, settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    client = Client()
    client.force_login(superuser)
    response = client.get(url("admin:index"))
    assert response.status_code == 302 and response.url.startswith(url("staff:two_factor_enrol"))
    device = device_of(superuser)
    response = client.get(url("admin:accounts_user_changelist"))
    assert response.status_code == 302 and response.url.startswith(url("staff:two_factor"))
    with time_machine.travel(step_start(), tick=False):
        assert client.post(url("staff:two_factor"), {"code": code_for(device)}).status_code == 302
    assert client.get(url("admin:index")).status_code == 200


def test_the_admin_login_form_opens_only_an_unverified_session(superuser: User) -> None:
    device_of(superuser)
    client = password_login(superuser, page="admin:login")
    response = client.get(url("admin:index"))
    assert response.status_code == 302 and response.url.startswith(url("staff:two_factor"))


def test_an_unverified_session_is_no_api_credential(operator: User) -> None:
    device_of(operator)
    client = password_login(operator)
    response = client.get("/api/v1/appointments")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_logging_out_is_open_to_an_unverified_session(operator: User) -> None:
    device_of(operator)
    client = password_login(operator)
    response = client.post(url("staff:logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


# --- Who may open the steps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["staff:two_factor", "staff:two_factor_enrol"])
def test_anonymous_visitors_go_to_the_staff_login(page: str) -> None:
    response = Client().get(url(page))
    assert response.status_code == 302 and response.url.startswith(url("staff:login"))


@pytest.mark.parametrize("page", ["staff:two_factor", "staff:two_factor_enrol"])
def test_a_session_that_owes_nothing_goes_on(operator: User, page: str) -> None:
    client = Client()
    client.force_login(operator)
    response = client.get(url(page) + "?next=https://evil.example/")
    assert response.status_code == 302 and response.url == url("staff:dashboard")
    assert not TOTPDevice.objects.filter(user=operator).exists()


def test_a_patient_owing_a_code_is_sent_to_the_portal_step() -> None:
    patient = PatientFactory(user__username="pacjent.2fa.staffpage")
    device_of(patient.user)
    client = Client()
    client.force_login(patient.user)
    response = client.get(url("staff:two_factor"))
    assert response.status_code == 302 and response.url.startswith(url("portal:login_code"))
    assert client.get(url("staff:two_factor_enrol")).url.startswith(url("portal:login_code"))


# --- The API --------------------------------------------------------------------------------------------------


def token(user: User, **extra: str) -> Any:
    body = {"login": user.username, "password": PASSWORD, **extra}
    return Client().post("/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=IP)


def test_api_token_asks_for_the_code_of_a_user_with_a_device(operator: User) -> None:
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        missing = token(operator)
        assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
        wrong = token(operator, otp=wrong_code(device))
        assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    with time_machine.travel(step_start() + dt.timedelta(seconds=10), tick=False):
        code = code_for(device)
        assert token(operator, otp=code).status_code == 201
        reused = token(operator, otp=code)
        assert reused.status_code == 401 and reused.json()["code"] == "otp_invalid"


def test_api_token_of_staff_without_a_device_when_required(operator: User, settings: Any) -> None:
    settings.CARENET_STAFF_TOTP_REQUIRED = True
    response = token(operator, otp="123456")
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    assert token(PatientFactory(user__username="pacjent.api").user).status_code == 201


def test_api_wrong_codes_lock_the_login(operator: User, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        answers = [token(operator, otp=wrong_code(device)) for _ in range(settings.AXES_FAILURE_LIMIT)]
        assert [a.json()["code"] for a in answers] == ["otp_invalid"] * (settings.AXES_FAILURE_LIMIT - 1) + [
            "locked_out"
        ]
        right = token(operator, otp=code_for(device))
        assert right.status_code == 429 and right.json()["code"] == "locked_out"


def test_api_wrong_codes_in_a_row_are_throttled(operator: User) -> None:
    device = device_of(operator)
    with time_machine.travel(step_start(), tick=False):
        token(operator, otp=wrong_code(device))
        throttled = token(operator, otp=code_for(device))
        assert throttled.status_code == 429 and throttled.json()["code"] == "otp_throttled"


# --- The demo -------------------------------------------------------------------------------------------------


def test_demo_staff_get_a_published_secret_and_totp_code_prints_the_code(operator: User, settings: Any) -> None:
    """The demo prints what a tester needs: each staff login's secret, and `manage.py totp_code <login>`."""
    totp_devices_for_demo_staff([operator])
    device = TOTPDevice.objects.get(user=operator, confirmed=True)
    assert device.key == demo_totp_key(operator.username)
    expected_secret = base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")
    assert demo_totp_secrets() == [(operator.username, expected_secret)]

    settings.DEBUG = True
    with time_machine.travel(step_start(), tick=False):
        out = io.StringIO()
        call_command("totp_code", operator.username, stdout=out, stderr=io.StringIO())
        assert out.getvalue().strip() == code_for(device)
        client = password_login(operator)
        assert client.post(url("staff:two_factor"), {"code": out.getvalue().strip()}).status_code == 302
        assert client.get(url("staff:dashboard")).status_code == 200
    with pytest.raises(CommandError):
        call_command("totp_code", "nobody.here", stdout=io.StringIO())
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("totp_code", operator.username, stdout=io.StringIO())


def test_print_demo_logins_lists_the_totp_secrets() -> None:
    demo_operator = UserFactory(username="infolinia", role=User.Role.CALL_CENTRE)
    totp_devices_for_demo_staff([demo_operator])
    TOTPDevice.objects.create(user=UserFactory(username="lekarz.own", role=User.Role.CLINICIAN), confirmed=True)
    out = io.StringIO()
    call_command("print_demo_logins", stdout=out)
    printed = out.getvalue()
    assert demo_totp_secrets()[0][1] in printed and "totp_code" in printed
    assert "lekarz.own" not in printed, "only the demo's published secrets are printed"


# --- Wiring and the staff password ----------------------------------------------------------------------------


def test_the_second_factor_sits_right_after_authentication() -> None:
    """django-otp reads the session's device after the user is known; our check follows it and comes before the
    ACC-2 "set your password" redirect, so a pending code is asked for first."""
    middleware = django_settings.MIDDLEWARE
    auth = middleware.index("carenet.web.session_user.SessionUserMiddleware")  # Django's, the login read at once
    otp = middleware.index("django_otp.middleware.OTPMiddleware")
    ours = middleware.index("carenet.accounts.two_factor.TwoFactorMiddleware")
    password = middleware.index("carenet.accounts.middleware.PasswordChangeRequiredMiddleware")
    assert auth < otp < ours < password
    assert {"django_otp", "django_otp.plugins.otp_totp"} <= set(django_settings.INSTALLED_APPS)


STAFF_ROLES = [
    User.Role.CALL_CENTRE,
    User.Role.CLINICIAN,
    User.Role.COORDINATOR,
    User.Role.ADMIN,
]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_change_their_password_and_stay_logged_in(role: str) -> None:
    user = UserFactory(username=f"haslo.{role}", role=role)
    client = password_login(user)
    assert client.get(url("staff:password_change")).status_code == 200
    new = "a-much-better-secret-2026"
    response = client.post(
        url("staff:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302 and response.url == url("staff:dashboard")
    assert client.get(url("staff:dashboard")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(new)


def test_staff_password_change_needs_the_current_password(operator: User) -> None:
    client = password_login(operator)
    response = client.post(
        url("staff:password_change"), {"old_password": "nope", "new_password1": "x" * 12, "new_password2": "x" * 12}
    )
    assert response.status_code == 400
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)


def test_the_staff_password_page_is_for_staff_only() -> None:
    assert Client().get(url("staff:password_change")).url.startswith(url("staff:login"))
    patient = PatientFactory(user__username="pacjent.haslo.staff")
    client = Client()
    client.force_login(patient.user)
    new = "a-much-better-secret-2026"
    response = client.post(
        url("staff:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 403
    patient.user.refresh_from_db()
    assert patient.user.check_password(PASSWORD)


def test_the_staff_password_page_waits_for_the_second_factor(operator: User) -> None:
    device_of(operator)
    client = password_login(operator)
    new = "a-much-better-secret-2026"
    response = client.post(
        url("staff:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302 and response.url.startswith(url("staff:two_factor"))
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)
