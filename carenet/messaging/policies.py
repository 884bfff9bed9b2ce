"""Pure rules of the SMS channel: reading a patient's reply, phone numbers, retry timing, gateway report codes.

No Django here: these are the millisecond tests (SMS-2, SMS-3).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

# --- Replies (SMS-2, CXL-2, CHK-3) ----------------------------------------------------------------------------


class ReplyKind(enum.Enum):
    YES = "yes"  # TAK
    NO = "no"  # NIE
    CHOICE = "choice"  # a bare number answering a numbered list (CXL-2)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedReply:
    kind: ReplyKind
    choice: int | None = None


# Letters that Unicode does not decompose into base + accent.
_EXTRA_FOLDS = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "đ": "d", "ß": "ss"})
_WORD = re.compile(r"[a-z0-9]+")
_CHOICE = re.compile(r"^(?:nr|numer)?\s*\.?\s*(\d{1,2})\s*[.!)]?$")


def fold_text(text: str) -> str:
    """Lower case without accents or diacritics: 'NIÉ, Dziękuję' → 'nie, dziekuje'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def parse_reply(text: str) -> ParsedReply:
    """Read a patient's SMS reply (SMS-2).

    TAK and NIE are understood case- and accent-insensitively with surrounding whitespace, punctuation and text
    ("  tak.", "Nie!", "nie, dziękuję", "Tak, będę"). The first word decides; otherwise a message that contains
    exactly one of the two words means that word, and one containing both is not understood. A bare number
    ("2", "nr 2", "2.") is a choice from a numbered list (CXL-2).
    """
    folded = fold_text(text).strip()
    choice = _CHOICE.match(folded)
    if choice:
        number = int(choice.group(1))
        if number >= 1:
            return ParsedReply(ReplyKind.CHOICE, number)
        return ParsedReply(ReplyKind.UNKNOWN)
    words = _WORD.findall(folded)
    if not words:
        return ParsedReply(ReplyKind.UNKNOWN)
    if words[0] == "tak":
        return ParsedReply(ReplyKind.YES)
    if words[0] == "nie":
        return ParsedReply(ReplyKind.NO)
    has_yes, has_no = "tak" in words, "nie" in words
    if has_yes and not has_no:
        return ParsedReply(ReplyKind.YES)
    if has_no and not has_yes:
        return ParsedReply(ReplyKind.NO)
    return ParsedReply(ReplyKind.UNKNOWN)


# --- Retries (SMS-3) ------------------------------------------------------------------------------------------


def retry_delay_seconds(*, attempt: int, base: float, cap: float, jitter: float) -> float:
    """Exponential backoff with jitter before retry number ``attempt`` (1 = the first retry).

    ``jitter`` is a random number in [0, 1) passed in by the caller; it spreads retries over ±25% of the delay so
    that messages that failed together do not come back together.
    """
    exponent = max(attempt - 1, 0)
    delay = min(cap, base * (2 ** min(exponent, 30)))
    return max(0.0, delay * (0.75 + 0.5 * jitter))


# --- Gateway delivery reports ---------------------------------------------------------------------------------


class DeliveryOutcome(enum.Enum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


# SMSAPI report codes: 404 DELIVERED; 402 EXPIRED, 405 UNDELIVERED, 406 FAILED, 407 REJECTED are final failures;
# 403 SENT, 408 UNKNOWN, 409 QUEUED, 410 ACCEPTED are intermediate or unknown and change nothing.
_SMSAPI_DELIVERED = {"404", "DELIVERED"}
_SMSAPI_UNDELIVERED = {"402", "405", "406", "407", "EXPIRED", "UNDELIVERED", "FAILED", "REJECTED"}


def smsapi_delivery_outcome(status: str) -> DeliveryOutcome | None:
    """What an SMSAPI delivery report status (code or name) means for the message, if anything final."""
    value = (status or "").strip().upper()
    if value in _SMSAPI_DELIVERED:
        return DeliveryOutcome.DELIVERED
    if value in _SMSAPI_UNDELIVERED:
        return DeliveryOutcome.UNDELIVERED
    return None
