"""ACC-6 review fix: a password reset by staff and every password change (the patient's "Moje konto", the forced
"set your own password", a staff member's own change, the service itself) revoke the user's API bearer tokens —
the app logs in again. And the reset form's "also turn off two-step login" removes the patient's TOTP devices and
records it on the reset."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts import services
from carenet.accounts.models import PasswordReset, User
from carenet.api.auth import token_issue
from carenet.api.models import AccessToken
from carenet.core import clock
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW = "a-much-better-secret-2026"


@pytest.fixture
def world() -> World:
    return build_world()


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def live(token: str) -> bool:
    """Whether the API still takes the token (staff get 422/403 for a list without a patient: not 401)."""
    return bearer(token).get("/api/v1/appointments").status_code != 401


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_reset_revokes_the_tokens_even_after_the_patient_sets_a_new_password(world: World) -> None:
    user = world.patient_a.user
    token, _ = token_issue(user=user, name="phone", now=clock.now())
    other, _ = token_issue(user=world.patient_b.user, name="phone", now=clock.now())
    assert live(token)
    response = as_user(world.staff["call_centre"]).post(url("staff:password_reset", world.patient_a.pk))
    assert response.status_code == 302
    assert not live(token)
    # The patient sets their own password: the old token stays dead (it was revoked, not just paused).
    user.refresh_from_db()
    client = as_user(user)
    done = client.post(url("portal:set_password"), {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == url("portal:visits")
    assert not live(token)
    assert AccessToken.objects.get(user=user).revoked_at is not None
    assert live(other), "another patient's token is untouched"
    fresh, _ = token_issue(user=user, name="phone", now=clock.now())
    assert live(fresh)


def test_the_patients_own_password_change_revokes_the_tokens(world: World) -> None:
    user = world.patient_a.user
    token, _ = token_issue(user=user, name="phone", now=clock.now())
    client = as_user(user)
    data = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    assert client.post(url("portal:password_change"), data).status_code == 302
    assert not live(token)
    assert client.get(url("portal:account")).status_code == 200, "the session stays"


def test_a_refused_password_change_keeps_the_tokens(world: World) -> None:
    user = world.patient_a.user
    token, _ = token_issue(user=user, name="phone", now=clock.now())
    data = {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    assert as_user(user).post(url("portal:password_change"), data).status_code == 400
    assert live(token)


def test_a_staff_members_own_password_change_revokes_their_tokens(world: World) -> None:
    operator = world.staff["call_centre"]
    token, _ = token_issue(user=operator, name="console", now=clock.now())
    assert live(token)
    data = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    assert as_user(operator).post(url("staff:password_change"), data).status_code == 302
    assert not live(token)


def test_the_password_services_revoke_the_tokens(world: World) -> None:
    """The rule lives with the password change itself, whatever front door calls it."""
    user = world.patient_a.user
    token, _ = token_issue(user=user, name="phone", now=clock.now())
    services.user_password_set(user=user, password=NEW)
    assert not live(token)
    second, _ = token_issue(user=world.patient_b.user, name="phone", now=clock.now())
    services.patient_password_reset(patient=world.patient_b, actor=world.staff["receptionist"])
    User.objects.filter(pk=world.patient_b.user.pk).update(must_change_password=False)
    assert not live(second)


def test_the_reset_form_offers_turning_off_two_step_login(world: World) -> None:
    page = as_user(world.staff["call_centre"]).get(url("staff:password_reset", world.patient_a.pk))
    assert 'name="two_factor_off"' in page.content.decode()


def test_a_reset_with_the_checkbox_removes_the_authenticator_and_records_it(world: World) -> None:
    user = world.patient_a.user
    TOTPDevice.objects.create(user=user, name="CareNet", confirmed=True)
    client = as_user(world.staff["receptionist"])
    response = client.post(url("staff:password_reset", world.patient_a.pk), {"two_factor_off": "on"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    reset = PasswordReset.objects.get(user=user)
    assert reset.two_factor_removed and reset.reset_by == world.staff["receptionist"]


def test_a_reset_without_the_checkbox_keeps_the_authenticator(world: World) -> None:
    user = world.patient_a.user
    TOTPDevice.objects.create(user=user, name="CareNet", confirmed=True)
    assert as_user(world.staff["call_centre"]).post(url("staff:password_reset", world.patient_a.pk)).status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists()
    assert PasswordReset.objects.get(user=user).two_factor_removed is False


def test_a_refused_reset_removes_nothing(world: World) -> None:
    """A patient without their own login (a child): nothing recorded, nothing removed."""
    guardian_device = TOTPDevice.objects.create(user=world.patient_a.user, name="CareNet", confirmed=True)
    client = as_user(world.staff["call_centre"])
    assert client.post(url("staff:password_reset", world.child.pk), {"two_factor_off": "on"}).status_code == 422
    assert TOTPDevice.objects.filter(pk=guardian_device.pk).exists() and not PasswordReset.objects.exists()


def test_only_reset_roles_remove_devices(world: World) -> None:
    user = world.patient_a.user
    TOTPDevice.objects.create(user=user, name="CareNet", confirmed=True)
    for role in ("clinician", "coordinator"):
        client = as_user(world.staff[role])
        assert client.post(url("staff:password_reset", world.patient_a.pk), {"two_factor_off": "on"}).status_code == 403
    assert (
        as_user(world.patient_b.user)
        .post(url("staff:password_reset", world.patient_a.pk), {"two_factor_off": "on"})
        .status_code
        == 403
    )
    assert TOTPDevice.objects.filter(user=user).exists() and not PasswordReset.objects.exists()
