from __future__ import annotations

import pytest

from carenet.consultations.tests.factories import ConsultationWorld, build_consultation_world


@pytest.fixture
def cw(db: None) -> ConsultationWorld:
    return build_consultation_world()
