"""Schema fuzzing (issue 10, SEC): schemathesis generates requests from ``/api/v1/openapi.json`` — valid ones and
deliberately invalid ones — for every operation, as patient A of the API tests' world (a booked visit, a hold, an
E-Karta, free slots), and every answer must be what the document says: no server error, a documented status, JSON
matching the documented schema, and invalid input refused with a 4xx.

schemathesis is driven through its Python API inside one test (``from_wsgi`` against the project's WSGI
application, hypothesis's ``given`` per operation): its pytest fixture integration (``from_fixture``) does not work
with pytest 9.2. Bounded by ``CARENET_FUZZ_EXAMPLES`` examples per operation and mode (default 50: about a minute
on 2 cores); marked slow, so ``make test`` runs it and ``make test-fast`` does not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from carenet.api.auth import token_issue
from carenet.api.tests.conftest import World, visit_day
from carenet.core import clock

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CARENET_FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def fuzz(operation: Any, mode: GenerationMode, headers: Callable[[], dict[str, str]], statuses: set[int]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: a failure in CI is a failure on a laptop
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.headers = {**headers(), **(case.headers or {})}  # a generated Authorization (negative) is kept
        response = case.call()
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.fixture
def _connection_kept_between_requests() -> Iterator[None]:
    """As Django's test client does: a request's end must not close the test's database connection (on PostgreSQL
    that ends the test's transaction and its data with it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_connection_kept_between_requests")
def test_every_generated_request_is_answered_as_the_document_says(world: World) -> None:
    # The WSGI application itself: config.wsgi would also run the production start checks, which the test
    # settings (debug off under pytest, development doors on) are not meant to pass.
    application = get_wsgi_application()

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    patient = world.users["patient_a"]

    def token() -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens['patient_a']}"}

    def fresh_token() -> dict[str, str]:  # DELETE /auth/token revokes the token it is sent with
        return {"Authorization": f"Bearer {token_issue(user=patient, name='fuzz', now=clock.now())[0]}"}

    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    by_label = {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in schema.get_all_operations())}
    # First the requests a patient really sends, with the world's ids (generated ids rarely name a real visit).
    assert world.booked is not None and world.held is not None
    known: list[tuple[str, dict[str, Any]]] = [
        ("GET /api/v1/slots", {"query": {"specialty": "interna", "date_from": visit_day().isoformat()}}),
        ("GET /api/v1/appointments", {"query": {"upcoming": "true"}}),
        ("GET /api/v1/appointments/{appointment_id}", {"path_parameters": {"appointment_id": world.booked.pk}}),
        ("POST /api/v1/appointments", {"body": {"slot_id": world.slots[3].pk}}),
        (
            "POST /api/v1/appointments/{appointment_id}/confirm",
            {"path_parameters": {"appointment_id": world.held.pk}, "body": {}},
        ),
        ("POST /api/v1/appointments/{appointment_id}/cancel", {"path_parameters": {"appointment_id": world.booked.pk}}),
    ]
    for label, parts in known:
        case = by_label[label].Case(headers=token(), **parts)
        response = case.call()
        answered.setdefault(label, set()).add(response.status_code)
        case.validate_response(response, checks=CHECKS)
    assert len(by_label) >= 10
    for operation in by_label.values():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                revokes = operation.method.upper() == "DELETE" and operation.path.endswith("/auth/token")
                statuses = answered.setdefault(f"{operation.method.upper()} {operation.path}", set())
                fuzz(operation, mode, fresh_token if revokes else token, statuses)
            except Unsatisfiable:  # no invalid request exists (an operation without parameters or body)
                assert mode is GenerationMode.NEGATIVE
            except Exception as error:  # noqa: BLE001 - every operation's failure is collected and reported
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {error}")
    assert not failures, "\n\n".join(failures)
    # The run reached past authentication: the patient's reads and writes were answered, not only refused.
    assert {200} <= answered["GET /api/v1/slots"] and {200} <= answered["GET /api/v1/appointments/{appointment_id}"]
    assert {201} <= answered["POST /api/v1/appointments"] and {200} <= answered[
        "POST /api/v1/appointments/{appointment_id}/cancel"
    ]
