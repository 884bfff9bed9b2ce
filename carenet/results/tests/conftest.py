from __future__ import annotations

import pytest

from tests.cast import Cast, build_cast, with_collection


@pytest.fixture
def cast(db: None) -> Cast:
    """The role cast, with Anna's laboratory result and Ewa Nowak, whom Anna authorised to collect it (CLN-3)."""
    return with_collection(build_cast())
