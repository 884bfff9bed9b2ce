from __future__ import annotations

import pytest

from carenet.consultations.tests.factories import ConsultationWorld, build_consultation_world


@pytest.fixture
def cw(db: None) -> ConsultationWorld:
    return build_consultation_world()


# Race tests on SQLite run on a file database, as the booking races do.
from carenet.booking.tests.conftest import sqlite_file_database  # noqa: E402, F401
