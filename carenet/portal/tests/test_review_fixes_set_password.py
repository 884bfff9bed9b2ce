"""ACC-2 review fix: the "set your own password" page (no old password asked) is only for a session whose account
must change its password (the first password, a reset by staff); anyone else changes it under "Moje konto" with the
current password."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from carenet.accounts.models import User
from carenet.api.tests.factories import PASSWORD, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = {"new_password1": "A-much-longer-secret-42", "new_password2": "A-much-longer-secret-42"}


def test_a_logged_in_patient_without_a_forced_change_cannot_set_a_password_without_the_old_one() -> None:
    patient = PatientFactory()
    client = Client()
    client.force_login(patient.user)
    shown = client.get(reverse("portal:set_password"))
    assert shown.status_code == 302 and shown["Location"] == reverse("portal:account") + "#password-change"
    posted = client.post(reverse("portal:set_password"), NEW)
    assert posted.status_code == 302 and posted["Location"] == reverse("portal:account") + "#password-change"
    patient.user.refresh_from_db()
    assert patient.user.check_password(PASSWORD)
    assert not patient.user.check_password(NEW["new_password1"])


def test_staff_without_a_forced_change_go_to_their_password_change() -> None:
    operator = UserFactory(role=User.Role.CALL_CENTRE)
    client = Client()
    client.force_login(operator)
    posted = client.post(reverse("portal:set_password"), NEW)
    assert posted.status_code == 302 and posted["Location"] == reverse("staff:password_change")
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)


def test_a_forced_change_still_sets_the_password() -> None:
    patient = PatientFactory()
    User.objects.filter(pk=patient.user.pk).update(must_change_password=True)
    client = Client()
    client.force_login(patient.user)
    assert client.get(reverse("portal:set_password")).status_code == 200
    posted = client.post(reverse("portal:set_password"), NEW)
    assert posted.status_code == 302 and posted["Location"] == reverse("portal:visits")
    patient.user.refresh_from_db()
    assert patient.user.check_password(NEW["new_password1"]) and not patient.user.must_change_password
