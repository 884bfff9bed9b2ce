"""Session safety (issue 10): idle timeout (staff 15 min, patients 30 min), an absolute limit, the way out of an
expired session for pages, HTMX and the API, and no-store on every authenticated answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from carenet.accounts.models import User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.api.auth import token_issue
from carenet.core import clock
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.portal.tests.booking_world import url

pytestmark = pytest.mark.django_db

STAFF_IDLE = dt.timedelta(minutes=settings.CARENET_SESSION_IDLE_MINUTES_STAFF)
PATIENT_IDLE = dt.timedelta(minutes=settings.CARENET_SESSION_IDLE_MINUTES_PATIENT)
MAX_AGE = dt.timedelta(hours=settings.CARENET_SESSION_MAX_HOURS)


def enrolled_patient(**fields: object) -> Any:
    """A patient with a package in force (ACC-7: the portal and the API are for them)."""
    patient = PatientFactory(**fields)
    EnrolmentFactory(patient=patient)
    return patient


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults_follow_the_shared_desks() -> None:
    assert (
        dt.timedelta(minutes=15),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=12),
    ) == (STAFF_IDLE, PATIENT_IDLE, MAX_AGE)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_staff_session_ends_after_the_idle_timeout_and_goes_to_the_staff_login() -> None:
    staff = UserFactory(username="recepcja.idle", role=User.Role.CALL_CENTRE)
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(staff)
    with time_machine.travel(start + STAFF_IDLE - dt.timedelta(seconds=5), tick=False):
        assert client.get(url("staff:dashboard")).status_code == 200
    # Used a moment ago: the idle clock starts again from the last request.
    with time_machine.travel(start + 2 * STAFF_IDLE - dt.timedelta(seconds=10), tick=False):
        assert client.get(url("staff:dashboard")).status_code == 200
    with time_machine.travel(start + 3 * STAFF_IDLE, tick=False):
        response = client.get(url("staff:dashboard"), follow=True)
    assert response.redirect_chain[0][0].startswith(url("staff:login") + "?next=")
    assert not logged_in(client)
    assert "inactivity" in response.content.decode()


def test_patient_session_lasts_longer_idle_and_goes_to_the_portal_login() -> None:
    patient = enrolled_patient(user__username="anna.idle").user
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient)
    with time_machine.travel(start + STAFF_IDLE + dt.timedelta(minutes=1), tick=False):
        assert client.get(url("portal:visits")).status_code == 200
    with time_machine.travel(start + STAFF_IDLE + PATIENT_IDLE + dt.timedelta(minutes=2), tick=False):
        response = client.get(url("portal:visits"))
    assert response.status_code == 302
    assert response["Location"].startswith(url("portal:login"))
    assert not logged_in(client)


def test_absolute_limit_ends_even_a_busy_session() -> None:
    patient = enrolled_patient(user__username="anna.busy").user
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient)
    moment = start
    while moment < start + MAX_AGE - dt.timedelta(minutes=20):
        moment += dt.timedelta(minutes=20)
        with time_machine.travel(moment, tick=False):
            assert client.get(url("portal:visits")).status_code == 200, moment - start
    with time_machine.travel(start + MAX_AGE + dt.timedelta(minutes=1), tick=False):
        response = client.get(url("portal:visits"))
    assert response.status_code == 302 and not logged_in(client)


def test_htmx_request_of_an_expired_session_gets_hx_redirect() -> None:
    staff = UserFactory(username="recepcja.htmx", role=User.Role.CALL_CENTRE)
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(staff)
    with time_machine.travel(start + STAFF_IDLE + dt.timedelta(minutes=1), tick=False):
        response = client.get(url("staff:dashboard"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == url("staff:login")
    assert not logged_in(client)


def test_api_session_call_of_an_expired_session_answers_401_json() -> None:
    patient = enrolled_patient(user__username="anna.api").user
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient)
        assert client.get("/api/v1/appointments").status_code == 200
    with time_machine.travel(start + PATIENT_IDLE + dt.timedelta(minutes=1), tick=False):
        response = client.get("/api/v1/appointments")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert not logged_in(client)


def test_bearer_tokens_are_not_sessions() -> None:
    patient = enrolled_patient(user__username="anna.token").user
    start = clock.now()
    token, _ = token_issue(user=patient, name="phone", now=start)
    with time_machine.travel(start + MAX_AGE + dt.timedelta(hours=1), tick=False):
        response = Client().get("/api/v1/appointments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_authenticated_answers_are_not_stored() -> None:
    patient = enrolled_patient(user__username="anna.cache").user
    client = Client()
    client.force_login(patient)
    for path in (url("portal:visits"), url("portal:account"), "/api/v1/appointments"):
        assert "no-store" in client.get(path)["Cache-Control"], path
    token, _ = token_issue(user=patient, name="phone", now=clock.now())
    response = Client().get("/api/v1/appointments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert "no-store" in response["Cache-Control"]
    # A public page to an anonymous visitor stays cacheable.
    assert "no-store" not in Client().get(url("portal:home")).get("Cache-Control", "")
