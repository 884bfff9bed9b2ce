"""Issue 16 (PERF): on PostgreSQL the server binds the parameters and prepares a statement a connection runs
CARENET_PG_PREPARE_THRESHOLD times, so it is planned once instead of at every request; "off" goes back to
client-side binding. The whole suite runs on PostgreSQL with the default: every query CareNet makes works with
server-side parameters."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from carenet.accounts.models import User
from carenet.accounts.tests.factories import UserFactory
from config.settings import postgresql_options


def test_the_threshold_reads_as_a_number_or_off() -> None:
    assert postgresql_options("5") == {"server_side_binding": True, "prepare_threshold": 5}
    assert postgresql_options(" 0 ") == {"server_side_binding": True, "prepare_threshold": 0}
    assert postgresql_options("OFF") == {}
    for wrong in ("", "-1", "five", "2.5"):
        with pytest.raises(ImproperlyConfigured):
            postgresql_options(wrong)


@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_and_answers_as_before() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    assert settings.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    users = [UserFactory(username=f"prepared.{n}") for n in range(3)]
    connection.ensure_connection()
    answers = [
        User.objects.filter(username=user.username, is_active=True).values_list("pk", flat=True).get()
        for user in users * (threshold + 2)
    ]
    assert answers == [user.pk for user in users] * (threshold + 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT "accounts_user"."id" AS "pk" FROM "accounts_user" WHERE%'],
        )
        assert cursor.fetchone()[0] == 1, "the same statement with new values is one prepared statement"
