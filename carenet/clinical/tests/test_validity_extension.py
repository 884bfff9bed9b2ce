"""CLN-1: an administrator extends, in one step, the validity of every referral issued in a window of dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import User
from carenet.accounts.permissions import Actor
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import UserFactory
from carenet.clinical.models import Referral, ReferralValidityExtension
from carenet.clinical.services import referral_validity_extend
from carenet.clinical.tests.factories import NetworkReferralFactory
from carenet.core.clock import at_warsaw
from carenet.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db
NOW = at_warsaw(dt.date(2026, 5, 4), dt.time(10))
FROM, UNTIL = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def _admin() -> tuple[User, Actor]:
    user = UserFactory(username="administrator", role=User.Role.ADMIN)
    return user, actor_for_user(user)


def _issued(day: dt.date, time: dt.time, **fields: object) -> Referral:
    fields.setdefault("valid_until", day + dt.timedelta(days=90))
    referral: Referral = NetworkReferralFactory(issued_at=at_warsaw(day, time), **fields)
    return referral


def _extend(actor: Actor, **overrides: object) -> ReferralValidityExtension:
    arguments: dict[str, object] = {
        "actor": actor,
        "issued_from": FROM,
        "issued_until": UNTIL,
        "months": 6,
        "reason": "Epidemia: przedłużenie ważności skierowań",
        "now": NOW,
    }
    arguments.update(overrides)
    return referral_validity_extend(**arguments)  # type: ignore[arg-type]


def test_only_current_network_referrals_issued_in_the_window_are_extended_and_the_extension_is_recorded() -> None:
    user, actor = _admin()
    first_minute = _issued(FROM, dt.time(0, 0), valid_until=dt.date(2026, 5, 31))
    last_minute = _issued(UNTIL, dt.time(23, 59), valid_until=dt.date(2026, 8, 31))
    before = _issued(FROM - dt.timedelta(days=1), dt.time(23, 59))  # 22:59 UTC on 28 February: outside
    after = _issued(UNTIL + dt.timedelta(days=1), dt.time(0, 0))
    corrected = _issued(dt.date(2026, 3, 10), dt.time(9))
    correction = _issued(
        dt.date(2026, 3, 11),
        dt.time(9),
        patient=corrected.patient,
        issued_by=corrected.issued_by,
        supersedes=corrected,
        valid_until=dt.date(2026, 6, 11),
    )
    employer = _issued(
        dt.date(2026, 3, 15),
        dt.time(9),
        source=Referral.Source.EMPLOYER,
        issued_by=None,
        employer_name="ACME",
        employer_referral_number="7/2026",
    )
    untouched = {r.pk: r.valid_until for r in (before, after, corrected, employer)}

    extension = _extend(actor)

    extension.refresh_from_db()
    assert (extension.extended_by, extension.extended_at, extension.referral_count) == (user, NOW, 3)
    assert (extension.months, extension.issued_from, extension.issued_until) == (6, FROM, UNTIL)
    values = dict(Referral.objects.values_list("pk", "valid_until"))
    assert values[first_minute.pk] == dt.date(2026, 11, 30)
    assert values[last_minute.pk] == dt.date(2027, 2, 28)  # 31 August + 6 months: the last day of February
    assert values[correction.pk] == dt.date(2026, 12, 11)
    assert {pk: values[pk] for pk in untouched} == untouched
    assert set(Referral.objects.filter(extended_by=extension).values_list("pk", flat=True)) == {
        first_minute.pk,
        last_minute.pk,
        correction.pk,
    }


@pytest.mark.parametrize(
    ("valid_until", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2027, 11, 30), 3, dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 15), 12, dt.date(2027, 12, 15)),
        (dt.date(2026, 5, 31), 4, dt.date(2026, 9, 30)),
    ],
)
def test_months_are_added_in_the_database_as_in_the_rules(valid_until: dt.date, months: int, expected: dt.date) -> None:
    from carenet.clinical.policies import add_months

    _, actor = _admin()
    referral = _issued(dt.date(2026, 3, 5), dt.time(12), valid_until=valid_until)
    _extend(actor, months=months)
    referral.refresh_from_db()
    assert referral.valid_until == expected == add_months(valid_until, months)


def test_the_extension_is_one_update_whatever_the_number_of_referrals() -> None:
    _, actor = _admin()
    _issued(dt.date(2026, 3, 5), dt.time(12))
    with CaptureQueriesContext(connection) as few:
        _extend(actor)
    for day in range(1, 29):
        _issued(dt.date(2026, 3, day), dt.time(12))
    with CaptureQueriesContext(connection) as many:
        last = _extend(actor)
    assert last.referral_count == 29
    assert len(many.captured_queries) == len(few.captured_queries)
    assert sum(q["sql"].startswith('UPDATE "clinical_referral" ') for q in many.captured_queries) == 1


@pytest.mark.parametrize("role", [User.Role.COORDINATOR, User.Role.CALL_CENTRE, User.Role.PATIENT])
def test_anyone_but_an_administrator_is_refused_and_nothing_changes(role: str) -> None:
    referral = _issued(dt.date(2026, 3, 5), dt.time(12))
    user = UserFactory(username=f"someone-{role}", role=role)
    with pytest.raises(PermissionDenied):
        _extend(actor_for_user(user))
    assert not ReferralValidityExtension.objects.exists()
    assert Referral.objects.get().valid_until == referral.valid_until


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"issued_from": UNTIL, "issued_until": FROM}, "extension_window_order"),
        ({"issued_from": dt.date(2024, 3, 1), "issued_until": dt.date(2026, 3, 31)}, "extension_window_too_long"),
        ({"months": 0}, "extension_months"),
        ({"months": 13}, "extension_months"),
        ({"reason": "   "}, "extension_reason"),
        ({"reason": "x" * 301}, "extension_reason"),
        ({"reason": "epidemia\x00"}, "invalid_text"),
        ({"issued_until": dt.date(9999, 12, 31)}, "invalid_date"),
    ],
)
def test_a_bad_extension_is_refused_and_changes_nothing(overrides: dict[str, object], code: str) -> None:
    _, actor = _admin()
    referral = _issued(dt.date(2026, 3, 5), dt.time(12))
    with pytest.raises(ValidationFailed) as refused:
        _extend(actor, **overrides)
    assert refused.value.code == code
    assert not ReferralValidityExtension.objects.exists()
    assert Referral.objects.get().valid_until == referral.valid_until
