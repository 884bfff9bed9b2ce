"""PKG-7: "Twój pakiet medyczny" — in the portal and through the API: what the package covers at the patient's age,
the limits used and left this enrolment year, the contract's partner facilities (NET-2: a phone, no booking)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.core import clock
from carenet.coverage.models import BenefitItem, Rule
from carenet.coverage.tests.factories import BenefitFactory
from tests.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_limit(cast: Cast) -> Cast:
    """Anna's tier gets psychiatry within an annual limit of 3; her completed visit at Wola used one unit."""
    enrolment = cast.patient.enrolments.get()
    # The visit a week ago and today in one enrolment year whatever the date (activated on 1 January, the first week
    # of a year would put the visit in the year before).
    enrolment.activated_on = clock.today() - dt.timedelta(days=30)
    enrolment.save(update_fields=["activated_on"])
    benefit = BenefitFactory(
        tiers=[enrolment.tier], code="psych", group="consultations", title="Psychiatria i psychologia"
    )
    BenefitItem.objects.create(
        benefit=benefit,
        specialty=cast.past_visit.slot.specialty,
        rule=Rule.ANNUAL_LIMIT,
        annual_limit=3,
        limit_pool="psych-3",
    )
    BenefitItem.objects.create(benefit=benefit, other_services=True, rule=Rule.DISCOUNT, discount_percent=10)
    cast.past_visit.limit_pool = "psych-3"
    cast.past_visit.enrolment = enrolment
    cast.past_visit.save(update_fields=["limit_pool", "enrolment"])
    enrolment.contract.partner_facilities.add(cast.partner)
    return cast


def test_anna_sees_her_tier_dates_coverage_limits_and_partner_facilities(with_limit: Cast) -> None:
    cast = with_limit
    enrolment = cast.patient.enrolments.get()
    with translation.override("pl"):
        response = cast.client("patient").get(reverse("portal:package"))
    page = response.content.decode()
    assert response.status_code == 200
    assert enrolment.tier.name in page and enrolment.contract.name in page
    assert enrolment.paid_through.strftime("%d.%m.%Y") in page
    assert reverse("portal:ecard") in page
    assert "Psychiatria i psychologia" in page and "limit 3 w roku" in page and "rabat 10%" in page
    limits = response.context["overview"].limits
    assert [(limit.pool, limit.limit, limit.used, limit.left) for limit in limits] == [("psych-3", 3, 1, 2)]
    assert cast.partner.name in page and "+48 22 555 00 11" in page
    assert reverse("portal:search") + "?facility" not in page  # partners are phoned, never booked here


def test_the_year_use_of_every_limit_is_one_query(with_limit: Cast, django_assert_max_num_queries: object) -> None:
    from carenet.core import clock
    from carenet.coverage.selectors import package_overview

    with django_assert_max_num_queries(6):  # type: ignore[operator]
        overview = package_overview(patient=with_limit.patient, day=clock.today())
    assert overview is not None and overview.limits


def test_a_guardian_switches_to_the_childs_package_and_the_read_is_recorded(cast: Cast) -> None:
    client = cast.client("guardian")
    response = client.get(reverse("portal:package"), {"for": cast.child.pk})
    assert response.status_code == 200
    assert response.context["holder"] == cast.child
    assert cast.child.full_name in response.content.decode()
    assert PatientRead.objects.filter(patient=cast.child).exists()
    assert client.get(reverse("portal:package"), {"for": cast.patient.pk}).status_code == 404


def test_the_english_page_is_english(cast: Cast) -> None:
    with translation.override("en"):
        url = reverse("portal:package")
    response = cast.client("patient").get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "Your medical package" in response.content.decode()


def test_the_app_reads_the_same_package(with_limit: Cast) -> None:
    cast = with_limit
    response = cast.client("patient").get("/api/v1/package")
    assert response.status_code == 200, response.content
    body = response.json()
    enrolment = cast.patient.enrolments.get()
    assert body["tier_code"] == enrolment.tier.code and body["ecard_number"] == enrolment.ecard_number
    assert [(limit["pool"], limit["used"], limit["left"]) for limit in body["limits"]] == [("psych-3", 1, 2)]
    assert body["partner_facilities"][0]["phone"] == "+48 22 555 00 11"
    assert any(line["rule"] == "discount" and line["other_services"] for b in body["benefits"] for line in b["lines"])


def test_the_call_centre_names_the_patient_and_the_read_is_recorded(cast: Cast) -> None:
    client = cast.client("call_centre")
    refused = client.get("/api/v1/package")
    assert (refused.status_code, refused.json()["code"]) == (422, "patient_id_required")
    assert client.get("/api/v1/package", {"patient_id": cast.patient.pk}).status_code == 200
    assert PatientRead.objects.filter(patient=cast.patient, reference="package").exists()


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("employer_contact", 403, "role_not_allowed"),
        ("other_patient", 404, "patient_not_found"),
        ("lapsed", 403, "package_inactive"),
    ],
)
def test_others_do_not_read_annas_package(cast: Cast, role: str, status: int, code: str) -> None:
    response = cast.client(role).get("/api/v1/package", {"patient_id": cast.patient.pk})
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_the_package_is_in_the_openapi_document(cast: Cast) -> None:
    document = cast.client("anonymous").get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/package"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
