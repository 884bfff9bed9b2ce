"""The patient's "Moje konto" (issue 4): who may open it, the password change that keeps the session, and the
optional two-step login — turning it on (QR code + code), the login's code step, turning it off (password + code)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import User
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-much-better-secret-2026"


@pytest.fixture
def world() -> World:
    return build_world()


def step_start() -> dt.datetime:
    return dt.datetime.fromtimestamp((int(time.time()) // 30) * 30 + 5, tz=dt.UTC)


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if code_for(device) != "000000" else "111111"


def logged_in_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login(username: str, password: str = PASSWORD) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.30")
    response = client.post(url("portal:login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def enable_two_factor(client: Client, user: User) -> TOTPDevice:
    client.get(url("portal:two_factor_enable"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(url("portal:two_factor_enable"), {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


PAGES = ["portal:account", "portal:two_factor_enable"]
POSTS = ["portal:password_change", "portal:two_factor_disable", "portal:two_factor_enable"]


# --- Who may open it ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [*PAGES, "portal:login_code"])
def test_anonymous_visitors_go_to_the_login(world: World, page: str) -> None:
    response = Client().get(url(page))
    assert response.status_code == 302 and response.url.startswith(url("portal:login"))


@pytest.mark.parametrize("page", POSTS)
def test_anonymous_posts_change_nothing(world: World, page: str) -> None:
    response = Client().post(url(page), {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "code": "123456"})
    assert response.status_code == 302 and response.url.startswith(url("portal:login"))
    assert not TOTPDevice.objects.exists()


@pytest.mark.parametrize(
    "role", ["call_centre", "receptionist", "other_receptionist", "clinician", "coordinator", "admin"]
)
def test_staff_cannot_use_the_patient_account_pages(world: World, role: str) -> None:
    staff = world.staff[role]
    client = logged_in_as(staff)
    for page in PAGES:
        assert client.get(url(page)).status_code == 403, page
    before = staff.password
    for page in POSTS:
        response = client.post(
            url(page), {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert response.status_code == 403, page
    staff.refresh_from_db()
    assert staff.password == before and not TOTPDevice.objects.filter(user=staff).exists()


def test_partner_staff_cannot_use_the_patient_account_pages(world: World) -> None:
    partner = User.objects.create_user(
        username="partner.staff", password=PASSWORD, role=User.Role.PARTNER_STAFF, facility=world.other_centre
    )
    assert logged_in_as(partner).get(url("portal:account")).status_code == 403


@pytest.mark.parametrize("who", ["patient_a", "patient_b", "level_one"])
def test_each_patient_sees_their_own_account(world: World, who: str) -> None:
    patient = getattr(world, who)
    response = logged_in_as(patient.user).get(url("portal:account"))
    assert response.status_code == 200
    body = response.content.decode()
    assert patient.user.username in body and patient.full_name in body
    assert f'data-level="{patient.account_level}"' in body
    others = {world.patient_a, world.patient_b, world.level_one} - {patient}
    assert all(other.user.username not in body for other in others)


def test_the_identity_link_shows_for_level_one_when_the_page_exists(world: World) -> None:
    body = logged_in_as(world.level_one.user).get(url("portal:account")).content.decode()
    try:
        reverse("portal:identity")
    except NoReverseMatch:
        assert 'id="identity-link"' not in body
    else:
        assert 'id="identity-link"' in body
    level_two = logged_in_as(world.patient_a.user).get(url("portal:account")).content.decode()
    assert world.patient_a.account_level == 2 and 'id="identity-link"' not in level_two


# --- The password ---------------------------------------------------------------------------------------------


def test_password_change_keeps_the_session(world: World) -> None:
    user = world.patient_a.user
    client = login(user.username)
    response = client.post(
        url("portal:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == url("portal:account")
    assert client.get(url("portal:account")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login(user.username, NEW_PASSWORD)


def test_password_change_needs_the_current_password(world: World) -> None:
    user = world.patient_a.user
    client = logged_in_as(user)
    response = client.post(
        url("portal:password_change"),
        {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400 and b"errorlist" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_refuses_a_weak_password(world: World) -> None:
    user = world.patient_a.user
    response = logged_in_as(user).post(
        url("portal:password_change"), {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"}
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_account_page_takes_no_post(world: World) -> None:
    assert logged_in_as(world.patient_a.user).post(url("portal:account")).status_code == 405


# --- Two-step login, optional for patients --------------------------------------------------------------------


def test_patient_turns_two_step_login_on_and_then_logs_in_with_a_code(world: World) -> None:
    user = world.patient_a.user
    client = login(user.username)
    assert b'data-on="0"' in client.get(url("portal:account")).content
    page = client.get(url("portal:two_factor_enable"))
    assert page.status_code == 200 and b"<svg" in page.content and b'id="totp-secret"' in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    with time_machine.travel(step_start(), tick=False):
        bad = client.post(url("portal:two_factor_enable"), {"code": wrong_code(device)})
        assert bad.status_code == 400
        device.refresh_from_db()
        assert not device.confirmed
    with time_machine.travel(step_start() + dt.timedelta(seconds=30), tick=False):
        enable_two_factor(client, user)
        assert b'data-on="1"' in client.get(url("portal:account")).content, "this session stays in"

    with time_machine.travel(step_start() + dt.timedelta(seconds=60), tick=False):
        fresh = login(user.username)
        visits = fresh.get(url("portal:visits"))
        assert visits.status_code == 302 and visits.url.startswith(url("portal:login_code"))
        assert fresh.get(url("portal:account")).status_code == 302
        step = fresh.get(visits.url)
        assert step.status_code == 200 and b'id="two-factor-verify"' in step.content
        wrong = fresh.post(url("portal:login_code"), {"code": wrong_code(device), "next": url("portal:visits")})
        assert wrong.status_code == 200 and fresh.get(url("portal:visits")).status_code == 302
    with time_machine.travel(step_start() + dt.timedelta(seconds=90), tick=False):
        device.refresh_from_db()
        right = fresh.post(url("portal:login_code"), {"code": code_for(device), "next": url("portal:visits")})
        assert right.status_code == 302 and right.url == url("portal:visits")
        assert fresh.get(url("portal:visits")).status_code == 200


def test_a_patient_without_two_step_login_is_never_asked_for_a_code(world: World) -> None:
    client = login(world.patient_b.user.username)
    assert client.get(url("portal:visits")).status_code == 200
    response = client.get(url("portal:login_code"))
    assert response.status_code == 302 and response.url == url("portal:visits")


def test_turning_off_needs_the_password_and_a_code(world: World) -> None:
    user = world.patient_a.user
    client = logged_in_as(user)
    with time_machine.travel(step_start(), tick=False):
        device = enable_two_factor(client, user)
    with time_machine.travel(step_start() + dt.timedelta(seconds=30), tick=False):
        no_password = client.post(url("portal:two_factor_disable"), {"password": "wrong", "code": code_for(device)})
        assert no_password.status_code == 400
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with time_machine.travel(step_start() + dt.timedelta(seconds=60), tick=False):
        device.refresh_from_db()
        no_code = client.post(url("portal:two_factor_disable"), {"password": PASSWORD, "code": wrong_code(device)})
        assert no_code.status_code == 400
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with time_machine.travel(step_start() + dt.timedelta(seconds=90), tick=False):
        device.refresh_from_db()
        off = client.post(url("portal:two_factor_disable"), {"password": PASSWORD, "code": code_for(device)})
        assert off.status_code == 302 and off.url == url("portal:account")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert login(user.username).get(url("portal:visits")).status_code == 200


def test_another_patient_cannot_turn_off_my_two_step_login(world: World) -> None:
    me = world.patient_a.user
    with time_machine.travel(step_start(), tick=False):
        device = enable_two_factor(logged_in_as(me), me)
        other = logged_in_as(world.patient_b.user)
        response = other.post(url("portal:two_factor_disable"), {"password": PASSWORD, "code": code_for(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=me, confirmed=True).count() == 1


def test_turning_on_twice_keeps_the_first_device(world: World) -> None:
    user = world.patient_a.user
    client = logged_in_as(user)
    with time_machine.travel(step_start(), tick=False):
        device = enable_two_factor(client, user)
    response = client.get(url("portal:two_factor_enable"))
    assert response.status_code == 302 and response.url == url("portal:account")
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


def test_the_code_step_is_open_to_the_session_that_owes_it_only(world: World) -> None:
    user = world.patient_a.user
    with time_machine.travel(step_start(), tick=False):
        enable_two_factor(logged_in_as(user), user)
    client = login(user.username)
    for page in ("portal:ecard", "portal:search", "portal:account", "staff:dashboard"):
        response = client.get(url(page))
        assert response.status_code == 302 and response.url.startswith(url("portal:login_code")), page
    assert client.get(url("portal:login_code")).status_code == 200
    assert client.post(url("portal:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_patient_with_a_pending_password_change_gives_the_code_first(world: World) -> None:
    """ACC-2 and ACC-6 with two-step login on: after a reset, the code step comes before setting the password."""
    user = world.patient_a.user
    with time_machine.travel(step_start(), tick=False):
        device = enable_two_factor(logged_in_as(user), user)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = login(user.username)
    response = client.get(url("portal:visits"))
    assert response.url.startswith(url("portal:login_code"))
    assert client.get(url("portal:login_code")).status_code == 200
    with time_machine.travel(step_start() + dt.timedelta(seconds=30), tick=False):
        device.refresh_from_db()
        client.post(url("portal:login_code"), {"code": code_for(device)})
    after = client.get(url("portal:visits"))
    assert after.status_code == 302 and after.url == url("portal:set_password")


def test_a_wrong_code_storm_on_the_login_step_locks_out(world: World, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = world.patient_a.user
    with time_machine.travel(step_start(), tick=False):
        device = enable_two_factor(logged_in_as(user), user)
        client = login(user.username)
        statuses = [
            client.post(url("portal:login_code"), {"code": wrong_code(device)}).status_code
            for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    assert "_auth_user_id" not in client.session, "the half-done login is dropped"
    again = Client(REMOTE_ADDR="198.51.100.30").post(
        url("portal:login"), {"username": user.username, "password": PASSWORD}
    )
    assert again.status_code == 429 and 'id="locked-out"' in again.content.decode()


def test_the_menu_links_to_my_account(world: World) -> None:
    body = logged_in_as(world.patient_a.user).get(url("portal:visits")).content.decode()
    assert f'href="{url("portal:account")}"' in body
