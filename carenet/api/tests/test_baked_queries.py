"""Baked queries (carenet/core/baked.py, issue 16), tried on the API's own models: a statement compiled once and
run with new values gives exactly what the ORM gives — instances, related objects, annotations, converted types —
and a query whose shape depends on its values is not baked, only run through the ORM as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.api.auth import _LIVE_TOKEN, _live_token_query, token_find, token_hash, token_issue, token_revoke
from carenet.core import clock
from carenet.core.baked import MAX_BAKED_VALUES, BakedQuery, id_values, ids_of

pytestmark = pytest.mark.django_db


def users_joined_before(_shape: Any, *, name: str, before: dt.datetime) -> QuerySet[User]:
    return (
        User.objects.select_related("patient")
        .annotate(has_patient=Exists(Patient.objects.filter(user_id=OuterRef("pk"))))
        .filter(username=name, date_joined__lt=before, is_active=True)
        .order_by("pk")
    )


def test_a_baked_query_answers_what_the_orm_answers_with_one_statement() -> None:
    anna = PatientFactory(first_name="Anna").user
    UserFactory(username="staff-1")
    baked = BakedQuery(User, users_joined_before)
    later = clock.now() + dt.timedelta(minutes=1)
    for name, before in [
        (anna.username, later),
        ("staff-1", later),
        (anna.username, clock.now() - dt.timedelta(days=1)),
    ]:
        orm = list(users_joined_before(None, name=name, before=before))
        with CaptureQueriesContext(connection) as queries:
            got = baked.all(name=name, before=before)
        assert len(queries) == 1
        assert [(u.pk, u.username, u.date_joined, u.has_patient) for u in got] == [  # type: ignore[attr-defined]
            (u.pk, u.username, u.date_joined, u.has_patient)
            for u in orm  # type: ignore[attr-defined]
        ]
        for mine, theirs in zip(got, orm, strict=True):
            assert getattr(mine, "patient", None) == getattr(theirs, "patient", None)  # select_related kept
            assert isinstance(mine.date_joined, dt.datetime) and mine.date_joined.tzinfo is not None
    assert baked._plans[("default", None)] is not None  # it was baked, not run through the ORM each time


def test_a_query_shaped_by_its_values_is_not_baked_and_still_answers_right() -> None:
    PatientFactory(first_name="Anna", user__username="anna-b")
    UserFactory(username="bartek-b")

    def shaped(_shape: Any, *, name: str) -> QuerySet[User]:
        users = User.objects.order_by("pk")
        return users.filter(username=name) if name == "anna-b" else users.filter(username__startswith=name)

    baked = BakedQuery(User, shaped)
    assert [u.username for u in baked.all(name="anna-b")] == ["anna-b"]
    assert baked._plans[("default", None)] is None  # "anna-b~" took the other filter: the SQL differed
    assert [u.username for u in baked.all(name="bartek")] == ["bartek-b"]

    def transformed(_shape: Any, *, name: str) -> QuerySet[User]:
        return User.objects.filter(username__startswith=name).order_by("pk")

    baked = BakedQuery(User, transformed)
    assert [u.username for u in baked.all(name="bart")] == ["bartek-b"]
    assert baked._plans[("default", None)] is None  # the value reached the database as "bart%": not baked
    assert [u.username for u in baked.all(name="anna")] == ["anna-b"]


def test_the_api_token_lookup_is_baked_and_refuses_what_it_refused() -> None:
    """Issue 16: the bearer token's statement is compiled once a day; a revoked, expired or unknown token is still
    refused, a password reset (ACC-6) still locks the app out, and the annotations the actor needs are right."""
    now = clock.now()
    guardian = PatientFactory()
    PatientFactory(user=None, guardian=guardian, birth_date=clock.today() - dt.timedelta(days=365 * 5))
    alone = PatientFactory()
    tokens = {
        who: token_issue(user=patient.user, name="app", now=now) for who, patient in [("g", guardian), ("a", alone)]
    }
    found = token_find(tokens["g"][0], now=now)
    assert found is not None and found.user.patient == guardian
    assert found.has_minors is True  # type: ignore[attr-defined]
    found = token_find(tokens["a"][0], now=now)
    assert found is not None and found.has_minors is False  # type: ignore[attr-defined]
    assert _LIVE_TOKEN._plans[("default", clock.local(now).date())] is not None
    for token, _record in tokens.values():  # the baked answer is the ORM's, field by field
        orm = _live_token_query(clock.local(now).date(), key_hash=token_hash(token), now=now).first()
        baked = token_find(token, now=now)
        assert orm is not None and baked is not None
        assert (baked.pk, baked.user_id, baked.expires_at, baked.user.patient.pk, baked.package_in_force) == (  # type: ignore[attr-defined]
            orm.pk,
            orm.user_id,
            orm.expires_at,
            orm.user.patient.pk,
            orm.package_in_force,  # type: ignore[attr-defined]
        )
    assert token_find("no-such-token", now=now) is None
    assert token_find(tokens["a"][0], now=tokens["a"][1].expires_at) is None  # expired
    token_revoke(record=tokens["a"][1], now=now)
    assert token_find(tokens["a"][0], now=now) is None
    User.objects.filter(pk=guardian.user_id).update(must_change_password=True)
    assert token_find(tokens["g"][0], now=now) is None


def test_a_baked_values_list_answers_the_orms_tuples_and_equal_values_stay_apart() -> None:
    """``rows()``: a ``values_list()`` query's tuples, converted as the ORM converts them; two values equal when the
    statement is compiled (a name and a second name alike) still go each to its own place afterwards. A flat list
    is left to the ORM."""
    anna = PatientFactory(first_name="Anna").user
    UserFactory(username="staff-2")

    def names(_shape: Any, *, first: str, second: str, before: dt.datetime) -> QuerySet[User, tuple[Any, ...]]:
        return (
            User.objects.filter(Q(username=first) | Q(username=second), date_joined__lt=before)
            .order_by("pk")
            .values_list("pk", "username", "date_joined")
        )

    baked = BakedQuery(User, names)
    later = clock.now() + dt.timedelta(minutes=1)
    assert baked.rows(first=anna.username, second=anna.username, before=later) == list(
        names(None, first=anna.username, second=anna.username, before=later)
    )
    assert baked._plans[("default", None)] is not None
    for first, second in [(anna.username, "staff-2"), ("staff-2", "nobody"), ("nobody", anna.username)]:
        got = baked.rows(first=first, second=second, before=later)
        assert got == list(names(None, first=first, second=second, before=later))
        assert all(isinstance(row, tuple) and row[2].tzinfo is not None for row in got)
    assert [row[1] for row in baked.rows(first=anna.username, second="staff-2", before=later)] == [
        anna.username,
        "staff-2",
    ]

    flat = BakedQuery(User, lambda _shape, *, name: User.objects.filter(username=name).values_list("pk", flat=True))
    assert flat.rows(name="staff-2") == [User.objects.get(username="staff-2").pk]
    assert flat._plans[("default", None)] is None  # flat values are the ORM's to shape


def test_rows_of_a_values_query_with_dates_and_equal_values_are_the_orms() -> None:
    """Issue 16: a ``values_list()`` query bakes too (its rows are the ORM's tuples, converted the same way), a date
    is a value like any other, and two values equal in the first run (an id that happens to equal another) are still
    told apart."""
    anna = PatientFactory(first_name="Anna")
    bartek = PatientFactory(first_name="Bartek")

    def born(_shape: Any, *, first: int, second: int, on_or_before: dt.date) -> QuerySet[Patient, Any]:
        return (
            Patient.objects.filter(Q(pk=first) | Q(pk=second), birth_date__lte=on_or_before)
            .order_by("pk")
            .values_list("pk", "first_name", "birth_date")
        )

    baked = BakedQuery(Patient, born)
    latest = max(anna.birth_date, bartek.birth_date)
    for first, second, day in [
        (anna.pk, anna.pk, latest),
        (anna.pk, bartek.pk, latest),
        (bartek.pk, anna.pk, min(anna.birth_date, bartek.birth_date)),
        (anna.pk, bartek.pk, latest - dt.timedelta(days=36500)),
    ]:
        orm = list(born(None, first=first, second=second, on_or_before=day))
        with CaptureQueriesContext(connection) as queries:
            got = baked.rows(first=first, second=second, on_or_before=day)
        assert got == orm and len(queries) == 1
        assert all(isinstance(row[2], dt.date) for row in got)
    assert baked._plans[("default", None)] is not None

    def flat(_shape: Any, *, name: str) -> QuerySet[Patient, Any]:
        return Patient.objects.filter(first_name=name).values_list("pk", flat=True)

    not_tuples = BakedQuery(Patient, flat)
    assert not_tuples.all(name="Anna") == [anna.pk]  # type: ignore[comparison-overlap]
    assert not_tuples._plans[("default", None)] is None  # a flat list is not what rows() reads: the ORM answers


def users_by_ids(size: int, **ids: int) -> QuerySet[User]:
    return User.objects.filter(pk__in=ids_of(size, ids)).order_by("pk")


@pytest.mark.parametrize("count", [3, MAX_BAKED_VALUES, MAX_BAKED_VALUES + 1, 700])
def test_a_long_list_of_ids_runs_through_the_orm_and_answers_the_same(count: int) -> None:
    """Issue 16: a call with more than MAX_BAKED_VALUES values (a visit list of hundreds of ids) is not baked —
    checking its shape compared every parameter with every value (minutes for thousands of ids) and a server takes
    at most 65,535 bound parameters — it runs through the ORM, in one statement, with the same answer."""
    users = UserFactory.create_batch(3)
    wanted = [user.pk for user in users] + [10**9 + n for n in range(count - 3)]  # ids no row has fill the list
    baked = BakedQuery(User, users_by_ids)
    size, values = id_values(wanted)
    assert size >= count and (size == count or count <= MAX_BAKED_VALUES)  # padded to a power of two up to the cap
    with CaptureQueriesContext(connection) as queries:
        got = baked.all(shape=size, **values)
    assert len(queries) == 1
    assert [user.pk for user in got] == sorted(user.pk for user in users)
    assert (baked._plans.get(("default", size)) is not None) is (count <= MAX_BAKED_VALUES)


def users_per_flag(_shape: Any, *, since: dt.datetime) -> QuerySet[User, Any]:
    # Counted and latest per flag, the count first: annotations among the answer's columns, in the order asked.
    return (
        User.objects.filter(date_joined__gte=since)
        .values("is_staff")
        .annotate(joined=Count("id"), latest=Max("date_joined"))
        .order_by("is_staff")
        .values_list("joined", "is_staff", "latest")
    )


def test_a_values_list_with_counts_answers_the_orms_rows_in_the_order_asked() -> None:
    """Issue 16: a grouped ``values_list()`` whose answer holds annotations (a count, a latest date) is baked and
    gives the ORM's tuples, column for column; one with extra ordering columns the ORM trims is not baked."""
    for n in range(3):
        UserFactory(username=f"counted-{n}", is_staff=n == 0)
    baked = BakedQuery(User, users_per_flag)
    for since in (clock.now() - dt.timedelta(days=1), clock.now() + dt.timedelta(days=1)):
        orm = list(users_per_flag(None, since=since))
        got = baked.rows(since=since)
        assert got == orm
        assert all(isinstance(row[0], int) and isinstance(row[2], dt.datetime) for row in got)
    assert [row[:2] for row in baked.rows(since=clock.now() - dt.timedelta(days=1))] == [(2, False), (1, True)]
    assert baked._plans[("default", None)] is not None

    def distinct_ordered(_shape: Any, *, since: dt.datetime) -> QuerySet[User, Any]:
        return User.objects.filter(date_joined__gte=since).order_by("-date_joined").values_list("username").distinct()

    trimmed = BakedQuery(User, distinct_ordered)
    since = clock.now() - dt.timedelta(days=1)
    assert sorted(trimmed.rows(since=since)) == sorted(distinct_ordered(None, since=since))
    assert trimmed._plans[("default", None)] is None  # run through the ORM, which trims the ordering's column
