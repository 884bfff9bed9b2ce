"""The results' reads (CLN-3): the lists' "a value is out of range" agrees with the mark a page shows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carenet.results.models import Observation, Result
from carenet.results.presentation import observation_mark
from carenet.results.selectors import _with_out_of_range
from carenet.results.tests.factories import ObservationFactory

pytestmark = pytest.mark.django_db

LOW, HIGH = Decimal("12.0"), Decimal("16.0")


@pytest.mark.parametrize(
    ("flag", "value", "out"),
    [
        ("H", "13", True),
        ("l", "13", True),
        ("A", None, True),
        ("N", "30", False),
        ("", "16.1", True),
        ("", "11.9", True),
        ("", "14", False),
        ("U", "20", True),
        ("", None, False),
    ],
)
def test_the_lists_out_of_range_question_agrees_with_the_mark(flag: str, value: str | None, out: bool) -> None:
    """The list's "a value is out of range" (a subquery) and a value's mark (Python) apply the same rule."""
    number = Decimal(value) if value is not None else None
    observation = ObservationFactory(abnormal_flag=flag, value=value or "dodatni", numeric_value=number)
    assert observation_mark(flag=flag, value=number, low=LOW, high=HIGH).out_of_range is out
    listed = _with_out_of_range(Result.objects.filter(pk=observation.result_id)).get()
    assert listed.any_out_of_range is out
    assert Observation.objects.count() == 1
