"""Whom a patient's login acts for (SPEC "People and roles", SEC): the family read behind every request of a
guardian is baked (issue 16) and answers what the ORM answers, day by day, in one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import User
from carenet.accounts.selectors import _FAMILY, _family_query, actor_for_user
from carenet.accounts.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 5)


def test_a_guardians_family_is_read_in_one_baked_statement_and_a_child_turning_18_drops_out() -> None:
    guardian = PatientFactory()
    small = PatientFactory(child=True, guardian=guardian, birth_date=dt.date(2019, 3, 1))
    turning = PatientFactory(child=True, guardian=guardian, birth_date=dt.date(2008, 12, 6))  # 18 on 6 Dec 2026
    PatientFactory(child=True, guardian=guardian, birth_date=dt.date(2000, 1, 1))  # an adult child: not acted for
    other = PatientFactory()
    theirs = PatientFactory(child=True, guardian=other, birth_date=dt.date(2020, 1, 1))  # somebody else's child

    for day, children in ((DAY, {small.pk, turning.pk}), (DAY + dt.timedelta(days=1), {small.pk})):
        user = User.objects.get(pk=guardian.user_id)  # a new request: nothing kept on the login yet
        with CaptureQueriesContext(connection) as captured:
            actor = actor_for_user(user, today=day)
        assert len(captured) == 1, [q["sql"] for q in captured]
        assert (actor.patient_id, actor.children_ids) == (guardian.pk, frozenset(children))
        assert _FAMILY._plans[("default", day)] is not None  # baked, not run through the ORM
        baked = sorted(p.pk for p in _FAMILY.all(shape=day, user_id=guardian.user_id))
        assert baked == sorted(p.pk for p in _family_query(day, user_id=guardian.user_id))
        assert baked == sorted({guardian.pk, *children})

    alone = User.objects.get(pk=other.user_id)
    assert actor_for_user(alone, today=DAY).children_ids == {theirs.pk}  # the same statement, another login
