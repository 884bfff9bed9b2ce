"""The roster file, read and checked line by line before anything is stored (PKG-8): pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.core.spreadsheets import spreadsheet_safe
from carenet.coverage.roster import (
    MAX_FILE_BYTES,
    FileProblem,
    LineProblem,
    RosterFileError,
    RosterStatus,
    TierName,
    pesel_masked,
    roster_file_read,
    roster_status,
)

TODAY = dt.date(2026, 12, 5)
TIERS = [TierName(id=1, code="standardowy", name="Pakiet Standardowy", name_en="Standard Package")]
HEADER = "first_name;last_name;pesel;tier;activation_date;paid_through;mobile;email;holder_pesel"


def pesel_for(birth: dt.date, serial: int = 123, female: bool = True) -> str:
    """A valid PESEL for a birth date (the month carries the century) and a serial."""
    month = birth.month + (20 if birth.year >= 2000 else 0)
    sex = (serial * 2) % 10 if female else (serial * 2 + 1) % 10
    return with_check(f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 1000:03d}{sex}")


def with_check(body: str) -> str:
    """Ten digits and the PESEL check digit."""
    check = (10 - sum(int(d) * w for d, w in zip(body, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), strict=True)) % 10) % 10
    return body + str(check)


ANNA = pesel_for(dt.date(1985, 3, 14), 101)
JAN = pesel_for(dt.date(1980, 7, 2), 202, female=False)
ZOSIA = pesel_for(dt.date(2015, 5, 20), 303)


def read(text: str, *, on_roster: tuple[str, ...] = ()) -> list:
    return list(roster_file_read(text.encode("utf-8"), tiers=TIERS, today=TODAY, pesels_on_roster=on_roster).lines)


def test_a_valid_file_reads_every_person_with_the_tier_dates_and_normalised_mobile() -> None:
    lines = read(
        f"{HEADER}\nAnna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601 234 567;anna@example.com;\n"
        f"Zosia;Nowak;{ZOSIA};Pakiet Standardowy;01.01.2026;31.12.2026;;;{ANNA}\n"
    )
    assert [line.problems for line in lines] == [(), ()]
    anna, zosia = lines
    assert (anna.number, anna.tier_id, anna.mobile, anna.activation_date) == (2, 1, "+48601234567", dt.date(2026, 1, 1))
    assert zosia.holder_pesel == ANNA and zosia.paid_through == dt.date(2026, 12, 31)


def test_commas_a_bom_and_columns_in_another_order_are_read() -> None:
    text = (
        "pesel,first_name,last_name,tier,activation_date,paid_through,mobile\n"
        f"{JAN},Jan,Kowalski,standardowy,2026-02-01,2026-03-31,601234567\n"
    )
    report = roster_file_read(b"\xef\xbb\xbf" + text.encode(), tiers=TIERS, today=TODAY)
    assert report.delimiter == "," and report.had_bom
    assert report.lines[0].valid and report.lines[0].first_name == "Jan"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"Anna;Nowak;{ANNA[:-1]}0;standardowy;2026-01-01;2026-12-31;601234567;;", LineProblem.PESEL_CHECKSUM),
        ("Anna;Nowak;8503;standardowy;2026-01-01;2026-12-31;601234567;;", LineProblem.PESEL_FORMAT),
        (
            f"Anna;Nowak;{with_check('8513311234')};standardowy;2026-01-01;2026-12-31;601234567;;",
            LineProblem.PESEL_BIRTH_DATE,
        ),
        (f"Anna;Nowak;{ANNA};złoty;2026-01-01;2026-12-31;601234567;;", LineProblem.TIER_UNKNOWN),
        (f"Anna;Nowak;{ANNA};standardowy;2026-02-30;2026-12-31;601234567;;", LineProblem.DATE_INVALID),
        (f"Anna;Nowak;{ANNA};standardowy;9999-01-01;9999-12-31;601234567;;", LineProblem.DATE_INVALID),
        (f"Anna;Nowak;{ANNA};standardowy;2026-12-31;2026-01-01;601234567;;", LineProblem.DATES_ORDER),
        (f"Anna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;;;", LineProblem.MOBILE_MISSING),
        (f"Anna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;221234567;;", LineProblem.MOBILE_INVALID),
        (f"Anna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567;anna@;", LineProblem.EMAIL_INVALID),
        (f";Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567;;", LineProblem.NAME_MISSING),
        (f"Anna3;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567;;", LineProblem.NAME_CHARACTERS),
        (f"Anna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567", LineProblem.FIELD_COUNT),
        (f"Zosia;Nowak;{ZOSIA};standardowy;2026-01-01;2026-12-31;;;{ZOSIA}", LineProblem.HOLDER_IS_SELF),
        (f"Zosia;Nowak;{ZOSIA};standardowy;2026-01-01;2026-12-31;;;{ANNA}", LineProblem.HOLDER_NOT_ON_ROSTER),
        (f"Zosia;Nowak;{ZOSIA};standardowy;2026-01-01;2026-12-31;;;12345", LineProblem.HOLDER_PESEL_INVALID),
    ],
)
def test_each_problem_is_named_on_its_line(line: str, problem: LineProblem) -> None:
    (checked,) = read(f"{HEADER}\n{line}\n")
    assert problem in checked.problems
    assert not checked.valid


def test_a_holder_already_on_the_roster_is_enough_for_a_partial_upload() -> None:
    (zosia,) = read(f"{HEADER}\nZosia;Nowak;{ZOSIA};standardowy;2026-01-01;2026-12-31;;;{ANNA}\n", on_roster=(ANNA,))
    assert zosia.valid


def test_a_pesel_twice_makes_both_lines_duplicates_naming_each_other() -> None:
    lines = read(
        f"{HEADER}\nAnna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567;;\n"
        f"Jan;Kowalski;{JAN};standardowy;2026-01-01;2026-12-31;601234568;;\n"
        f"Anna;Nowakowa;{ANNA};standardowy;2026-01-01;2026-06-30;601234567;;\n"
    )
    assert [line.valid for line in lines] == [False, True, False]
    assert lines[0].duplicate_of == (4,) and lines[2].duplicate_of == (2,)


def test_a_family_member_of_an_invalid_main_member_is_not_applied_either() -> None:
    lines = read(
        f"{HEADER}\nAnna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;;;\n"
        f"Zosia;Nowak;{ZOSIA};standardowy;2026-01-01;2026-12-31;;;{ANNA}\n"
    )
    assert LineProblem.MOBILE_MISSING in lines[0].problems
    assert LineProblem.HOLDER_NOT_ON_ROSTER in lines[1].problems


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", FileProblem.EMPTY),
        (b"  \n\n", FileProblem.EMPTY),
        (HEADER.encode() + b"\nAnna\x00;Nowak\n", FileProblem.NUL),
        ("imię;nazwisko\nŻaneta;Łącka\n".encode("cp1250"), FileProblem.NOT_UTF8),
        (b"first_name;last_name\nAnna;Nowak\n", FileProblem.MISSING_COLUMNS),
        ((HEADER + ";salary").encode() + b"\n", FileProblem.UNKNOWN_COLUMNS),
        (b"x" * (MAX_FILE_BYTES + 1), FileProblem.TOO_BIG),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(raw: bytes, problem: FileProblem) -> None:
    with pytest.raises(RosterFileError) as refused:
        roster_file_read(raw, tiers=TIERS, today=TODAY)
    assert refused.value.problem is problem


def test_too_many_lines_are_refused_whole() -> None:
    line = f"Anna;Nowak;{ANNA};standardowy;2026-01-01;2026-12-31;601234567;;\n"
    with pytest.raises(RosterFileError) as refused:
        roster_file_read((HEADER + "\n" + line * 20_001).encode(), tiers=TIERS, today=TODAY)
    assert refused.value.problem is FileProblem.TOO_MANY_LINES


def test_the_missing_columns_are_named() -> None:
    with pytest.raises(RosterFileError) as refused:
        roster_file_read(b"first_name;last_name;pesel\n", tiers=TIERS, today=TODAY)
    assert refused.value.detail == "tier, activation_date, paid_through, mobile"


def test_export_cells_never_run_as_formulas() -> None:
    assert spreadsheet_safe('=HYPERLINK("http://evil","x")') == '\'=HYPERLINK("http://evil","x")'
    assert [spreadsheet_safe(v) for v in ("+48601", "-1", "@SUM(A1)", "\tx")] == ["'+48601", "'-1", "'@SUM(A1)", "'\tx"]
    assert spreadsheet_safe("Nowak") == "Nowak"


def test_the_roster_shows_the_pesels_last_four_digits_only() -> None:
    assert pesel_masked("85031410123") == "•••••••0123"


def test_entitlement_runs_from_activation_through_the_last_paid_day() -> None:
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    assert (
        roster_status(activation_date=start, paid_through=end, day=dt.date(2025, 12, 31)) is RosterStatus.NOT_YET_ACTIVE
    )
    assert roster_status(activation_date=start, paid_through=end, day=end) is RosterStatus.ACTIVE
    assert roster_status(activation_date=start, paid_through=end, day=dt.date(2026, 7, 1)) is RosterStatus.ENDED
