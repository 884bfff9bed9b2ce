"""HL7 v2 text → plain dataclasses, and the acknowledgement back (CLN-3, issue 12).

Pure: no Django. Parsing is the ``hl7`` library's (python-hl7): this module only walks its tree — the header
(``MSH``), the patient (``PID``), each order (``ORC``/``OBR``) with its observations (``OBX``) and notes (``NTE``) —
and turns the fields CareNet keeps into :class:`ResultMessage`. Anything the library or the walk cannot read becomes
a :class:`MessageError` with an HL7 error code (table 0357), never another exception: :func:`read_header` and
:func:`read_results` raise nothing else whatever the text. The ACK is the library's ``Message.create_ack`` with
the reason in ``MSA-3``.

Text is what the lab sent, unescaped (``\\F\\`` → ``|``, ``\\.br\\`` → a new line). Times without an offset are
Warsaw wall-clock times; a time outside 1900–2100 (a "year 9999") is refused, not stored.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import hl7
from hl7.exceptions import HL7Exception

from carenet.core.validation import MAX_DATE, MIN_DATE, text_cleaned

WARSAW = ZoneInfo("Europe/Warsaw")

#: The largest message CareNet reads, in characters (a PDF report of 8 MB is about 11 M characters in base64).
MAX_MESSAGE_CHARS = 12 * 1024 * 1024
#: The most field, component, repetition, subcomponent and segment delimiters a message may hold.
MAX_DELIMITERS = 200_000
#: What is kept of the raw text of a message refused as too large.
RAW_KEEP_CHARS = 64 * 1024
#: Versions of HL7 v2 accepted (2.5 and its technical correction 2.5.1).
SUPPORTED_VERSIONS = ("2.5", "2.5.1")
SUPPORTED_TYPE = ("ORU", "R01")
#: Who CareNet is in the ACK when the message does not say how it addressed us (MSH-5/MSH-6).
CARENET_APPLICATION = "CARENET"

# The lengths of the columns a field is stored in (carenet.results.models): longer is refused, never truncated.
LIMITS = {
    "sender": 120,
    "control_id": 60,
    "order_number": 60,
    "code": 40,
    "coding_system": 20,
    "name": 200,
    "value": 400,
    "unit": 40,
    "reference_range": 60,
    "abnormal_flag": 5,
    "performed_by": 120,
    "patient_name": 160,
}


class ErrorCode:
    """HL7 table 0357 (message error condition codes) — the ones CareNet answers."""

    SEGMENT_SEQUENCE = "100"
    REQUIRED_FIELD_MISSING = "101"
    DATA_TYPE = "102"
    UNSUPPORTED_MESSAGE_TYPE = "200"
    UNSUPPORTED_VERSION = "203"
    UNKNOWN_KEY = "204"
    INTERNAL = "207"


#: Why a message cannot be read: stable keys (the service words them for the lab and the back office).
ERROR_KEYS = (
    "no_header",
    "unparseable",
    "field_too_long",
    "bad_date",
    "date_out_of_range",
    "unsupported_type",
    "unsupported_version",
    "missing",
    "bad_attachment",
    "obx_before_obr",
    "too_large",
    "several_patients",
)


class MessageError(Exception):
    """A message CareNet cannot read: ``code`` is an HL7 table 0357 code, ``key`` one of :data:`ERROR_KEYS`,
    ``detail`` where (``"OBX #3 OBX-14"``) or what (``"ADT^A01"``)."""

    def __init__(self, code: str, key: str, detail: str = "") -> None:
        super().__init__(f"{key} {detail}".strip())
        self.code = code
        self.key = key
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Header:
    """MSH: who sent the message, its control id, type and version."""

    sending_application: str
    sending_facility: str
    sending_facility_name: str
    control_id: str
    message_type: str  # "ORU^R01"
    version: str
    sent_at: dt.datetime | None

    @property
    def sender(self) -> str:
        """The idempotency key's first half: MSH-3^MSH-4 (their first components)."""
        return f"{self.sending_application}^{self.sending_facility}"


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """PID: the identifiers (PID-3, each with its type) and the name as the lab has them."""

    identifiers: tuple[tuple[str, str, str], ...]  # (id, assigning authority, identifier type)
    family_name: str
    given_name: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class Attachment:
    """An ``ED`` value (HL7 v2.5: source^type^subtype^encoding^data), decoded."""

    mime_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True, slots=True)
