"""NET-1 / NET-3 pure rules: opening hours and closures."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.network import policies


def test_net1_valid_opening_hours_have_no_problems() -> None:
    assert policies.opening_hours_problems({"mon": [["07:00", "12:00"], ["13:00", "20:00"]], "sat": []}) == []


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ({"mon": [["20:00", "07:00"]]}, policies.HoursProblem("closes_before_opening", "mon", "", "20:00", "07:00")),
        ({"monday": [["07:00", "20:00"]]}, policies.HoursProblem("unknown_weekday", "monday")),
        ({"tue": [["7:00", "20:00"]]}, policies.HoursProblem("bad_time", "tue", "", "7:00", "20:00")),
        (
            {"wed": [["07:00", "14:00"], ["13:00", "20:00"]]},
            policies.HoursProblem("overlapping_ranges", "wed", "", "13:00", "20:00"),
        ),
        ({"thu": "07-20"}, policies.HoursProblem("not_a_list", "thu")),
        ({"fri": [["07:00"]]}, policies.HoursProblem("not_a_pair", "fri", "['07:00']")),
        (["07:00"], policies.HoursProblem("not_a_mapping")),
    ],
)
def test_net1_bad_opening_hours_say_what_is_wrong(hours: object, expected: policies.HoursProblem) -> None:
    assert policies.opening_hours_problems(hours) == [expected]


def test_is_open_at() -> None:
    hours = {"mon": [["07:00", "20:00"]]}
    monday = dt.datetime(2026, 11, 23, 19, 59)
    assert policies.is_open_at(hours, monday)
    assert not policies.is_open_at(hours, monday.replace(hour=20, minute=0))
    assert not policies.is_open_at(hours, monday + dt.timedelta(days=1))


def test_net3_closure_overlap_is_half_open() -> None:
    start, end = dt.datetime(2026, 12, 1, 8), dt.datetime(2026, 12, 2, 8)
    assert policies.closures_overlap([(start, end)], dt.datetime(2026, 12, 1, 9), dt.datetime(2026, 12, 1, 9, 15))
    assert not policies.closures_overlap([(start, end)], end, end + dt.timedelta(minutes=15))


@pytest.mark.django_db
def test_net4_professor_consultations_are_those_of_habilitated_doctors_and_professors() -> None:
    """NET-4 / PKG-1: the academic title decides whether a consultation is a professor consultation (Premium)."""
    from carenet.network.models import Clinician
    from carenet.network.tests.factories import ClinicianFactory

    titles = {title: ClinicianFactory(title=title).is_professor for title in Clinician.Title.values}
    assert titles == {
        "": False,
        "lek.": False,
        "dr n. med.": False,
        "dr hab. n. med.": True,
        "prof. dr hab. n. med.": True,
    }
