"""The query form of the age rule agrees with age_on (art. 112 k.c.) on every day, leap days included."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from carenet.core.dates import age_on, latest_birth_date_of_age


@given(
    birth=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)),
    age=st.integers(min_value=0, max_value=30),
)
def test_latest_birth_date_of_age_matches_age_on(birth: dt.date, day: dt.date, age: int) -> None:
    if day < birth:
        return
    assert (age_on(birth, day) >= age) == (birth <= latest_birth_date_of_age(age, day))


def test_leap_day_edges() -> None:
    # Born 29 February 2008: 18 on 28 February 2026 (a common year), not on 27 February.
    born = dt.date(2008, 2, 29)
    assert latest_birth_date_of_age(18, dt.date(2026, 2, 28)) >= born
    assert latest_birth_date_of_age(18, dt.date(2026, 2, 27)) < born
    # On 29 February 2028 those born on 28 February 2010 (a common year) are 18.
    assert latest_birth_date_of_age(18, dt.date(2028, 2, 29)) == dt.date(2010, 2, 28)
    for day in (dt.date(2026, 2, 28), dt.date(2028, 2, 29), dt.date(2026, 3, 1)):
        for offset in range(-3, 4):
            birth = latest_birth_date_of_age(18, day) + dt.timedelta(days=offset)
            assert (age_on(birth, day) >= 18) == (offset <= 0)
