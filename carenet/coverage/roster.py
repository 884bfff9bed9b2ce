"""The roster file an employer's or insurer's contact uploads, read and checked line by line (PKG-3, PKG-8).

Pure Python, no Django and no database: :func:`roster_file_read` turns the uploaded bytes into :class:`RosterLine`
rows and a report of every problem, per line, before anything is stored. The service
(:func:`carenet.coverage.services.roster_upload_apply`) stores the valid lines; invalid lines are listed and never
applied.

The file (documented on the upload page): UTF-8 with or without a byte-order mark, ``;`` or ``,`` between fields, a
header line naming the columns (in any order)::

    first_name;last_name;pesel;tier;activation_date;paid_through;mobile;email;holder_pesel

Dates as ``2026-01-31`` or ``31.01.2026``; the tier as its code (``premium``) or its name (``Pakiet Premium``);
``mobile`` is required for main members (they register with it, ACC-1) and optional for family members (those with
a ``holder_pesel``, who must be on the roster too).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from carenet.accounts.policies import InvalidPesel, InvalidPhone, normalize_mobile, parse_pesel
from carenet.core.spreadsheets import FORMULA_START
from carenet.core.validation import date_in_range, text_problem

COLUMNS = (
    "first_name",
    "last_name",
    "pesel",
    "tier",
    "activation_date",
    "paid_through",
    "mobile",
    "email",
    "holder_pesel",
)
REQUIRED_COLUMNS = frozenset(COLUMNS) - {"email", "holder_pesel"}
#: A file bigger than this is refused before it is read (about 40,000 lines of a real roster).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: At most this many people in one file.
MAX_LINES = 20_000
FIRST_NAME_MAX = 60
LAST_NAME_MAX = 80
EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Cells a spreadsheet would run as a formula when the roster is opened from an export (CSV injection).


class FileProblem(StrEnum):
    """Why a whole file cannot be read (nothing of it is checked or stored)."""

    EMPTY = "roster_empty"
    TOO_BIG = "roster_too_big"
    TOO_MANY_LINES = "roster_too_many_lines"
    NOT_UTF8 = "roster_not_utf8"
    NUL = "roster_nul"
    NOT_CSV = "roster_not_csv"
    MISSING_COLUMNS = "roster_missing_columns"
    UNKNOWN_COLUMNS = "roster_unknown_columns"


class LineProblem(StrEnum):
    """What is wrong with one line (it is listed in the report and not applied)."""

    FIELD_COUNT = "field_count"
    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    NAME_CHARACTERS = "name_characters"
    NAME_FORMULA = "name_formula"
    PESEL_FORMAT = "pesel_format"
    PESEL_CHECKSUM = "pesel_checksum"
    PESEL_BIRTH_DATE = "pesel_birth_date"
    TIER_UNKNOWN = "tier_unknown"
    DATE_INVALID = "date_invalid"
    DATES_ORDER = "dates_order"
    MOBILE_MISSING = "mobile_missing"
    MOBILE_INVALID = "mobile_invalid"
    EMAIL_INVALID = "email_invalid"
    HOLDER_PESEL_INVALID = "holder_pesel_invalid"
    HOLDER_IS_SELF = "holder_is_self"
    HOLDER_NOT_ON_ROSTER = "holder_not_on_roster"
    DUPLICATE = "duplicate"


class RosterFileError(ValueError):
    """The file as a whole cannot be read; ``detail`` names the columns or the limit."""

    def __init__(self, problem: FileProblem, detail: str = "") -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class TierName:
    """A tier the contract offers, as the file may name it."""

    id: int
    code: str
    name: str
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One person of the file, valid (``problems`` empty) or not; ``number`` is the line in the file (header = 1)."""

    number: int
    first_name: str
    last_name: str
    pesel: str
    tier_id: int | None
    tier_label: str
    activation_date: dt.date | None
    paid_through: dt.date | None
    mobile: str
    email: str
    holder_pesel: str
    problems: tuple[LineProblem, ...] = ()
    duplicate_of: tuple[int, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class RosterReport:
    """Every line of a file, checked."""

    lines: tuple[RosterLine, ...]
    delimiter: str
    had_bom: bool
    pesels_in_file: frozenset[str] = field(default_factory=frozenset)

    @property
    def valid_lines(self) -> list[RosterLine]:
        return [line for line in self.lines if line.valid]

    @property
    def invalid_lines(self) -> list[RosterLine]:
        return [line for line in self.lines if not line.valid]


def roster_text_decode(raw: bytes) -> tuple[str, bool]:
    """The file's text and whether it started with a UTF-8 byte-order mark (what Excel's "CSV UTF-8" writes)."""
    if len(raw) > MAX_FILE_BYTES:
        raise RosterFileError(FileProblem.TOO_BIG)
    if not raw.strip():
        raise RosterFileError(FileProblem.EMPTY)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode text"): every other byte is NUL
        raise RosterFileError(FileProblem.NOT_UTF8)
    if b"\x00" in raw:
        raise RosterFileError(FileProblem.NUL)
    had_bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError(FileProblem.NOT_UTF8) from exc
    return text, had_bom


def _delimiter(header: str) -> str:
    return ";" if header.count(";") >= header.count(",") else ","


def _date(raw: str) -> dt.date | None:
    raw = raw.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            value = dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        return value if date_in_range(value) else None
    return None


def _tier_index(tiers: Iterable[TierName]) -> dict[str, TierName]:
    index: dict[str, TierName] = {}
    for tier in tiers:
        for label in (tier.code, tier.name, tier.name_en):
            if label:
                index[label.strip().casefold()] = tier
    return index


def _name_problems(value: str, maximum: int) -> list[LineProblem]:
    if not value:
        return [LineProblem.NAME_MISSING]
    if len(value) > maximum:
        return [LineProblem.NAME_TOO_LONG]
    if text_problem(value) is not None or any(char.isdigit() for char in value):
        return [LineProblem.NAME_CHARACTERS]
    if value.startswith(FORMULA_START):  # a spreadsheet would run it (CSV injection): no name starts so
        return [LineProblem.NAME_FORMULA]
    return []


_PESEL_PROBLEM = {
    "pesel_format": LineProblem.PESEL_FORMAT,
    "pesel_checksum": LineProblem.PESEL_CHECKSUM,
    "pesel_birth_date": LineProblem.PESEL_BIRTH_DATE,
    "pesel_future_birth_date": LineProblem.PESEL_BIRTH_DATE,
}


def _pesel(raw: str, today: dt.date) -> tuple[str, LineProblem | None]:
    try:
        return parse_pesel(raw, today=today).pesel, None
    except InvalidPesel as exc:
        return raw.strip()[:11], _PESEL_PROBLEM[exc.problem.value]


def roster_file_read(
    raw: bytes,
    *,
    tiers: Iterable[TierName],
    today: dt.date,
    pesels_on_roster: Iterable[str] = (),
) -> RosterReport:
    """PKG-8: read and check a roster file; raises :class:`RosterFileError` when the file as a whole is unreadable.

    Every line is checked on its own (names, PESEL checksum and birth date, a tier the contract offers, dates and
    their order, the mobile of a main member, the e-mail) and against the others: a PESEL twice in the file makes
    every such line a duplicate (which of them is right is the sender's call), and a family member's holder must
    be a valid line of this file or, for ``pesels_on_roster`` (a partial upload), already on the roster.
    """
    text, had_bom = roster_text_decode(raw)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = _delimiter(first_line)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # e.g. an unclosed quotation mark swallowing the rest of the file past the field limit
        raise RosterFileError(FileProblem.NOT_CSV) from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise RosterFileError(FileProblem.EMPTY)
    header = [cell.strip().lower() for cell in rows[0]]
    missing = sorted(REQUIRED_COLUMNS - set(header), key=COLUMNS.index)
    if missing:
        raise RosterFileError(FileProblem.MISSING_COLUMNS, ", ".join(missing))
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise RosterFileError(FileProblem.UNKNOWN_COLUMNS, ", ".join(unknown[:5]) or ", ".join(header))
    if len(rows) - 1 > MAX_LINES:
        raise RosterFileError(FileProblem.TOO_MANY_LINES)
    tier_index = _tier_index(tiers)

    checked: list[RosterLine] = []
    for number, row in enumerate(rows[1:], start=2):
        problems: list[LineProblem] = []
        if len(row) != len(header):
            problems.append(LineProblem.FIELD_COUNT)
        cells: Mapping[str, str] = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        first_name, last_name = cells.get("first_name", ""), cells.get("last_name", "")
        problems += _name_problems(first_name, FIRST_NAME_MAX)
        problems += [p for p in _name_problems(last_name, LAST_NAME_MAX) if p not in problems]
        pesel, pesel_problem = _pesel(cells.get("pesel", ""), today)
        if pesel_problem is not None:
            problems.append(pesel_problem)
        tier_label = cells.get("tier", "")
        tier = tier_index.get(tier_label.casefold())
        if tier is None:
            problems.append(LineProblem.TIER_UNKNOWN)
        activation, paid_through = _date(cells.get("activation_date", "")), _date(cells.get("paid_through", ""))
        if activation is None or paid_through is None:
            problems.append(LineProblem.DATE_INVALID)
        elif paid_through < activation:
            problems.append(LineProblem.DATES_ORDER)
        holder_raw = cells.get("holder_pesel", "")
        holder = ""
        if holder_raw:
            holder, holder_problem = _pesel(holder_raw, today)
            if holder_problem is not None:
                problems.append(LineProblem.HOLDER_PESEL_INVALID)
            elif holder == pesel:
                problems.append(LineProblem.HOLDER_IS_SELF)
        mobile = cells.get("mobile", "")
        if mobile:
            try:
                mobile = normalize_mobile(mobile)
            except InvalidPhone:
                problems.append(LineProblem.MOBILE_INVALID)
                mobile = mobile[:16]
        elif not holder_raw:
            problems.append(LineProblem.MOBILE_MISSING)
        email = cells.get("email", "")
        if email and (len(email) > EMAIL_MAX or not _EMAIL.match(email) or text_problem(email) is not None):
            problems.append(LineProblem.EMAIL_INVALID)
            email = ""
        checked.append(
            RosterLine(
                number=number,
                first_name=first_name[:FIRST_NAME_MAX],
                last_name=last_name[:LAST_NAME_MAX],
                pesel=pesel,
                tier_id=tier.id if tier else None,
                tier_label=tier_label[:60],
                activation_date=activation,
                paid_through=paid_through,
                mobile=mobile,
                email=email,
                holder_pesel=holder,
                problems=tuple(problems),
            )
        )

    counts = Counter(line.pesel for line in checked if LineProblem.PESEL_FORMAT not in line.problems)
    numbers_by_pesel: dict[str, list[int]] = {}
    for line in checked:
        numbers_by_pesel.setdefault(line.pesel, []).append(line.number)
    lines: list[RosterLine] = []
    for line in checked:
        if counts.get(line.pesel, 0) > 1:
            others = tuple(n for n in numbers_by_pesel[line.pesel] if n != line.number)
            line = _with(line, LineProblem.DUPLICATE, duplicate_of=others)
        lines.append(line)
    members = {line.pesel for line in lines if line.valid and not line.holder_pesel} | set(pesels_on_roster)
    final = [
        _with(line, LineProblem.HOLDER_NOT_ON_ROSTER)
        if line.holder_pesel and not line.problems and line.holder_pesel not in members
        else line
        for line in lines
    ]
    return RosterReport(
        lines=tuple(final),
        delimiter=delimiter,
        had_bom=had_bom,
        pesels_in_file=frozenset(line.pesel for line in final if line.pesel),
    )


def _with(line: RosterLine, problem: LineProblem, *, duplicate_of: tuple[int, ...] = ()) -> RosterLine:
    return RosterLine(
        number=line.number,
        first_name=line.first_name,
        last_name=line.last_name,
        pesel=line.pesel,
        tier_id=line.tier_id,
        tier_label=line.tier_label,
        activation_date=line.activation_date,
        paid_through=line.paid_through,
        mobile=line.mobile,
        email=line.email,
        holder_pesel=line.holder_pesel,
        problems=(*line.problems, problem),
        duplicate_of=duplicate_of or line.duplicate_of,
    )


def pesel_masked(pesel: str) -> str:
    """PKG-8: a PESEL as the roster shows it — the last four digits only (enough to tell two namesakes apart)."""
    return "•" * max(len(pesel) - 4, 0) + pesel[-4:]


class RosterStatus(StrEnum):
    """Where a person on the roster stands on a day (PKG-3)."""

    NOT_YET_ACTIVE = "not_yet_active"
    ACTIVE = "active"
    ENDED = "ended"


def roster_status(*, activation_date: dt.date, paid_through: dt.date, day: dt.date) -> RosterStatus:
    """PKG-3: entitled from the activation date through the last paid day, both inclusive."""
    if day < activation_date:
        return RosterStatus.NOT_YET_ACTIVE
    if day > paid_through:
        return RosterStatus.ENDED
    return RosterStatus.ACTIVE