class ObservationData:
    value_type: str
    code: str
    coding_system: str
    name: str
    value: str
    unit: str
    reference_range: str
    abnormal_flag: str
    status: str
    observed_at: dt.datetime | None
    performed_by: str = ""
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class OrderData:
    """One ORC/OBR group: the exam ordered and what the lab found."""

    placer_order_number: str
    filler_order_number: str
    code: str
    coding_system: str
    name: str
    diagnostic_section: str
    status: str
    collected_at: dt.datetime | None
    reported_at: dt.datetime | None
    observations: tuple[ObservationData, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultMessage:
    header: Header
    patient: PatientIdentity
    orders: tuple[OrderData, ...] = field(default_factory=tuple)


# --- reading ----------------------------------------------------------------------------------------------------


def decode_frame(data: bytes) -> str:
    """An MLLP frame's bytes as text: UTF-8 (what CareNet asks labs for), else ISO 8859-2 when MSH-18 says so, else
    UTF-8 with the undecodable bytes replaced — never an exception."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        head = data[:512].split(b"\r", 1)[0]
        if b"8859/2" in head:
            return data.decode("iso-8859-2", errors="replace")
        return data.decode("utf-8", errors="replace")


def clean(raw: str) -> str:
    """The text as CareNet keeps and reads it: NUL and other control characters (except the segment separator)
    removed, line ends made HL7's carriage returns, surrounding blanks stripped."""
    return text_cleaned(raw).replace("\r\n", "\r").replace("\n", "\r").strip()


def _parse(text: str) -> hl7.Message:
    if not text.startswith("MSH") or len(text) < 8:
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "no_header")
    if text[3] in "\r^~\\&" or text[3].isalnum() or text[3].isspace():
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "no_header")
    encoding = text[4:8].split(text[3], 1)[0]
    if len(set(encoding)) < len(encoding) or any(char.isalnum() or char.isspace() for char in encoding):
        # Letters or digits as delimiters cut every value (one used twice is ambiguous), and the ACK copied them:
        # an answer the laboratory cannot read.
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "no_header")
    # The library builds an object per field, repetition, component and subcomponent: a message of delimiters
    # only would take gigabytes and minutes of the listener's one database thread. A real message has a few
    # thousand (a PDF in Base64 has none).
    delimiters = {"\r", text[3], *encoding}
    if sum(text.count(delimiter) for delimiter in delimiters) > MAX_DELIMITERS:
        raise MessageError(ErrorCode.INTERNAL, "too_large", "delimiters")
    try:
        message = hl7.parse(text)
    except (HL7Exception, ValueError, IndexError, KeyError, AssertionError, TypeError) as error:
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "unparseable", str(error)[:80]) from error
    return message


def _segments(message: hl7.Message, name: str) -> list[Any]:
    return [segment for segment in message if _segment_name(segment) == name]


def _segment_name(segment: Any) -> str:
    try:
        return str(segment[0][0]) if isinstance(segment[0], list) else str(segment[0])
    except (IndexError, TypeError):
        return ""


def _get(segment: Any, field_num: int, component: int = 1, repetition: int = 1, subcomponent: int = 1) -> str:
    """One value, unescaped ("" when absent or when the tree is shallower than asked); a NUL or another control
    character an escape (``\\X00\\``) produced is removed, as in the raw text."""
    try:
        value = segment.extract_field(1, field_num, repetition, component, subcomponent)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError):
        return ""
    return text_cleaned(str(value)).replace("\r", "\n").strip() if value is not None else ""


def _repetitions(segment: Any, field_num: int) -> int:
    if field_num >= len(segment):
        return 0
    value = segment[field_num]
    if isinstance(value, hl7.Field) and value and isinstance(value[0], hl7.Repetition):
        return len(value)
    return 1 if str(value) else 0


def _limited(value: str, limit_name: str, where: str) -> str:
    if len(value) > LIMITS[limit_name]:
        raise MessageError(ErrorCode.DATA_TYPE, "field_too_long", where)
    return value


