"""The rules of results coming in (CLN-3, issue 12): pure, no Django.

* **Whom a message is for** — the PESEL in PID-3: the repetition whose identifier type is ``PESEL`` or ``NNPOL``
  (or whose assigning authority names PESEL), else any repetition that is a valid PESEL; two different ones match
  nobody (a person decides). A PESEL that fails its check digit matches nobody. When the message also names the
  patient (PID-5), the family name must be the patient's (case and accents aside): a valid but mistyped PESEL does
  not file a result in a stranger's record.
* **Which order** — ORC-2/OBR-2, the placer order number, is CareNet's: ``CN<referral id>`` (what CareNet prints on
  a referral for the lab, e.g. ``CN1234``) or the referral's national identifier (the 44-digit key of the
  e-referral the patient shows at the lab). It must be a referral of that patient; an empty one means no order.
* **Kind** — imaging when OBR-24 (diagnostic service section, HL7 table 0074) is a radiology/ultrasound/CT/MR
  section, or when OBR-4 is an ICD-9-PL procedure in chapters 87–88 (diagnostic radiology); laboratory otherwise.
* **Status** — OBR-25 P (preliminary), F (final), C (corrected); anything else is read as final. A later message
  for the same laboratory number (OBR-3) updates the stored result, except that a preliminary never replaces a
  final or corrected one. Only final and corrected results send the "results ready" SMS (once per result): a
  preliminary may still change, and the patient is told when it is final.
* **Out of range** — the flag (OBX-8 L, H, LL, HH, A, AA, <, >) says so, or the numeric value is outside the
  reference range (OBX-7: ``12.0-16.0``, ``<5``, ``>40``, ``<=5``, ``3,5 - 5,0``).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from stdnum.exceptions import ValidationError
from stdnum.pl import pesel as stdnum_pesel

#: A number is stored when it fits the columns (18 digits, 6 after the point).
_NUMBER_LIMIT = Decimal(10) ** 12
PESEL_TYPES = frozenset({"PESEL", "NNPOL"})
# HL7 table 0074 sections that are imaging, and a few that labs use beyond it.
IMAGING_SECTIONS = frozenset(
    {"RAD", "RX", "RUS", "CT", "MR", "MRI", "NMR", "NMS", "US", "USG", "CUS", "OUS", "VUS", "XRC", "MG", "DX", "CR"}
)
IMAGING_CODING_SYSTEMS = frozenset({"ICD9PL", "ICD-9-PL", "I9C", "I9CP"})
ABNORMAL_FLAGS = frozenset({"L", "H", "LL", "HH", "A", "AA", "<", ">"})
ORDER_PREFIX = "CN"


class Reason(StrEnum):
    """Why a message was not filed as a result (the review queue's reason; stable codes)."""

    UNKNOWN_PATIENT = "unknown_patient"
    NAME_MISMATCH = "name_mismatch"
    UNKNOWN_ORDER = "unknown_order"


def number(text: str) -> Decimal | None:
    """A value as a number when it is a plain one (``5.2``, ``5,2``, ``-1``); ``None`` for ``<5``, text, NaN or
    a number too large to store."""
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= _NUMBER_LIMIT:
        return None
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal("0.000001")) if isinstance(exponent, int) and exponent < -6 else value


def parse_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """OBX-7 → (low, high): ``"12.0-16.0"`` → (12.0, 16.0), ``"<5"`` → (None, 5), ``">40"`` → (40, None);
    unreadable → (None, None)."""
    text = text.strip().replace(" ", "")
    if not text:
        return None, None
    bound = re.fullmatch(r"(<=?|>=?|≤|≥)(.+)", text)
    if bound:
        limit = number(bound.group(2))
        if limit is None:
            return None, None
        return (None, limit) if bound.group(1) in ("<", "<=", "≤") else (limit, None)
    between = re.fullmatch(r"([+-]?[\d.,]+)-([+-]?[\d.,]+)", text)
    if between:
        low, high = number(between.group(1)), number(between.group(2))
        if low is not None and high is not None and low <= high:
            return low, high
    return None, None


def out_of_range(*, flag: str, value: Decimal | None, low: Decimal | None, high: Decimal | None) -> bool:
    """CLN-3: an observation is marked out of range when the lab's flag says so or its value is outside the range."""
    if flag.strip().upper() in ABNORMAL_FLAGS:
        return True
    if value is None:
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def pesel_valid(value: str) -> bool:
    try:
        stdnum_pesel.validate(value)
    except ValidationError:
        return False
    return True


def pesel_of(identifiers: tuple[tuple[str, str, str], ...]) -> str:
    """The PESEL a message names (see the module's rules); ``""`` when none, and when it names two different ones
    (a child's and a parent's: whose results they are is for a person to decide). A typed PESEL is returned even
    when invalid (the queue shows what was sent)."""
    typed = {
        value.strip()
        for value, authority, kind in identifiers
        if kind.upper() in PESEL_TYPES or "PESEL" in authority.upper()
    }
    found = typed or {value.strip() for value, _authority, _kind in identifiers if pesel_valid(value.strip())}
    return found.pop() if len(found) == 1 else ""


def _folded(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(char for char in decomposed if char.isalnum()).casefold()


def names_match(message_family_name: str, patient_last_name: str) -> bool:
    """An empty name in the message does not contradict; otherwise the family names are equal (case, accents,
    spaces and hyphens aside), or one is a part of a double-barrelled other (``Nowak`` ~ ``Nowak-Kowalska``)."""
    if not message_family_name.strip():
        return True
    sent, known = _folded(message_family_name), _folded(patient_last_name)
    if sent == known:
        return True
    parts = {_folded(part) for part in re.split(r"[-\s]+", patient_last_name) if part}
    sent_parts = {_folded(part) for part in re.split(r"[-\s]+", message_family_name) if part}
    return bool(parts & sent_parts) and (parts <= sent_parts or sent_parts <= parts)


def referral_id_of(order_number: str) -> int | None:
    """``CN1234`` → 1234 (CareNet's own order number); ``None`` for anything else."""
    found = re.fullmatch(rf"{ORDER_PREFIX}(\d{{1,18}})", order_number.strip().upper())
    return int(found.group(1)) if found else None


def order_number_of(referral_id: int) -> str:
    """The order number CareNet gives a referral for a laboratory (ORC-2/OBR-2)."""
    return f"{ORDER_PREFIX}{referral_id}"


def is_imaging(*, section: str, coding_system: str, code: str) -> bool:
    if section.strip().upper() in IMAGING_SECTIONS:
        return True
    return coding_system.strip().upper() in IMAGING_CODING_SYSTEMS and code.strip().startswith(("87", "88"))


def status_of(obr_25: str) -> str:
    """OBR-25 as CareNet's status: P, C, or F (final, also for anything else a lab sends for a finished exam)."""
    value = obr_25.strip().upper()
    return value if value in ("P", "C") else "F"


def cancelled(obr_25: str) -> bool:
    """OBR-25 ``X``: the laboratory could not do the exam (the order was cancelled) — there is no result to file and
    nothing to tell the patient."""
    return obr_25.strip().upper() == "X"


def replaces(*, stored: str, incoming: str) -> bool:
    """Whether a later message for the same laboratory number updates the stored result: yes, unless a
    preliminary would replace a final or corrected result."""
    return not (incoming == "P" and stored in ("F", "C"))


def notifies(status: str) -> bool:
    """Final and corrected results tell the patient; a preliminary does not (it may still change)."""
    return status in ("F", "C")
