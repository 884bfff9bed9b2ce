"""SMS-2: reading replies; phone numbers; retry timing; gateway report codes. No database."""

from __future__ import annotations

import pytest

from carenet.core.phones import InvalidPhoneNumber, normalize_phone, phone_or_none
from carenet.messaging.policies import (
    DeliveryOutcome,
    ParsedReply,
    ReplyKind,
    parse_reply,
    retry_delay_seconds,
    smsapi_delivery_outcome,
)

YES, NO, CHOICE, UNKNOWN = ReplyKind.YES, ReplyKind.NO, ReplyKind.CHOICE, ReplyKind.UNKNOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TAK", ParsedReply(YES)),
        ("tak", ParsedReply(YES)),
        (" tak.", ParsedReply(YES)),
        ("Tak!", ParsedReply(YES)),
        ("\ttAk \n", ParsedReply(YES)),
        ("Ták", ParsedReply(YES)),
        ("tak, będę", ParsedReply(YES)),
        ("Jestem, tak", ParsedReply(YES)),
        ("NIE", ParsedReply(NO)),
        ("Nie!", ParsedReply(NO)),
        ("nie, dziekuje", ParsedReply(NO)),
        ("Nie, dziękuję", ParsedReply(NO)),
        ("NIÉ", ParsedReply(NO)),
        ("  nie  ", ParsedReply(NO)),
        ("Niestety nie", ParsedReply(NO)),
        ("nie tak", ParsedReply(NO)),  # the first word decides
        ("raczej tak niż nie", ParsedReply(UNKNOWN)),
        ("2", ParsedReply(CHOICE, 2)),
        (" 2. ", ParsedReply(CHOICE, 2)),
        ("nr 3", ParsedReply(CHOICE, 3)),
        ("12", ParsedReply(CHOICE, 12)),
        ("0", ParsedReply(UNKNOWN)),
        ("123", ParsedReply(UNKNOWN)),
        ("", ParsedReply(UNKNOWN)),
        ("   ", ParsedReply(UNKNOWN)),
        ("?!", ParsedReply(UNKNOWN)),
        ("Dzień dobry", ParsedReply(UNKNOWN)),
        ("takze", ParsedReply(UNKNOWN)),  # a word that merely starts with "tak"
        ("niebieski", ParsedReply(UNKNOWN)),
    ],
)
def test_parse_reply(text: str, expected: ParsedReply) -> None:
    assert parse_reply(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("500 100 200", "+48500100200"),
        ("500-100-200", "+48500100200"),
        ("+48 500 100 200", "+48500100200"),
        ("0048500100200", "+48500100200"),
        ("48500100200", "+48500100200"),  # how gateways report senders
        ("+49 1512 3456789", "+4915123456789"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "123", "+48 12"])
def test_invalid_phone(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)
    assert phone_or_none(raw) is None


def test_retry_delay_grows_exponentially_with_bounded_jitter() -> None:
    delays = [retry_delay_seconds(attempt=n, base=30, cap=3600, jitter=0.5) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays[-1] == 3600
    assert retry_delay_seconds(attempt=1, base=30, cap=3600, jitter=0.0) == 22.5
    assert retry_delay_seconds(attempt=1, base=30, cap=3600, jitter=0.999) < 37.5


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("404", DeliveryOutcome.DELIVERED),
        ("DELIVERED", DeliveryOutcome.DELIVERED),
        ("405", DeliveryOutcome.UNDELIVERED),
        ("402", DeliveryOutcome.UNDELIVERED),
        ("406", DeliveryOutcome.UNDELIVERED),
        ("403", None),
        ("409", None),
        ("", None),
    ],
)
def test_smsapi_delivery_outcome(status: str, outcome: DeliveryOutcome | None) -> None:
    assert smsapi_delivery_outcome(status) == outcome


def test_a_kept_answer_is_the_same_and_a_refused_number_stays_refused() -> None:
    """Issue 16: normalised numbers are kept per process; asking again answers the same, and a number that is not
    valid raises every time (a refusal is never kept as an answer)."""
    assert normalize_phone("500 100 200") == normalize_phone("500 100 200") == "+48500100200"
    assert normalize_phone("0048500100200") == "+48500100200"
    for _ in range(2):
        with pytest.raises(InvalidPhoneNumber):
            normalize_phone("12")
