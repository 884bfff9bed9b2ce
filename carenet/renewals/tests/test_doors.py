"""CLN-2 through every door: the portal's "Zamów receptę", the API, the call centre's and reception's order page,
the clinician's queue — only drugs prescribed before, level II for patients, reads recorded, refusals store
nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.clinical.models import Prescription
from carenet.clinical.tests.factories import DrugFactory, PrescriptionFactory
from carenet.core import clock
from carenet.messaging.models import OutboundMessage
from carenet.renewals.models import RenewalRequest
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def renewals() -> list[tuple[int, int, str, str]]:
    return list(RenewalRequest.objects.order_by("pk").values_list("patient_id", "drug_id", "channel", "status"))


def reads(what: str) -> list[tuple[str, int, str]]:
    rows = PatientRead.objects.filter(what=what).order_by("pk")
    return list(rows.values_list("reader__username", "patient_id", "door"))


# --- The portal ---------------------------------------------------------------------------------------------------


def test_the_portal_page_lists_renewable_drugs_and_orders_one(cast: Cast) -> None:
    assert cast.renewable_drug is not None and cast.renewal is not None
    client = cast.client("patient")
    url = reverse("portal:renewal_order")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Metformina" in html and "Bisoprolol" in html and f'data-renewal="{cast.renewal.pk}"' in html
    assert html.count('name="drug"') == 1  # Bisoprolol is already ordered: no second form
    answer = client.post(url, {"patient": cast.patient.pk, "drug": cast.renewable_drug.pk, "note": "Proszę."})
    assert answer.status_code == 302
    ordered = RenewalRequest.objects.get(drug=cast.renewable_drug)
    assert (ordered.channel, ordered.note, ordered.requested_by_id) == ("portal", "Proszę.", cast.patient.user_id)
    confirmation = client.get(answer.headers["Location"]).content.decode()
    assert clock.local(ordered.due_at).strftime("%d.%m.%Y") in confirmation


def test_the_portal_refuses_a_drug_not_prescribed_before(cast: Cast) -> None:
    before = renewals()
    for drug in (DrugFactory().pk, "abc", ""):
        answer = cast.client("patient").post(
            reverse("portal:renewal_order"), {"patient": cast.patient.pk, "drug": drug}
        )
        assert answer.status_code == 422
        assert 'role="alert"' in answer.content.decode()
    partner_drug = DrugFactory()
    PrescriptionFactory(patient=cast.patient, drug=partner_drug, facility=cast.partner)
    page = cast.client("patient").get(reverse("portal:renewal_order")).content.decode()
    assert partner_drug.name not in page
    answer = cast.client("patient").post(
        reverse("portal:renewal_order"), {"patient": cast.patient.pk, "drug": partner_drug.pk}
    )
    assert answer.status_code == 422
    assert renewals() == before


def test_the_portal_refuses_another_familys_patient(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    before = renewals()
    answer = cast.client("other_patient").post(
        reverse("portal:renewal_order"), {"patient": cast.patient.pk, "drug": cast.renewable_drug.pk}
    )
    assert answer.status_code == 422 and renewals() == before


def test_a_guardian_orders_for_their_child_in_the_portal(cast: Cast) -> None:
    drug = DrugFactory(name="Amoksycylina")
    PrescriptionFactory(patient=cast.child, drug=drug, facility=cast.here, issued_by=cast.clinician_with)
    client = cast.client("guardian")
    page = client.get(reverse("portal:renewal_order")).content.decode()
    assert "Amoksycylina" in page and cast.child.full_name in page
    assert client.post(reverse("portal:renewal_order"), {"patient": cast.child.pk, "drug": drug.pk}).status_code == 302
    assert RenewalRequest.objects.filter(patient=cast.child, drug=drug, status="pending").exists()


def test_level_one_gets_the_explanation_page(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.level_one, drug=drug, facility=cast.here)
    client = cast.client("level_one")
    page = client.get(reverse("portal:renewal_order"))
    assert page.status_code == 403
    assert reverse("portal:identity") in page.content.decode()
    assert (
        client.post(reverse("portal:renewal_order"), {"patient": cast.level_one.pk, "drug": drug.pk}).status_code == 403
    )
    assert not RenewalRequest.objects.filter(patient=cast.level_one).exists()


def test_the_portal_page_in_polish(cast: Cast) -> None:
    with translation.override("pl"):
        url = reverse("portal:renewal_order")
    assert url == "/leki/zamow/"
    page = cast.client("patient").get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Zamów receptę" in page and "Ostatnie dawkowanie" in page


# --- The API ------------------------------------------------------------------------------------------------------


def bearer(cast: Cast, role: str) -> Client:
    user = cast.users[role]
    assert user is not None
    token, _ = token_issue(user=user, name="phone", now=clock.now())
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def api_post(client: Client, body: Any, **headers: str) -> Any:
    return client.post("/api/v1/renewals", json.dumps(body), content_type="application/json", **headers)


def test_the_api_lists_renewable_drugs_and_orders(cast: Cast) -> None:
    assert cast.renewable_drug is not None and cast.renewal is not None
    client = bearer(cast, "patient")
    drugs = client.get("/api/v1/renewals/drugs").json()
    assert drugs["patient_id"] == cast.patient.pk
    by_name = {item["drug"]["name"]: item for item in drugs["results"]}
    assert set(by_name) == {"Bisoprolol", "Metformina"}
    assert by_name["Bisoprolol"]["pending_renewal_id"] == cast.renewal.pk
    assert by_name["Metformina"]["last_prescription"]["dose"] == "1 tabletka 2 razy dziennie"
    answer = api_post(client, {"drug_id": cast.renewable_drug.pk, "note": "Kończy się"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["channel"] == "mobile" and body["due_at"]
    replay = api_post(client, {"drug_id": cast.renewable_drug.pk, "note": "Kończy się"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 201 and replay.json()["id"] == body["id"]
    assert RenewalRequest.objects.filter(drug=cast.renewable_drug).count() == 1
    again = api_post(client, {"drug_id": cast.renewable_drug.pk})
    assert again.status_code == 409 and again.json()["code"] == "renewal_already_pending"
    listed = client.get("/api/v1/renewals").json()["results"]
    assert {item["id"] for item in listed} == {body["id"], cast.renewal.pk}


def test_the_api_shows_the_new_prescriptions_code_and_a_declines_reason(cast: Cast) -> None:
    assert cast.renewal is not None
    issued = cast.client("clinician_with").post(
        reverse("staff:renewal_issue", args=[cast.renewal.pk]),
        {"dose": "1 tabletka", "quantity": "1", "reimbursement": "100%"},
    )
    assert issued.status_code == 302
    item = bearer(cast, "patient").get("/api/v1/renewals").json()["results"][0]
    prescription = Prescription.objects.get(renewal_request=cast.renewal)
    assert item["status"] == "issued" and item["prescription_access_code"] == prescription.access_code


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"drug_id": 999999}, 422, "renewal_drug_not_prescribed"),
        ({"drug_id": "x"}, 422, "invalid_input"),
        ({"drug_id": 2**70}, 422, "invalid_input"),
        ({"drug_id": 1, "note": "a\u0000b"}, 422, "invalid_input"),
        ({"drug_id": 1, "note": "x" * 501}, 422, "invalid_input"),
        ({"drug_id": 1, "patient_id": 999999}, 404, "patient_not_found"),
    ],
)
def test_the_api_refuses_bad_orders_with_stable_codes(cast: Cast, body: dict[str, Any], status: int, code: str) -> None:
    before = renewals()
    answer = api_post(bearer(cast, "patient"), body)
    assert answer.status_code == status and answer.json()["code"] == code
    assert renewals() == before


def test_the_api_partner_prescriptions_do_not_count(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.patient, drug=drug, facility=cast.partner)
    answer = api_post(bearer(cast, "patient"), {"drug_id": drug.pk})
    assert answer.status_code == 422 and answer.json()["code"] == "renewal_drug_not_prescribed"


def test_the_api_refuses_level_one_and_clinicians(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.level_one, drug=drug, facility=cast.here)
    client = bearer(cast, "level_one")
    for answer in (
        client.get("/api/v1/renewals"),
        client.get("/api/v1/renewals/drugs"),
        api_post(client, {"drug_id": drug.pk}),
    ):
        assert answer.status_code == 403 and answer.json()["code"] == "level_two_required"
    clinician = bearer(cast, "clinician_with")
    answer = clinician.get("/api/v1/renewals", {"patient_id": cast.patient.pk})
    assert answer.status_code == 403 and answer.json()["code"] == "role_not_allowed"
    assert not RenewalRequest.objects.filter(patient=cast.level_one).exists()


def test_the_api_staff_name_the_patient(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    client = bearer(cast, "call_centre")
    missing = api_post(client, {"drug_id": cast.renewable_drug.pk})
    assert missing.status_code == 422 and missing.json()["code"] == "patient_id_required"
    drugs = client.get("/api/v1/renewals/drugs", {"patient_id": cast.patient.pk})
    assert drugs.status_code == 200 and len(drugs.json()["results"]) == 2
    assert reads("prescriptions") == [("infolinia", cast.patient.pk, "api")]
    answer = api_post(client, {"drug_id": cast.renewable_drug.pk, "patient_id": cast.patient.pk})
    assert answer.status_code == 201 and answer.json()["channel"] == "call_centre"


def test_the_api_is_in_the_openapi_document(cast: Cast) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    order = document["paths"]["/api/v1/renewals"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(order["responses"])
    assert "/api/v1/renewals/drugs" in document["paths"]


# --- The call centre and reception ---------------------------------------------------------------------------------


def test_the_patient_page_offers_the_order_only_to_who_may(cast: Cast) -> None:
    link = reverse("staff:renewal_order", args=[cast.patient.pk])
    assert link in cast.client("call_centre").get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    assert (
        link in cast.client("receptionist_here").get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    )
    clinician_page = cast.client("clinician_with").get(reverse("staff:patient", args=[cast.patient.pk]))
    assert clinician_page.status_code == 200 and link not in clinician_page.content.decode()


def test_the_call_centre_orders_and_the_read_is_recorded(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    client = cast.client("call_centre")
    url = reverse("staff:renewal_order", args=[cast.patient.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Metformina" in page.content.decode()
    assert reads("renewals") == [("infolinia", cast.patient.pk, "staff")]
    refused = client.post(url, {"drug": DrugFactory().pk})
    assert refused.status_code == 422 and not RenewalRequest.objects.filter(channel="call_centre").exists()
    assert client.post(url, {"drug": cast.renewable_drug.pk, "note": "Dzwoniła"}).status_code == 302
    ordered = RenewalRequest.objects.get(drug=cast.renewable_drug)
    assert ordered.channel == "call_centre" and ordered.requested_by == cast.user("call_centre")


def test_reception_orders_through_the_desk(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    url = reverse("staff:renewal_order", args=[cast.patient.pk])
    assert cast.client("receptionist_elsewhere").post(url, {"drug": cast.renewable_drug.pk}).status_code == 302
    assert RenewalRequest.objects.get(drug=cast.renewable_drug).channel == "reception"


# --- The clinician's queue -----------------------------------------------------------------------------------------


def test_the_queue_shows_the_request_prefilled_and_records_the_read(cast: Cast) -> None:
    assert cast.renewal is not None
    page = cast.client("clinician_with").get(reverse("staff:renewals"))
    html = page.content.decode()
    assert page.status_code == 200 and f'data-renewal="{cast.renewal.pk}"' in html
    assert 'value="1 tabletka 2 razy dziennie"' in html and cast.patient.full_name in html
    assert reads("renewals") == [("lekarz-kowalski", cast.patient.pk, "staff")]
    other = cast.client("clinician_without").get(reverse("staff:renewals")).content.decode()
    assert f'data-renewal="{cast.renewal.pk}"' not in other


def test_issuing_from_the_queue_makes_one_prescription_and_one_sms(cast: Cast) -> None:
    assert cast.renewal is not None
    client = cast.client("clinician_with")
    url = reverse("staff:renewal_issue", args=[cast.renewal.pk])
    form = {"dose": "1 tabletka wieczorem", "quantity": "3", "reimbursement": "50%"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 422  # decided already: the queue with the error
    cast.renewal.refresh_from_db()
    assert cast.renewal.status == "issued"
    assert Prescription.objects.filter(renewal_request=cast.renewal, quantity=3, reimbursement="50%").count() == 1
    assert OutboundMessage.objects.filter(patient=cast.patient).count() == 1


def test_declining_from_the_queue_needs_a_reason_and_texts_once(cast: Cast) -> None:
    assert cast.renewal is not None
    client = cast.client("clinician_with")
    url = reverse("staff:renewal_decline", args=[cast.renewal.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 422 and not OutboundMessage.objects.exists()
    assert client.post(url, {"reason": "Potrzebna wizyta kontrolna"}).status_code == 302
    assert client.post(url, {"reason": "Jeszcze raz"}).status_code == 422
    assert OutboundMessage.objects.filter(key=f"renewal-declined:renewalrequest:{cast.renewal.pk}").count() == 1
    assert OutboundMessage.objects.count() == 1
    assert cast.client("clinician_without").post(url, {"reason": "x"}).status_code == 404


def test_the_medicines_page_links_to_the_order_for_network_prescriptions_only(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    partner_drug = DrugFactory()
    PrescriptionFactory(patient=cast.patient, drug=partner_drug, facility=cast.partner)
    client = cast.client("patient")
    html = client.get(reverse("portal:prescriptions")).content.decode()
    order = reverse("portal:renewal_order")
    anchor = f"#renew-{cast.patient.pk}-{cast.renewable_drug.pk}"
    assert f'href="{order}"' in html and f'href="{order}{anchor}"' in html
    assert f"#renew-{cast.patient.pk}-{partner_drug.pk}" not in html
    assert f'id="{anchor[1:]}"' in client.get(order).content.decode()


def test_the_menu_leads_clinicians_to_their_renewal_queue(cast: Cast) -> None:
    queue = f'href="{reverse("staff:renewals")}"'
    assert queue in cast.client("clinician_with").get(reverse("staff:dashboard")).content.decode()
    assert queue not in cast.client("call_centre").get(reverse("staff:dashboard")).content.decode()
    assert queue not in cast.client("admin").get(reverse("staff:dashboard")).content.decode()
