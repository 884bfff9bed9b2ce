"""FBK-4: urgent help 24/7 and the call-centre numbers wherever a patient might need them — on every page of the
portal a patient (or a visitor) meets, in every state the authorization matrix and the English test reach (a GET,
an empty form sent, each role on the patient's side), on the error pages (400, 403, 404, 500, a refused CSRF
token) and in the API. A page that loses them fails here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from carenet.complaints.tests.factories import cases_of
from carenet.core import clock
from tests.cast import Cast, build_cast, with_collection, with_consultation, with_files, with_renewals, with_results
from tests.test_authorization_matrix import MATRIX, METHODS, kwargs_for, query_for

pytestmark = pytest.mark.django_db

URGENT = "+48 22 999 11 22"
CALL_CENTRE = "+48 22 33 22 888"
NUMBERS = (
    f'href="tel:{URGENT.replace(" ", "")}"',
    URGENT,
    f'href="tel:{CALL_CENTRE.replace(" ", "")}"',
    CALL_CENTRE,
    "112",
)
#: Everyone who meets the portal's pages: visitors and every kind of patient.
PATIENT_SIDE = ("anonymous", "patient", "guardian", "level_one", "lapsed", "other_patient")
PORTAL_PAGES = sorted(name for name in MATRIX if name.startswith("portal:"))


@pytest.fixture
def cast(db: None) -> Cast:
    """The authorization matrix's cast (every page has something to show), with Anna's complaint and claim."""
    cast = with_consultation(with_files(with_collection(with_results(with_renewals(build_cast())))))
    cases_of(cast.patient, filed_at=clock.now() - dt.timedelta(days=2))
    return cast


def missing(html: str) -> list[str]:
    return [number for number in NUMBERS if number not in html]


def is_page(answer: Any) -> bool:
    return (
        not answer.streaming and answer.get("Content-Type", "").startswith("text/html") and b"<html" in answer.content
    )


@override_settings(CARENET_URGENT_HELP_PHONE=URGENT, CARENET_CALL_CENTRE_PHONE=CALL_CENTRE)
@pytest.mark.parametrize("role", PATIENT_SIDE)
def test_every_portal_page_shows_the_help_numbers(cast: Cast, role: str) -> None:
    client = cast.client(role)
    problems: dict[str, list[str]] = {}
    seen = 0
    for name in PORTAL_PAGES:
        url = reverse(name, kwargs=kwargs_for(name, cast))
        asks = [("get", query_for(name, cast))] if METHODS.get(name, "get") == "get" else []
        asks.append(("post", {}))  # an empty form: its errors, or the refusal page
        for method, data in asks:
            answer = getattr(client, method)(url, data)
            if answer.status_code in (301, 302, 303) or not is_page(answer):
                continue
            seen += 1
            if lost := missing(answer.content.decode()):
                problems[f"{name} {method.upper()} {answer.status_code}"] = lost
    assert seen >= 10, seen
    assert not problems, problems


@override_settings(CARENET_URGENT_HELP_PHONE=URGENT, CARENET_CALL_CENTRE_PHONE=CALL_CENTRE)
def test_the_english_pages_keep_them(cast: Cast) -> None:
    client = cast.client("patient")
    client.cookies["django_language"] = "en"
    for name in ("portal:home", "portal:visits", "portal:rate_us", "portal:visit_rate"):
        with translation.override("en"):
            url = reverse(name, kwargs=kwargs_for(name, cast))
        answer = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        html = answer.content.decode()
        assert "Urgent medical help 24/7" in html and not missing(html), name


@override_settings(CARENET_URGENT_HELP_PHONE=URGENT, CARENET_CALL_CENTRE_PHONE=CALL_CENTRE)
def test_the_error_pages_keep_them(cast: Cast) -> None:
    from django.test import RequestFactory
    from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

    request = RequestFactory().get("/")
    request.user = cast.user("patient")  # type: ignore[attr-defined]
    for view, args in (
        (server_error, ()),
        (bad_request, (Exception(),)),
        (permission_denied, (Exception(),)),
        (page_not_found, (Exception(),)),
    ):
        answer = view(request, *args)
        assert not missing(answer.content.decode()), view.__name__
    # A real missing page and a refused CSRF token, through the whole stack.
    assert not missing(cast.client("patient").get("/nie-ma-takiej-strony/").content.decode())
    strict = Client(enforce_csrf_checks=True)
    assert not missing(strict.post(reverse("portal:login"), {}).content.decode())


@override_settings(CARENET_URGENT_HELP_PHONE=URGENT, CARENET_CALL_CENTRE_PHONE=CALL_CENTRE)
def test_the_api_gives_them() -> None:
    body = Client().get("/api/v1/help").json()
    assert (body["urgent_help"]["phone"], body["call_centre"]["phone"], body["emergency_number"]) == (
        URGENT,
        CALL_CENTRE,
        "112",
    )
