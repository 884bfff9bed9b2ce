"""Issue 16: a page reads its session row and its login — with the login's two-step device, patient record,
children and package in force — in two statements compiled once per process, and answers exactly as Django's
``get_user`` and the separate checks did: a changed password, a deactivated login, a device turned on, a lapsed
package or a logout elsewhere count at the very next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import Patient
from carenet.accounts.session_store import _LIVE_SESSION, _live_session
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core import clock
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.web.session_user import _SESSION_LOGIN, _session_login

pytestmark = pytest.mark.django_db


def with_package(patient: Patient, *, lapsed: bool = False) -> Patient:
    today = clock.today()
    paid_through = today - dt.timedelta(days=1) if lapsed else today + dt.timedelta(days=30)
    EnrolmentFactory(patient=patient, activated_on=today - dt.timedelta(days=60), paid_through=paid_through)
    return patient


def logged_in(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user)
    return client


def visits(client: Client) -> tuple[int, str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("portal:visits"))
    return response.status_code, response.get("Location", ""), [query["sql"] for query in captured]


def test_the_baked_session_and_login_reads_answer_what_the_orm_answers() -> None:
    alone = with_package(PatientFactory())
    guardian = with_package(PatientFactory())
    PatientFactory(user=None, guardian=guardian, birth_date=clock.today() - dt.timedelta(days=3000))
    TOTPDevice.objects.create(user=guardian.user, name="CareNet", confirmed=True)
    lapsed = with_package(PatientFactory(), lapsed=True)
    staff = UserFactory(role="call_centre")
    today = clock.today()
    for user in (alone.user, guardian.user, lapsed.user, staff):
        orm = list(_session_login(today, pk=user.pk))
        with CaptureQueriesContext(connection) as queries:
            baked = _SESSION_LOGIN.all(shape=today, pk=user.pk)
        assert len(queries) == 1
        fields = ("pk", "username", "password", "is_active", "has_minors", "package_in_force", "has_confirmed_device")
        assert [[getattr(u, name) for name in fields] for u in baked] == [
            [getattr(u, name) for name in fields] for u in orm
        ]
        assert getattr(baked[0], "patient", None) == getattr(orm[0], "patient", None)
    assert [
        (u.has_minors, u.package_in_force, u.has_confirmed_device)
        for u in (  # type: ignore[attr-defined]
            _SESSION_LOGIN.first(shape=today, pk=alone.user.pk),
            _SESSION_LOGIN.first(shape=today, pk=guardian.user.pk),
            _SESSION_LOGIN.first(shape=today, pk=lapsed.user.pk),
        )
    ] == [(False, True, False), (True, True, True), (False, False, False)]
    assert _SESSION_LOGIN._plans[("default", today)] is not None  # baked, not run through the ORM each time

    client = logged_in(alone)
    key = client.session.session_key
    now = timezone.now()
    for when in (now, now + dt.timedelta(days=30)):  # live, then expired
        orm_rows = list(_live_session(None, session_key=key, now=when))
        rows = _LIVE_SESSION.all(session_key=key, now=when)
        assert [(s.session_key, s.session_data, s.expire_date) for s in rows] == [
            (s.session_key, s.session_data, s.expire_date) for s in orm_rows
        ]
    assert _LIVE_SESSION._plans[("default", None)] is not None


def test_a_page_reads_the_session_and_the_login_in_two_statements() -> None:
    client = logged_in(with_package(PatientFactory()))
    client.get(reverse("portal:visits"))  # the session's first request
    status, _location, statements = visits(client)
    assert status == 200
    assert 'FROM "django_session"' in statements[0]
    assert 'FROM "accounts_user"' in statements[1] and '"otp_totp_totpdevice"' in statements[1]
    rest = statements[2:]
    assert not [sql for sql in rest if '"otp_totp_totpdevice"' in sql or 'FROM "accounts_user"' in sql], rest
    assert not [sql for sql in rest if 'FROM "accounts_patient"' in sql], rest  # no children: no family query
    assert not [sql for sql in rest if 'FROM "coverage_enrolment"' in sql], rest  # ACC-7 read with the login


def test_a_changed_password_a_deactivated_login_or_a_logout_elsewhere_count_at_the_next_request() -> None:
    for change in ("password", "inactive", "logout"):
        patient = with_package(PatientFactory())
        client = logged_in(patient)
        assert visits(client)[0] == 200
        user = patient.user
        if change == "password":
            user.set_password("an entirely new password 2026")
            user.save()
        elif change == "inactive":
            user.is_active = False
            user.save()
        else:
            Session.objects.all().delete()
        status, location, _statements = visits(client)
        assert status == 302 and reverse("portal:login") in location, change


def test_a_device_turned_on_in_another_session_asks_for_the_code_at_the_next_request() -> None:
    patient = with_package(PatientFactory())
    client = logged_in(patient)
    assert visits(client)[0] == 200
    TOTPDevice.objects.create(user=patient.user, name="CareNet", confirmed=True)
    status, location, _statements = visits(client)
    assert status == 302 and reverse("portal:login_code") in location


def test_acc7_a_lapsed_package_closes_the_portal_and_a_childs_package_keeps_it_open() -> None:
    lapsed = with_package(PatientFactory(), lapsed=True)
    assert visits(logged_in(lapsed))[0] == 403
    guardian = with_package(PatientFactory(), lapsed=True)
    child = PatientFactory(user=None, guardian=guardian, birth_date=clock.today() - dt.timedelta(days=3000))
    with_package(child)
    assert visits(logged_in(guardian))[0] == 200
    patient = with_package(PatientFactory())
    client = logged_in(patient)
    assert visits(client)[0] == 200
    patient.enrolments.update(paid_through=clock.today() - dt.timedelta(days=1))
    assert visits(client)[0] == 403  # read again at the next request, never kept


def test_a_session_of_a_backend_that_is_not_configured_is_anonymous_as_before() -> None:
    client = logged_in(with_package(PatientFactory()))
    session = client.session
    session[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
    session.save()
    status, location, _statements = visits(client)
    assert status == 302 and reverse("portal:login") in location
