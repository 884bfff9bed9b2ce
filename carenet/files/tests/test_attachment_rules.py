"""The rules of attaching files to a consultation (TEL-3): pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.files.attachments import AttachRefusal, ConsultationFacts, attach_refusal, change_refusal

STARTS = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
BEFORE = STARTS - dt.timedelta(minutes=1)


def facts(status: str = "booked", patient_id: int = 1) -> ConsultationFacts:
    return ConsultationFacts(patient_id=patient_id, status=status, starts_at=STARTS)


def refusal(
    consultation: ConsultationFacts,
    *,
    file_patient_id: int = 1,
    count: int = 0,
    already: bool = False,
    now: dt.datetime = BEFORE,
) -> AttachRefusal | None:
    return attach_refusal(
        consultation,
        file_patient_id=file_patient_id,
        attached_count=count,
        already_attached=already,
        max_attached=5,
        now=now,
    )


@pytest.mark.parametrize("status", ["booked", "checked_in"])
def test_a_booked_visit_takes_files_until_it_starts(status: str) -> None:
    assert refusal(facts(status)) is None
    assert refusal(facts(status), now=STARTS) is AttachRefusal.VISIT_STARTED
    assert change_refusal(facts(status), now=STARTS + dt.timedelta(hours=1)) is AttachRefusal.VISIT_STARTED


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("cancelled", AttachRefusal.VISIT_CANCELLED),
        ("completed", AttachRefusal.VISIT_CLOSED),
        ("no_show", AttachRefusal.VISIT_CLOSED),
        ("refused_late", AttachRefusal.VISIT_CLOSED),
        ("held", AttachRefusal.VISIT_NOT_BOOKED),
        ("expired", AttachRefusal.VISIT_NOT_BOOKED),
    ],
)
def test_a_visit_that_is_not_booked_keeps_its_files_as_they_are(status: str, code: AttachRefusal) -> None:
    assert refusal(facts(status)) is code
    assert change_refusal(facts(status), now=BEFORE) is code


def test_only_the_visit_patients_own_file() -> None:
    """A parent's file on a child's visit is as if it did not exist."""
    assert refusal(facts(patient_id=2), file_patient_id=1) is AttachRefusal.FILE_NOT_FOUND
    assert refusal(facts(patient_id=2, status="cancelled"), file_patient_id=1) is AttachRefusal.FILE_NOT_FOUND


def test_at_most_as_many_files_as_a_patient_stores_and_attaching_again_is_no_change() -> None:
    assert refusal(facts(), count=4) is None
    assert refusal(facts(), count=5) is AttachRefusal.TOO_MANY
    assert refusal(facts(), count=5, already=True) is None
