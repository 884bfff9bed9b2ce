"""CLN-1: the back-office page that extends referrals issued in a window — a form, a preview of how many it will
change, a confirmation — only for the permission table's REFERRAL_VALIDITY_EXTEND (administrators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from carenet.clinical.models import Referral, ReferralValidityExtension
from carenet.clinical.tests.factories import NetworkReferralFactory
from carenet.core.clock import at_warsaw

pytestmark = pytest.mark.django_db
URL = "admin:clinical_referralvalidityextension_extend"
FORM = {"issued_from": "2026-03-01", "issued_until": "2026-03-31", "months": "6", "reason": "Epidemia"}


def _referrals() -> list[Referral]:
    inside = [
        NetworkReferralFactory(issued_at=at_warsaw(dt.date(2026, 3, day), dt.time(9)), valid_until=dt.date(2026, 6, 1))
        for day in (1, 15, 31)
    ]
    NetworkReferralFactory(issued_at=at_warsaw(dt.date(2026, 4, 1), dt.time(9)), valid_until=dt.date(2026, 7, 1))
    return inside


def test_an_administrator_previews_then_confirms(cast: Any) -> None:
    inside = _referrals()
    client = cast.client("admin")
    changelist = client.get(reverse("admin:clinical_referralvalidityextension_changelist"))
    assert reverse(URL) in changelist.content.decode()
    form = client.get(reverse(URL))
    assert form.status_code == 200
    assert 'type="date"' in form.content.decode()

    preview = client.post(reverse(URL), {**FORM, "preview": "1"})
    assert preview.status_code == 200 and preview.context["preview"] == 3
    assert 'name="confirm"' in preview.content.decode()
    assert not ReferralValidityExtension.objects.exists()

    done = client.post(reverse(URL), {**FORM, "confirm": "1"})
    assert done.status_code == 302
    extension = ReferralValidityExtension.objects.get()
    assert (extension.referral_count, extension.extended_by, extension.reason) == (3, cast.user("admin"), "Epidemia")
    assert {r.valid_until for r in Referral.objects.filter(pk__in=[r.pk for r in inside])} == {dt.date(2026, 12, 1)}


@pytest.mark.parametrize(
    "changes",
    [
        {"issued_until": "9999-12-31"},
        {"issued_from": "2020-01-01"},
        {"months": "13"},
        {"months": "x"},
        {"reason": ""},
        {"reason": "a\x00b"},
    ],
)
def test_a_bad_form_is_shown_again_and_changes_nothing(cast: Any, changes: dict[str, str]) -> None:
    _referrals()
    client = cast.client("admin")
    for step in ("preview", "confirm"):
        answer = client.post(reverse(URL), {**FORM, **changes, step: "1"})
        assert answer.status_code == 200
        assert answer.context["preview"] is None
        assert not answer.context["form"].is_valid() or answer.context["form"].non_field_errors()
    assert not ReferralValidityExtension.objects.exists()
    assert not Referral.objects.filter(extended_by__isnull=False).exists()


@pytest.mark.parametrize(
    "role", ["coordinator", "receptionist_here", "clinician_with", "call_centre", "patient", "anonymous"]
)
def test_anyone_else_is_refused_and_nothing_changes(cast: Any, role: str) -> None:
    _referrals()
    client = cast.client(role)
    for answer in (client.get(reverse(URL)), client.post(reverse(URL), {**FORM, "confirm": "1"})):
        assert answer.status_code in {302, 403}
        if answer.status_code == 302:
            assert "/login/" in answer["Location"]
    assert not ReferralValidityExtension.objects.exists()
