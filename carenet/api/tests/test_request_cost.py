"""Issue 16 (PERF): what a search and a booking cost per request, and the coverage matrix kept by every process
under a token — a change of the matrix (the loader, the back office, any save, another process) is seen by the next
request. Transactional tests: every request runs outside a test's transaction, as on a server."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.api.api import FastJSONRenderer
from carenet.api.tests.conftest import World, visit_day
from carenet.api.tests.factories import make_slot
from carenet.core import clock
from carenet.coverage.models import BenefitItem, MatrixVersion, Rule
from carenet.coverage.selectors import MATRIX_VERSION_ROW, matrix_changed

pytestmark = pytest.mark.django_db(transaction=True)


def search(world: World, who: str = "patient_a", **params: object) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = world.client(who).get("/api/v1/slots", {"specialty": "interna", **params})
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in queries.captured_queries]


def statuses(world: World) -> set[str]:
    return {slot["coverage"]["status"] for slot in search(world)[0]["results"]}


@pytest.mark.parametrize("extra_slots", [0, 30])
@pytest.mark.parametrize(("who", "expected"), [("patient_b", 5), ("patient_a", 6)])
def test_a_search_costs_five_queries_whatever_the_page(world: World, extra_slots: int, who: str, expected: int) -> None:
    for i in range(extra_slots):
        make_slot(
            starts_at=clock.at_warsaw(visit_day(), dt.time(12)) + dt.timedelta(minutes=5 * i),
            facility=world.facility if i % 2 else world.other_facility,
            specialty=world.service.specialty,
            services=[world.service],
        )
    search(world, who)  # the token's first use of the day is written down; the matrix is read under its token
    body, statements = search(world, who, page_size=50)
    assert len(body["results"]) == 4 + extra_slots
    # the token with the login, the patient, whether they are a guardian and whether their package is in force
    # (ACC-7; issue 16: one query), the slots, their details with their schedules' service ids, the enrolments with
    # the matrix's token (issue 16: one query), the prices; not the matrix nor the catalogue's services (kept under
    # the matrix's token, issue 16), not the year's use for a service without a limit (PKG-5), and no partners for a
    # search without a city (NET-2). A guardian (patient_a, with a child under 18) costs one more: the family, for
    # the actor.
    assert len(statements) == expected, statements
    assert not any(sql.startswith('SELECT "coverage_matrixversion"') for sql in statements), statements
    assert not any("coverage_benefititem" in sql for sql in statements), statements
    assert not any('FROM "network_service"' in sql for sql in statements), statements
    assert not any("coverage_contract_partner_facilities" in sql for sql in statements), statements
    assert sum("accounts_patient" in sql and "api_accesstoken" not in sql for sql in statements) == expected - 5


def test_acc7_a_package_in_force_only_for_a_child_still_opens_the_app(world: World) -> None:
    """ACC-7 with the package read beside the token (issue 16): the guardian's own package ends, the child's is
    in force — the app stays open (one more query asks the family's packages); with neither, 403."""
    today = clock.today()
    world.patient_a.enrolments.update(paid_through=today - dt.timedelta(days=1))
    body, statements = search(world, "patient_a")
    assert body["results"]
    assert any("coverage_enrolment" in sql and "LIMIT 1" in sql for sql in statements), statements
    world.child_a.enrolments.update(paid_through=today - dt.timedelta(days=1))
    response = world.client("patient_a").get("/api/v1/slots", {"specialty": "interna"})
    assert response.status_code == 403
    assert response.json()["code"] == "package_inactive"
    response = world.client("patient_b").get("/api/v1/slots", {"specialty": "interna"})
    assert response.status_code == 200  # another patient's package is theirs alone


def test_acc7_a_childless_patient_without_a_package_is_refused(world: World) -> None:
    world.patient_b.enrolments.update(paid_through=clock.today() - dt.timedelta(days=1))
    response = world.client("patient_b").get("/api/v1/slots", {"specialty": "interna"})
    assert response.status_code == 403
    assert response.json()["code"] == "package_inactive"


def test_a_search_in_a_city_reads_the_contracts_partners(world: World) -> None:
    search(world)
    _body, statements = search(world, city_id=world.facility.city_id)
    # PKG-2 and NET-2 in one statement: the city's partners, narrowed by a subquery of the patient's contracts
    partners = [sql for sql in statements if "coverage_contract_partner_facilities" in sql]
    assert len(partners) == 1, statements
    assert '"network_facility"' in partners[0] and "coverage_enrolment" in partners[0], partners
    _body, nationwide = search(world)
    assert len(statements) == len(nationwide) + 1, (statements, nationwide)


def test_a_booking_costs_the_same_queries_as_the_one_before(world: World) -> None:
    client = world.client("patient_a")
    counts = []
    for slot in world.slots[2:5]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/appointments", json.dumps({"slot_id": slot.pk}), content_type="application/json"
            )
        assert response.status_code == 201, response.content
        counts.append(len(queries.captured_queries))
    # the second and third bookings: the token's use is written down at most once per 5 minutes, the matrix is kept
    # (the matrix's token replaces the read of the pregnancy services, now kept with the matrix); the token, the
    # login, the patient and their package in force in one query; the confirmation SMS's outbox row in one
    # statement, without a savepoint pair of its own (issue 16)
    assert counts[1] == counts[2] == 16, counts  # patient_a is a guardian: the family read for the actor
    assert counts[0] <= 17, counts


def test_a_matrix_change_by_another_process_is_seen_by_the_next_request(world: World) -> None:
    assert statuses(world) == {"covered"}
    # Another process changes the matrix: its rows, then the token (what matrix_changed writes there).
    BenefitItem.objects.filter(benefit__code="interna").update(rule=Rule.DISCOUNT, discount_percent=20)
    assert statuses(world) == {"covered"}  # this process still holds the matrix read under the old token
    MatrixVersion.objects.update_or_create(pk=MATRIX_VERSION_ROW, defaults={"token": 424242})
    assert statuses(world) == {"discounted"}


def test_a_matrix_change_in_this_process_is_seen_by_the_next_request(world: World) -> None:
    assert statuses(world) == {"covered"}
    item = BenefitItem.objects.get(benefit__code="interna")
    item.rule, item.discount_percent = Rule.DISCOUNT, 30
    item.save()  # any save of the matrix gives it a new token
    assert statuses(world) == {"discounted"}
    BenefitItem.objects.filter(pk=item.pk).update(rule=Rule.COVERED, discount_percent=None)
    matrix_changed()  # what the loader (load_matrix) and the back office call after a bulk change
    assert statuses(world) == {"covered"}


def test_the_fast_renderer_writes_the_json_ninjas_renderer_writes() -> None:
    from ninja.renderers import JSONRenderer

    data = {
        "at": dt.datetime(2026, 3, 2, 8, 15, 30, 123456, tzinfo=dt.UTC),
        "day": dt.date(2026, 3, 2),
        "price": Decimal("180.00"),
        "name": "Łódź, ul. Piotrkowska",
        "none": None,
        "list": [1, 2.5, True],
    }
    fast = FastJSONRenderer().render(None, data, response_status=200)  # type: ignore[arg-type]
    ninja = JSONRenderer().render(None, data, response_status=200)  # type: ignore[arg-type]
    assert json.loads(fast) == json.loads(ninja)
    assert json.loads(fast)["at"] == "2026-03-02T08:15:30.123Z"
