"""Applying a roster upload (PKG-3, PKG-8): valid lines stored in one transaction, enrolments following the roster,
the activation e-mail once, leavers kept, another contract untouched, and no per-line queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import User
from carenet.accounts.permissions import Actor
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core.errors import Conflict, NotFound, ValidationFailed
from carenet.coverage.models import Contract, Enrolment, RosterEntry, RosterUpload, Tier
from carenet.coverage.selectors import enrolment_active_on
from carenet.coverage.services import ACTIVATION_EMAIL_PURPOSE, roster_upload_apply, roster_upload_check
from carenet.coverage.tests.factories import ContractFactory, EnrolmentFactory, TierFactory
from carenet.coverage.tests.test_roster import ANNA, HEADER, JAN, ZOSIA, pesel_for
from carenet.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def december_fifth() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def tier() -> Tier:
    return TierFactory(code="standardowy", name="Pakiet Standardowy")


@pytest.fixture
def contract(tier: Tier) -> Contract:
    contract = ContractFactory(name="Program medyczny Kowalski Logistyka")
    contract.tiers.add(tier)
    return contract


def contact_of(contract: Contract) -> tuple[User, Actor]:
    user = UserFactory(role=User.Role.EMPLOYER_CONTACT, contract=contract, is_staff=True)
    return user, actor_for_user(user)


def upload(contract: Contract, text: str, *, mode: str = "changes") -> tuple[Actor, RosterUpload]:
    user, actor = contact_of(contract)
    kept, _report = roster_upload_check(
        actor=actor, user=user, contract=contract, raw=text.encode(), file_name="lista.csv", mode=mode
    )
    return actor, kept


def line(first: str, last: str, pesel: str, start: str = "2026-01-01", end: str = "2026-12-31", **extra: str) -> str:
    mobile = extra.get("mobile", "" if extra.get("holder") else "601234567")
    return (
        f"{first};{last};{pesel};standardowy;{start};{end};{mobile};{extra.get('email', '')};{extra.get('holder', '')}"
    )


def test_checking_a_file_stores_nothing_on_the_roster(contract: Contract) -> None:
    _actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n{line('Jan', 'X', '123')}\n")
    assert (kept.lines_total, kept.lines_invalid, kept.applied_at) == (2, 1, None)
    assert not RosterEntry.objects.exists()


def test_applying_stores_the_valid_lines_only_and_enrols_known_patients_with_one_email(contract: Contract) -> None:
    anna = PatientFactory(pesel=ANNA, first_name="Anna", email="anna@example.com")
    actor, kept = upload(
        contract,
        f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n{line('Jan', 'Kowalski', JAN)}\n"
        f"{line('Zosia', 'Nowak', ZOSIA, holder=ANNA)}\n{line('Zły', 'Wiersz', ANNA[:-1] + '0')}\n",
    )
    applied = roster_upload_apply(actor=actor, upload_id=kept.pk)

    assert (applied.added, applied.enrolled, applied.skipped) == (3, 1, 1)
    assert set(RosterEntry.objects.values_list("pesel", flat=True)) == {ANNA, JAN, ZOSIA}
    enrolment = Enrolment.objects.get(patient=anna)
    assert enrolment.roster_entry is not None and enrolment.roster_entry.pesel == ANNA
    assert (enrolment.activated_on, enrolment.paid_through) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    (email,) = OutboundMessage.objects.filter(purpose=ACTIVATION_EMAIL_PURPOSE)
    assert email.channel == "email" and email.recipient == "anna@example.com"
    assert "01.01.2026" in email.subject and "31.12.2026" in email.body
    kept.refresh_from_db()
    assert kept.applied_at is not None and kept.added == 3


def test_an_upload_is_applied_once_and_the_same_file_again_sends_no_second_email(contract: Contract) -> None:
    PatientFactory(pesel=ANNA, email="anna@example.com")
    text = f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n"
    actor, kept = upload(contract, text)
    roster_upload_apply(actor=actor, upload_id=kept.pk)
    with pytest.raises(Conflict):
        roster_upload_apply(actor=actor, upload_id=kept.pk)
    actor, again = upload(contract, text)
    applied = roster_upload_apply(actor=actor, upload_id=again.pk)
    assert (applied.added, applied.changed, applied.enrolled) == (0, 0, 0)
    assert Enrolment.objects.count() == 1
    assert OutboundMessage.objects.filter(purpose=ACTIVATION_EMAIL_PURPOSE).count() == 1


def test_an_earlier_paid_through_ends_the_entitlement_after_that_day(contract: Contract) -> None:
    anna = PatientFactory(pesel=ANNA)
    actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n")
    roster_upload_apply(actor=actor, upload_id=kept.pk)
    actor, shorter = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA, end='2026-12-10')}\n")
    applied = roster_upload_apply(actor=actor, upload_id=shorter.pk)
    assert (applied.changed, applied.enrolments_changed) == (1, 1)
    assert Enrolment.objects.get(patient=anna).paid_through == dt.date(2026, 12, 10)
    assert enrolment_active_on(patient=anna, day=dt.date(2026, 12, 10)) is not None
    assert enrolment_active_on(patient=anna, day=dt.date(2026, 12, 11)) is None


def test_a_full_upload_lets_the_missing_leave_without_deleting_anything(contract: Contract) -> None:
    jan = PatientFactory(pesel=JAN)
    actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n{line('Jan', 'Kowalski', JAN)}\n")
    roster_upload_apply(actor=actor, upload_id=kept.pk)
    third = pesel_for(dt.date(1990, 1, 1), 404)
    RosterEntry.objects.create(
        contract=contract,
        tier=contract.tiers.get(),
        first_name="Ola",
        last_name="Typo",
        pesel=third,
        activation_date=dt.date(2026, 1, 1),
        paid_through=dt.date(2026, 12, 31),
    )
    # Anna stays; Jan is missing; Ola's line has a typo (no mobile): invalid, but named — she does not leave.
    actor, full = upload(
        contract,
        f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n{line('Ola', 'Typo', third, mobile='')}\n",
        mode="full",
    )
    applied = roster_upload_apply(actor=actor, upload_id=full.pk)
    assert applied.left == 1
    left = RosterEntry.objects.get(pesel=JAN)
    assert left.left_on == dt.date(2026, 12, 5) and left.paid_through == dt.date(2026, 12, 31)
    assert RosterEntry.objects.get(pesel=third).left_on is None
    assert Enrolment.objects.get(patient=jan).paid_through == dt.date(2026, 12, 31)
    assert RosterEntry.objects.count() == 3


def test_the_enrolment_follows_a_tier_change(contract: Contract, tier: Tier) -> None:
    better = TierFactory(code="premium", name="Pakiet Premium")
    contract.tiers.add(better)
    anna = PatientFactory(pesel=ANNA)
    actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n")
    roster_upload_apply(actor=actor, upload_id=kept.pk)
    actor, change = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA).replace('standardowy', 'premium')}\n")
    roster_upload_apply(actor=actor, upload_id=change.pk)
    assert Enrolment.objects.get(patient=anna).tier == better


def test_another_contracts_contact_can_neither_check_nor_apply(contract: Contract) -> None:
    _actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n")
    stranger, stranger_actor = contact_of(ContractFactory())
    with pytest.raises(NotFound):
        roster_upload_apply(actor=stranger_actor, upload_id=kept.pk)
    with pytest.raises(NotFound):
        roster_upload_check(
            actor=stranger_actor, user=stranger, contract=contract, raw=b"x", file_name="", mode="changes"
        )
    assert not RosterEntry.objects.exists() and RosterUpload.objects.get().applied_at is None


def test_a_file_that_cannot_be_read_keeps_nothing(contract: Contract) -> None:
    user, actor = contact_of(contract)
    with pytest.raises(ValidationFailed) as refused:
        roster_upload_check(
            actor=actor, user=user, contract=contract, raw="zażółć".encode("cp1250"), file_name="", mode="changes"
        )
    assert refused.value.code == "roster_not_utf8"
    assert not RosterUpload.objects.exists()


def test_a_person_with_an_enrolment_of_another_contract_gets_one_of_this_contract_too(contract: Contract) -> None:
    anna = PatientFactory(pesel=ANNA, email="anna@example.com")
    EnrolmentFactory(patient=anna)
    actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n")
    roster_upload_apply(actor=actor, upload_id=kept.pk)
    assert anna.enrolments.count() == 2


def _queries_to_apply(contract: Contract, count: int, born: dt.date) -> int:
    lines = []
    for index in range(count):
        pesel = pesel_for(born + dt.timedelta(days=index), index)
        lines.append(line("Jan", "Kowalski", pesel, email=f"jan{index}@example.com"))
        if index % 2 == 0:
            PatientFactory(pesel=pesel, user=None, email=f"jan{index}@example.com")
    actor, kept = upload(contract, HEADER + "\n" + "\n".join(lines) + "\n")
    with CaptureQueriesContext(connection) as captured:
        applied = roster_upload_apply(actor=actor, upload_id=kept.pk)
    assert applied.added == count and applied.enrolled == (count + 1) // 2
    return len(captured.captured_queries)


def test_applying_takes_as_many_queries_for_ten_people_as_for_seventy(tier: Tier) -> None:
    """Below the database's batch size (SQLite binds at most 999 values in a statement) the count is constant."""
    small, large = ContractFactory(), ContractFactory()
    small.tiers.add(tier)
    large.tiers.add(tier)
    assert _queries_to_apply(small, 10, dt.date(1970, 1, 1)) == _queries_to_apply(large, 70, dt.date(1950, 1, 1))