def parse_timestamp(value: str, where: str) -> dt.datetime | None:
    """HL7 TS/DTM (``YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]``) as an aware instant; no offset → Warsaw time. Empty →
    ``None``; unreadable or outside 1900–2100 → :class:`MessageError`."""
    value = value.strip()
    if not value:
        return None
    found = re.fullmatch(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?", value)
    if found is None:
        raise MessageError(ErrorCode.DATA_TYPE, "bad_date", where)
    year, month, day, hour, minute, second, offset = found.groups()
    try:
        moment = dt.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as error:
        raise MessageError(ErrorCode.DATA_TYPE, "bad_date", where) from error
    if not (MIN_DATE <= moment.date() <= MAX_DATE):
        raise MessageError(ErrorCode.DATA_TYPE, "date_out_of_range", where)
    if offset:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        if hours > 14 or minutes > 59:
            raise MessageError(ErrorCode.DATA_TYPE, "bad_date", where)
        zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        return moment.replace(tzinfo=zone).astimezone(dt.UTC)
    return moment.replace(tzinfo=WARSAW).astimezone(dt.UTC)


def read_header(text: str) -> Header:
    """MSH of a cleaned message (:func:`clean`); :class:`MessageError` when it cannot be read."""
    first = text.split("\r", 1)[0]
    msh = _parse(first).segment("MSH") if first.startswith("MSH") else None
    if msh is None:
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "no_header")
    header = Header(
        sending_application=_get(msh, 3)[: LIMITS["sender"] // 2],
        sending_facility=_get(msh, 4)[: LIMITS["sender"] // 2 - 1],
        sending_facility_name=_get(msh, 4, 2) or _get(msh, 4),
        control_id=_get(msh, 10),
        message_type="^".join(part for part in (_get(msh, 9, 1), _get(msh, 9, 2)) if part)[:20],
        version=_get(msh, 12),
        sent_at=None,
    )
    return header


def control_id_key(header: Header, text: str) -> str:
    """The control id the message is kept under: MSH-10, or — when it has none — a digest of the text (the same
    text resent is still recognised)."""
    if header.control_id:
        return header.control_id[: LIMITS["control_id"]]
    return "sha256:" + hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:40]


def check_supported(header: Header) -> None:
    """ORU^R01 of version 2.5 only; a message id is required."""
    if (_get_type(header.message_type)) != SUPPORTED_TYPE:
        raise MessageError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, "unsupported_type", header.message_type or "(empty)")
    if header.version not in SUPPORTED_VERSIONS:
        raise MessageError(ErrorCode.UNSUPPORTED_VERSION, "unsupported_version", header.version or "(empty)")
    if not header.control_id:
        raise MessageError(ErrorCode.REQUIRED_FIELD_MISSING, "missing", "MSH-10")
    if len(header.control_id) > LIMITS["control_id"]:
        raise MessageError(ErrorCode.DATA_TYPE, "field_too_long", "MSH-10")


def _get_type(message_type: str) -> tuple[str, str]:
    parts = message_type.split("^")
    return (parts[0], parts[1] if len(parts) > 1 else "")


def read_patient(message: hl7.Message) -> PatientIdentity:
    pids = _segments(message, "PID")
    if not pids:
        raise MessageError(ErrorCode.REQUIRED_FIELD_MISSING, "missing", "PID")
    identities = {_identity(pid) for pid in pids}
    if len(identities) > 1:
        # An ORU^R01 may carry several patients' results, each group under its own PID: CareNet files a message
        # for one patient only, so a second patient's results never land in the first one's record (CLN-6).
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "several_patients", "PID")
    return _identity(pids[0])


