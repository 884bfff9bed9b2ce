"""Where a request reads (issue 16): the router follows the one decision the middleware takes, writes and
migrations stay on the primary, and the "wrote at T" marker pins a browser to the primary. With a real replica:
tests/test_replicas.py."""

from __future__ import annotations

import contextvars
import time
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from carenet.core import replicas
from carenet.core.replicas import PRIMARY, ReplicaReadsMiddleware, ReplicaRouter


def in_fresh_context(fn: Any) -> Any:
    return contextvars.copy_context().run(fn)


def test_without_a_decision_every_read_and_write_goes_to_the_primary() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(None) == PRIMARY
    assert router.db_for_write(None) == PRIMARY
    assert replicas.reads_from() == PRIMARY


def test_reads_follow_the_decision_until_the_request_writes() -> None:
    def scenario() -> list[str]:
        router = ReplicaRouter()
        replicas._reads_from.set("replica_1")
        seen = [router.db_for_read(None)]
        with replicas.primary_reads():
            seen.append(router.db_for_read(None))  # authentication state
        seen.append(router.db_for_read(None))
        seen.append(router.db_for_write(None))
        seen.append(router.db_for_read(None))  # the rest of a request that wrote
        return seen

    assert in_fresh_context(scenario) == ["replica_1", PRIMARY, "replica_1", PRIMARY, PRIMARY]


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_reads_inside_a_transaction_on_the_primary_stay_there() -> None:
    def scenario() -> tuple[str, str]:
        router = ReplicaRouter()
        replicas._reads_from.set("replica_1")
        with transaction.atomic():
            inside = router.db_for_read(None)
        return inside, router.db_for_read(None)

    assert in_fresh_context(scenario) == (PRIMARY, "replica_1")


def test_migrations_run_on_the_primary_only() -> None:
    router = ReplicaRouter()
    assert router.allow_migrate("replica_1", "booking") is False
    assert router.allow_migrate("replica_12", "booking") is False
    assert router.allow_migrate(PRIMARY, "booking") is None


def test_replicas_are_taken_in_turn_one_that_is_down_is_skipped_and_none_means_the_primary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "DATABASES", {"default": {}, "replica_2": {}, "replica_1": {}})
    state = {"replica_1": replicas.FRESH, "replica_2": replicas.FRESH}
    monkeypatch.setattr(replicas, "replica_state", lambda alias: state[alias])
    monkeypatch.setattr(replicas, "_down_until", {})
    assert replicas.replica_aliases() == ["replica_1", "replica_2"]
    assert {replicas.replica_choose() for _ in range(4)} == {"replica_1", "replica_2"}
    state["replica_2"] = replicas.DOWN
    assert [replicas.replica_choose() for _ in range(4)] == ["replica_1"] * 4
    assert "replica_2" in replicas._down_until  # not tried again for a few seconds
    state["replica_1"] = replicas.BEHIND  # skipped for this request only
    assert replicas.replica_choose() is None and "replica_1" not in replicas._down_until
    state["replica_1"] = replicas.FRESH
    assert replicas.replica_choose() == "replica_1"
    monkeypatch.setattr(settings, "DATABASES", {"default": {}})
    assert replicas.replica_aliases() == [] and replicas.replica_choose() is None


def middleware_call(request: Any) -> tuple[HttpResponse, str]:
    """The middleware around a view that notes where its reads would go; and that nothing is left for whatever runs
    next in the same thread."""
    seen: list[str] = []

    def get_response(request: Any) -> HttpResponse:
        match = resolve(request.path_info)
        request.resolver_match = match
        middleware.process_view(request, match.func, match.args, match.kwargs)
        seen.append(replicas.reads_from())
        return HttpResponse()

    def call() -> HttpResponse:
        response = middleware(request)
        assert replicas.reads_from() == PRIMARY
        return response

    middleware = ReplicaReadsMiddleware(get_response)
    return in_fresh_context(call), seen[0]


def test_a_request_that_may_write_leaves_the_marker_and_a_read_does_not() -> None:
    factory = RequestFactory()
    response, _ = middleware_call(factory.post("/api/v1/appointments"))
    cookie = response.cookies[replicas.PIN_COOKIE]
    assert cookie["max-age"] == replicas.pin_seconds() and cookie["httponly"] and cookie["samesite"] == "Lax"
    response, _ = middleware_call(factory.get("/api/v1/slots"))
    assert replicas.PIN_COOKIE not in response.cookies


def signed_marker(at: float) -> str:
    response = HttpResponse()
    with mock.patch("time.time", return_value=at):
        response.set_signed_cookie(replicas.PIN_COOKIE, str(int(at)), salt=replicas.PIN_SALT)
    return response.cookies[replicas.PIN_COOKIE].value


def test_the_marker_pins_for_the_pin_seconds_only_and_must_be_signed() -> None:
    factory = RequestFactory()
    fresh = factory.get("/")
    fresh.COOKIES[replicas.PIN_COOKIE] = signed_marker(time.time())
    assert replicas.pinned_to_primary(fresh)
    old = factory.get("/")
    old.COOKIES[replicas.PIN_COOKIE] = signed_marker(time.time() - replicas.pin_seconds() - 1)
    assert not replicas.pinned_to_primary(old)
    forged = factory.get("/")
    forged.COOKIES[replicas.PIN_COOKIE] = str(int(time.time()))
    assert not replicas.pinned_to_primary(forged)


def test_only_the_listed_routes_and_safe_methods_are_considered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replicas, "replica_choose", lambda: "replica_1")
    factory = RequestFactory()
    assert middleware_call(factory.get("/api/v1/slots"))[1] == "replica_1"
    assert middleware_call(factory.head("/api/v1/slots"))[1] == "replica_1"
    assert middleware_call(factory.post("/api/v1/slots"))[1] == PRIMARY
    assert middleware_call(factory.get("/api/v1/appointments"))[1] == PRIMARY  # not a listed route
    pinned = factory.get("/api/v1/slots")
    pinned.COOKIES[replicas.PIN_COOKIE] = signed_marker(time.time())
    assert middleware_call(pinned)[1] == PRIMARY
