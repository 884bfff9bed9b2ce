from __future__ import annotations

import pytest

from tests.cast import Cast, build_cast, with_renewals


@pytest.fixture
def cast(db: None) -> Cast:
    """The role cast, with Anna's earlier prescriptions and a renewal waiting in clinician_with's queue (CLN-2)."""
    return with_renewals(build_cast())