def _identity(pid: Any) -> PatientIdentity:
    identifiers = tuple(
        (_get(pid, 3, 1, number), _get(pid, 3, 4, number), _get(pid, 3, 5, number))
        for number in range(1, _repetitions(pid, 3) + 1)
    )
    family, given = _get(pid, 5, 1), _get(pid, 5, 2)
    return PatientIdentity(
        identifiers=tuple(item for item in identifiers if item[0]),
        family_name=family[: LIMITS["patient_name"] // 2],
        given_name=given[: LIMITS["patient_name"] // 2 - 1],
    )


def _field_text(segment: Any, field_num: int) -> str:
    """A TX/FT/ST value with its repetitions as lines."""
    lines = [_get(segment, field_num, 1, number) for number in range(1, _repetitions(segment, field_num) + 1)]
    return "\n".join(lines).strip()


def _attachment(segment: Any, where: str) -> Attachment:
    """ED (v2.5): source application ^ type of data ^ data subtype ^ encoding ^ data."""
    kind, subtype, encoding = (_get(segment, 5, n).lower() for n in (2, 3, 4))
    data = _get(segment, 5, 5)
    if encoding != "base64":
        raise MessageError(ErrorCode.DATA_TYPE, "bad_attachment", where)
    try:
        decoded = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise MessageError(ErrorCode.DATA_TYPE, "bad_attachment", where) from error
    mime = f"{'application' if kind in ('ap', 'application') else kind}/{subtype}"
    return Attachment(mime_type=mime, data=decoded)


def _observation(segment: Any, number: int) -> ObservationData:
    where = f"OBX #{number}"
    value_type = _get(segment, 2).upper()
    attachment = None
    if value_type == "ED":
        attachment = _attachment(segment, where)
        value = ""
    elif value_type in ("TX", "FT"):
        value = _field_text(segment, 5)
    elif value_type in ("CE", "CWE", "CNE"):
        value = _get(segment, 5, 2) or _get(segment, 5, 1)
    else:
        value = _get(segment, 5)
    return ObservationData(
        value_type=value_type,
        code=_limited(_get(segment, 3, 1), "code", f"{where} OBX-3"),
        coding_system=_limited(_get(segment, 3, 3), "coding_system", f"{where} OBX-3"),
        name=_limited(_get(segment, 3, 2) or _get(segment, 3, 1), "name", f"{where} OBX-3"),
        value=value,
        unit=_limited(_get(segment, 6, 2) or _get(segment, 6, 1), "unit", f"{where} OBX-6"),
        reference_range=_limited(_get(segment, 7), "reference_range", f"{where} OBX-7"),
        abnormal_flag=_limited(_get(segment, 8).upper(), "abnormal_flag", f"{where} OBX-8"),
        status=_get(segment, 11).upper(),
        observed_at=parse_timestamp(_get(segment, 14), f"{where} OBX-14"),
        performed_by=_get(segment, 23)[: LIMITS["performed_by"]],
        attachment=attachment,
    )


def read_results(text: str) -> ResultMessage:
    """The whole ORU^R01 of a cleaned message: header, patient, orders. Raises only :class:`MessageError`."""
    try:
        return _read_results(text)
    except MessageError:
        raise
    except Exception as error:
        raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "unparseable", type(error).__name__) from error


def _read_results(text: str) -> ResultMessage:
    header = read_header(text)
    check_supported(header)
    message = _parse(text)
    msh = message.segment("MSH")
    header = Header(
        sending_application=header.sending_application,
        sending_facility=header.sending_facility,
        sending_facility_name=header.sending_facility_name,
        control_id=header.control_id,
        message_type=header.message_type,
        version=header.version,
        sent_at=parse_timestamp(_get(msh, 7), "MSH-7"),
    )
    patient = read_patient(message)
    orders: list[OrderData] = []
    placer_from_orc = ""
    current: dict[str, Any] | None = None
    for segment in message:
        name = _segment_name(segment)
        if name == "ORC":
            placer_from_orc = _get(segment, 2)
        elif name == "OBR":
            if current is not None:
                orders.append(_order(current))
            number = len(orders) + 1
            where = f"OBR #{number}"
            current = {
                "placer": _limited(_get(segment, 2) or placer_from_orc, "order_number", f"{where} OBR-2"),
                "filler": _limited(_get(segment, 3), "order_number", f"{where} OBR-3"),
                "code": _limited(_get(segment, 4, 1), "code", f"{where} OBR-4"),
                "coding_system": _limited(_get(segment, 4, 3), "coding_system", f"{where} OBR-4"),
                "name": _limited(_get(segment, 4, 2) or _get(segment, 4, 1), "name", f"{where} OBR-4"),
                "section": _get(segment, 24).upper(),
                "status": _get(segment, 25).upper(),
                "collected_at": parse_timestamp(_get(segment, 7), f"{where} OBR-7"),
                "reported_at": parse_timestamp(_get(segment, 22), f"{where} OBR-22"),
                "observations": [],
                "notes": [],
            }
            placer_from_orc = ""
        elif name == "OBX":
            if current is None:
                raise MessageError(ErrorCode.SEGMENT_SEQUENCE, "obx_before_obr")
            current["observations"].append(_observation(segment, len(current["observations"]) + 1))
        elif name == "NTE" and current is not None:
            note = _field_text(segment, 3)
            if note:
                current["notes"].append(note)
    if current is not None:
        orders.append(_order(current))
    if not orders:
        raise MessageError(ErrorCode.REQUIRED_FIELD_MISSING, "missing", "OBR")
    return ResultMessage(header=header, patient=patient, orders=tuple(orders))


def _order(current: dict[str, Any]) -> OrderData:
    return OrderData(
        placer_order_number=current["placer"],
        filler_order_number=current["filler"],
        code=current["code"],
        coding_system=current["coding_system"],
        name=current["name"] or current["code"],
        diagnostic_section=current["section"],
        status=current["status"],
        collected_at=current["collected_at"],
        reported_at=current["reported_at"],
        observations=tuple(current["observations"]),
        notes=tuple(current["notes"]),
    )


# --- answering --------------------------------------------------------------------------------------------------


def escape(value: str) -> str:
    """A value as HL7 text: the delimiters as escape sequences, line ends as ``\\.br\\``."""
    value = value.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\").replace("&", "\\T\\")
    value = value.replace("~", "\\R\\")
    return value.replace("\r\n", "\\.br\\").replace("\n", "\\.br\\").replace("\r", "\\.br\\")


def ts(moment: dt.datetime) -> str:
    """An aware instant as an HL7 timestamp in Warsaw time with its offset."""
    return moment.astimezone(WARSAW).strftime("%Y%m%d%H%M%S%z")


_UNREADABLE_TEMPLATE = "MSH|^~\\&|||||||ORU^R01||P|2.5"
_STANDARD_HEADER = "MSH|^~\\&|"


def build_ack(text: str, *, code: str, reason: str, ack_id: str, at: dt.datetime) -> str:
    """The acknowledgement of a (cleaned) message: the library's ``create_ack`` — MSA-1 the code, MSA-2 the
    message's control id (empty when not even MSH could be read) — with the reason in MSA-3 and ``at`` as MSH-7.
    The same arguments give the same ACK, byte for byte (a resent message is answered as the first time)."""
    control_id = ""
    try:
        source = _parse(text.split("\r", 1)[0])
        control_id = _get(source.segment("MSH"), 10)
    except (MessageError, KeyError):
        source = hl7.parse(_UNREADABLE_TEMPLATE)
    msh = source.segment("MSH")
    application = _get(msh, 5) or CARENET_APPLICATION
    facility = _get(msh, 6) or CARENET_APPLICATION
    ack = None
    if text.startswith(_STANDARD_HEADER):  # escape() writes the standard delimiters: the ACK must declare them
        with contextlib.suppress(IndexError, KeyError, TypeError, ValueError):
            ack = source.create_ack(
                code, message_id=escape(ack_id), application=escape(application), facility=escape(facility)
            )
    if ack is None:
        # A header the library cannot copy (MSH-9 without its trigger event, fields missing, other delimiters):
        # answer from a well-formed one, addressed back to the sender.
        ack = hl7.parse(_UNREADABLE_TEMPLATE).create_ack(
            code, message_id=escape(ack_id), application=escape(application), facility=escape(facility)
        )
        ack.segment("MSH").assign_field(escape(_get(msh, 3)), 5)
        ack.segment("MSH").assign_field(escape(_get(msh, 4)), 6)
    ack.segment("MSA").assign_field(escape(control_id), 2)
    ack_msh = ack.segment("MSH")
    ack_msh.assign_field(ts(at), 7)
    if reason:
        ack.segment("MSA").assign_field(escape(reason[:200]), 3)
    if not reason.isascii():
        ack_msh.assign_field("UNICODE UTF-8", 18)
    return str(ack).rstrip("\r") + "\r"
