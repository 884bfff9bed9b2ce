"""The back office's change log (django-auditlog) for CareNet's records.

:func:`audit` registers a model so that each change is kept with who made it, limited to the model's own columns.
Without the limit django-auditlog also reads every reverse one-to-one relation of a record it logs (a new
appointment: "which visit was rescheduled to it?", "which referral does it use?") — two queries per booking that
tell nothing about the change (found by the B3 benchmark, issue 5).
"""

from __future__ import annotations

from typing import TypeVar

from auditlog.registry import auditlog
from django.db.models import Model

M = TypeVar("M", bound=type[Model])


def audit(model: M, *, exclude: tuple[str, ...] = ()) -> M:
    """Keep the back office's changes to ``model`` with who made them; only its own columns are compared, less
    ``exclude`` (a column too large or too sensitive to copy into the log, such as a received message's text)."""
    fields = [field.name for field in model._meta.concrete_fields if field.name not in exclude]
    auditlog.register(model, include_fields=fields)
    return model
