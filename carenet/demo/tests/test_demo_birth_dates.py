"""The demo's people are born to their ages on any day the demo is made, 29 February included (make demo runs on
whatever day it is run; date.replace(year=…) raised ValueError for a 29 February)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from carenet.core.dates import age_on
from carenet.demo.people import _birth_date


@pytest.mark.parametrize(
    "today",
    [dt.date(2028, 2, 29), dt.date(2027, 2, 28), dt.date(2027, 3, 1), dt.date(2026, 12, 5), dt.date(2027, 1, 1)],
)
@pytest.mark.parametrize(("min_age", "max_age"), [(0, 17), (18, 65), (20, 42), (66, 90)])
def test_every_birth_date_is_of_an_age_within_the_range(today: dt.date, min_age: int, max_age: int) -> None:
    rng = random.Random(7)
    ages = {age_on(_birth_date(rng, today, min_age, max_age), today) for _ in range(400)}
    assert min(ages) >= min_age and max(ages) <= max_age
    assert len(ages) > (max_age - min_age) // 2  # spread over the range, not one age
