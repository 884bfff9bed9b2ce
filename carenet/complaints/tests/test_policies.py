"""The rules of complaints and claims (FBK-2, FBK-3) without a database: case numbers, the statutory answer date
and how close it is, the texts, the number of documents."""

from __future__ import annotations

import datetime as dt

from carenet.complaints import policies
from carenet.complaints.policies import CaseRefusal, Urgency


def test_case_numbers_are_readable_and_zero_padded() -> None:
    assert policies.case_number(series="RK", year=2026, number=123) == "RK/2026/000123"
    assert policies.case_number(series="RS", year=2027, number=1) == "RS/2027/000001"


def test_the_answer_is_due_thirty_days_after_the_day_of_filing() -> None:
    assert policies.answer_due_on(filed_on=dt.date(2026, 12, 4), answer_days=30) == dt.date(2027, 1, 3)
    assert policies.answer_due_on(filed_on=dt.date(2026, 2, 1), answer_days=30) == dt.date(2026, 3, 3)


def test_urgency_in_words() -> None:
    due = dt.date(2026, 12, 20)
    assert policies.urgency(answered=False, due_on=due, today=dt.date(2026, 12, 21)) is Urgency.OVERDUE
    assert policies.urgency(answered=False, due_on=due, today=dt.date(2026, 12, 20)) is Urgency.DUE_SOON
    assert policies.urgency(answered=False, due_on=due, today=dt.date(2026, 12, 15)) is Urgency.DUE_SOON
    assert policies.urgency(answered=False, due_on=due, today=dt.date(2026, 12, 14)) is Urgency.ON_TIME
    assert policies.urgency(answered=True, due_on=due, today=dt.date(2027, 1, 30)) is Urgency.ANSWERED


def test_texts() -> None:
    assert policies.subject_refusal("  ") is CaseRefusal.SUBJECT_EMPTY
    assert policies.subject_refusal("x" * 151) is CaseRefusal.SUBJECT_TOO_LONG
    assert policies.subject_refusal("Zła obsługa \x00") is CaseRefusal.TEXT_INVALID
    assert policies.subject_refusal("Zła obsługa 😡") is None
    assert policies.text_refusal("Linia 1\nLinia 2\tz tabem") is None
    assert policies.text_refusal("\u202eodwrócone") is CaseRefusal.TEXT_INVALID
    assert policies.text_refusal("") is CaseRefusal.TEXT_EMPTY
    assert policies.text_refusal("", empty=CaseRefusal.ANSWER_EMPTY) is CaseRefusal.ANSWER_EMPTY
    assert policies.text_refusal("x" * 5001) is CaseRefusal.TEXT_TOO_LONG


def test_a_claim_has_one_to_five_documents() -> None:
    assert policies.attachments_refusal(count=0, max_files=5) is CaseRefusal.ATTACHMENT_MISSING
    assert policies.attachments_refusal(count=5, max_files=5) is None
    assert policies.attachments_refusal(count=6, max_files=5) is CaseRefusal.TOO_MANY_ATTACHMENTS
