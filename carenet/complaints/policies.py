"""The rules of complaints (FBK-2) and insurance claims (FBK-3) as pure functions: the case number, the date a
complaint must be answered by and how close it is, the texts a patient and the staff write, and the stable codes of
every refusal.

No Django here: the services pass in the statutory time from the settings and ``today``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from carenet.core.names import CONTROL_CHARACTERS

#: The series of case numbers: ``RK/2026/000123`` a complaint (reklamacja), ``RS/2026/000045`` a claim (roszczenie).
COMPLAINT_SERIES = "RK"
CLAIM_SERIES = "RS"
#: A year's numbers have six digits (a million cases a year is far more than the network ever gets).
CASE_DIGITS = 6

SUBJECT_MAX_CHARS = 150
TEXT_MAX_CHARS = 5000
#: A complaint "due soon" when its answer is due within this many days (the staff queue marks it in words).
DUE_SOON_DAYS = 5


class CaseRefusal(StrEnum):
    """Why filing, taking, answering or deciding was refused: the stable codes of the API (FBK-2, FBK-3)."""

    SUBJECT_EMPTY = "subject_empty"
    SUBJECT_TOO_LONG = "subject_too_long"
    TEXT_EMPTY = "text_empty"
    TEXT_TOO_LONG = "text_too_long"
    TEXT_INVALID = "text_invalid"
    ANSWER_EMPTY = "answer_empty"
    ALREADY_ANSWERED = "complaint_already_answered"
    ALREADY_DECIDED = "claim_already_decided"
    ATTACHMENT_MISSING = "attachment_missing"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"


class Urgency(StrEnum):
    """How a complaint stands against its statutory time (the staff queue says it in words)."""

    ANSWERED = "answered"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"


def case_number(*, series: str, year: int, number: int) -> str:
    """``RK/2026/000123``: readable over the phone, unique (one counter per series and year)."""
    return f"{series}/{year}/{number:0{CASE_DIGITS}d}"


def answer_due_on(*, filed_on: dt.date, answer_days: int) -> dt.date:
    """FBK-2: the last day of the statutory time — ``answer_days`` (30) calendar days after the day of filing (the
    day of filing is not counted, as in art. 111 of the Civil Code)."""
    return filed_on + dt.timedelta(days=answer_days)


def urgency(*, answered: bool, due_on: dt.date, today: dt.date) -> Urgency:
    """Overdue after its last day; due soon within :data:`DUE_SOON_DAYS` days of it."""
    if answered:
        return Urgency.ANSWERED
    if today > due_on:
        return Urgency.OVERDUE
    if (due_on - today).days <= DUE_SOON_DAYS:
        return Urgency.DUE_SOON
    return Urgency.ON_TIME


def subject_refusal(subject: str) -> CaseRefusal | None:
    if CONTROL_CHARACTERS.search(subject):
        return CaseRefusal.TEXT_INVALID
    cleaned = subject.strip()
    if not cleaned:
        return CaseRefusal.SUBJECT_EMPTY
    if len(cleaned) > SUBJECT_MAX_CHARS:
        return CaseRefusal.SUBJECT_TOO_LONG
    return None


def text_refusal(text: str, *, empty: CaseRefusal = CaseRefusal.TEXT_EMPTY) -> CaseRefusal | None:
    """A description, an answer or a decision: 1–5000 characters after stripping (an emoji is one), no NUL or other
    control characters (line breaks and tabs are text)."""
    if CONTROL_CHARACTERS.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        return CaseRefusal.TEXT_INVALID
    cleaned = text.strip()
    if not cleaned:
        return empty
    if len(cleaned) > TEXT_MAX_CHARS:
        return CaseRefusal.TEXT_TOO_LONG
    return None


def attachments_refusal(*, count: int, max_files: int) -> CaseRefusal | None:
    """FBK-3: a claim carries 1 to ``max_files`` documents (an invoice, the medical record of the event)."""
    if count < 1:
        return CaseRefusal.ATTACHMENT_MISSING
    if count > max_files:
        return CaseRefusal.TOO_MANY_ATTACHMENTS
    return None