def test_ten_thousand_lines_apply_in_batches_not_line_by_line(contract: Contract) -> None:
    lines = [
        line("Jan", "Kowalski", pesel_for(dt.date(1950, 1, 1) + dt.timedelta(days=index // 10), index))
        for index in range(10_000)
    ]
    actor, kept = upload(contract, HEADER + "\n" + "\n".join(lines) + "\n", mode="full")
    with CaptureQueriesContext(connection) as captured:
        applied = roster_upload_apply(actor=actor, upload_id=kept.pk)
    assert (applied.added, applied.skipped) == (10_000, 0)
    # One INSERT per batch of rows (about 80 rows on SQLite, 1,000 on PostgreSQL), a handful of reads: never one
    # query per line.
    assert len(captured.captured_queries) < 10_000 // 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_on_apply_at_once_apply_the_file_once(tier: Tier) -> None:
    """The upload row is locked and marked applied in the same transaction: the second click gets "already
    applied", the roster is written once and the activation e-mail is recorded once."""
    import threading

    from django.db import close_old_connections

    contract = ContractFactory()
    contract.tiers.add(tier)
    PatientFactory(pesel=ANNA, user=None, email="anna@example.com")
    actor, kept = upload(contract, f"{HEADER}\n{line('Anna', 'Nowak', ANNA)}\n{line('Jan', 'Kowalski', JAN)}\n")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def click() -> None:
        try:
            start.wait()
            roster_upload_apply(actor=actor, upload_id=kept.pk)
            outcomes.append("applied")
        except Conflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "conflict"]
    assert RosterEntry.objects.filter(contract=contract).count() == 2
    assert Enrolment.objects.filter(contract=contract).count() == 1
    assert OutboundMessage.objects.filter(purpose=ACTIVATION_EMAIL_PURPOSE).count() == 1
