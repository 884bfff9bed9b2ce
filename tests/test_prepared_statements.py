"""Issue 16 (PERF): on PostgreSQL a baked statement (carenet/core/baked.py) has the server bind its parameters and is
prepared once a connection has run it CARENET_PG_PREPARE_THRESHOLD times, so the server plans it once instead of at
every request; "off" prepares nothing. Every other statement binds on the client: a statement with more parameters
than a server takes (65,535) still runs, as a reminder run's question about 75,000 keys does."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import User
from carenet.accounts.tests.factories import UserFactory
from carenet.core.baked import BakedQuery
from config.settings import postgresql_options


def test_the_threshold_reads_as_a_number_or_off() -> None:
    assert postgresql_options("5") == {"prepare_threshold": 5}
    assert postgresql_options(" 0 ") == {"prepare_threshold": 0}
    assert postgresql_options("OFF") == {}
    for wrong in ("", "-1", "five", "2.5"):
        with pytest.raises(ImproperlyConfigured):
            postgresql_options(wrong)


def _by_name(_shape: Any, *, name: str) -> QuerySet[User]:
    return User.objects.filter(username=name, is_active=True)[:1]


def _prepared(pattern: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_a_baked_statement_run_often_is_prepared_and_answers_as_the_orm() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    users = [UserFactory(username=f"prepared.{n}") for n in range(3)]
    baked = BakedQuery(User, _by_name)
    for user in users * (threshold + 2):
        with CaptureQueriesContext(connection) as queries:
            found = baked.first(name=user.username)
        assert found is not None and found.pk == user.pk and len(queries) == 1  # counted as any statement
        assert queries.captured_queries[0]["sql"].startswith('SELECT "accounts_user"."id"')  # logged, prepared too
    assert baked.first(name="nobody") is None
    assert _prepared('SELECT "accounts_user"."id"%FROM "accounts_user" WHERE%"username" = $1%') == 1


@pytest.mark.django_db
def test_the_orms_statements_bind_on_the_client_and_take_any_number_of_values() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the server's limit of parameters is PostgreSQL's")
    user = UserFactory(username="many.values")
    names = [f"nobody-{n}" for n in range(70_000)] + [user.username]
    for _ in range(8):
        assert list(User.objects.filter(username__in=names).values_list("pk", flat=True)) == [user.pk]
    assert _prepared('%"accounts_user"."username" IN%') == 0
