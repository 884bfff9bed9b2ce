"""Input at the edge (SEC, issue 10): the rules every value from outside passes before it reaches a query.

One layer for every door: the pure rules below, pydantic types for the API's schemas and parameters, and a form
mixin for the pages (:mod:`carenet.core.forms`). What they refuse would otherwise reach the database and fail
there — PostgreSQL rejects a NUL character in text, SQLite an integer above 2^63−1, date arithmetic a year past
9999, ``hmac`` a non-ASCII string — as a 500 instead of a clear 4xx that changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

#: Dates any CareNet question can sensibly be about (births, visits, validity of a card); outside → refused.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
#: Database ids are positive 64-bit integers (``BigAutoField``; SQLite and PostgreSQL both stop at 2^63−1).
MAX_DB_ID = 2**63 - 1

# C0 and C1 control characters except tab, line feed and carriage return (which people type), and lone
# surrogates (JSON lets "\ud800" through; UTF-8 cannot store it).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored or searched as text: ``"nul"``, ``"control"`` (another control character or
    a lone surrogate), or ``None`` when it can."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    return "nul" if found.group() == "\x00" else "control"


def text_cleaned(value: str) -> str:
    """``value`` without the characters :func:`text_problem` refuses: for input that must be kept, not refused
    (an SMS a gateway delivers is stored even when a phone put a NUL into it)."""
    return _FORBIDDEN.sub("", value)


def ascii_digits(value: str) -> bool:
    """Only 0-9 (``str.isdigit`` also accepts Arabic-Indic and other digits, which ``int`` reads but a code
    compared with ``hmac`` or a database column does not)."""
    return value.isascii() and value.isdigit()


def date_in_range(value: dt.date) -> bool:
    return MIN_DATE <= value <= MAX_DATE


def db_id_valid(value: int) -> bool:
    return 1 <= value <= MAX_DB_ID


def db_id_or_none(value: object) -> int | None:
    """A database id from raw input (ASCII digits, 1..2^63−1), or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if db_id_valid(value) else None
    if isinstance(value, str) and ascii_digits(value) and len(value) <= 19:
        number = int(value)
        return number if db_id_valid(number) else None
    return None


# --- pydantic types for the API's schemas and parameters -------------------------------------------------------


def _text(value: str) -> str:
    problem = text_problem(value)
    if problem == "nul":
        raise ValueError("must not contain a NUL character")
    if problem is not None:
        raise ValueError("must not contain control characters")
    return value


def _not_a_boolean(value: object) -> object:
    # JSON true/false is not a number, although Python's bool is an int: an id of ``true`` is refused, not slot 1.
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


def _date(value: dt.date) -> dt.date:
    if not date_in_range(value):
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return value


#: Text without NUL or control characters (add ``Field(max_length=...)`` beside it as the field needs).
Text = Annotated[str, AfterValidator(_text)]
#: A database id: 1 to 2^63−1.
DbId = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=MAX_DB_ID)]
#: A date between 1900-01-01 and 2100-12-31.
SaneDate = Annotated[dt.date, AfterValidator(_date)]
