"""The drug catalogue shipped as data (``clinical/data/drugs.csv``, CLN-5): common medicines in Poland under their
generic names, each with a stable 13-digit code. Loaded by a migration, and again by whoever empties the database
(the demo's ``--reset``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "data" / "drugs.csv"
FIELDS = ("name", "substance", "form", "strength", "pack")


def catalogue_rows() -> dict[str, dict[str, str]]:
    """The file's drugs by code."""
    with CATALOGUE.open(encoding="utf-8", newline="") as file:
        return {row["code"]: row for row in csv.DictReader(file)}


def catalogue_load(drug_model: Any) -> int:
    """Add the file's drugs that are missing and correct those whose description changed (by code); drugs outside
    the file are left as they are (prescriptions name them). Idempotent; a few queries whatever the size. Takes the
    model so that the migration can pass its historical one. Returns how many rows were written."""
    rows = catalogue_rows()
    existing = {drug.code: drug for drug in drug_model.objects.filter(code__in=list(rows))}
    changed = []
    for code, drug in existing.items():
        row = rows[code]
        if any(getattr(drug, field) != row[field] for field in FIELDS):
            for field in FIELDS:
                setattr(drug, field, row[field])
            changed.append(drug)
    drug_model.objects.bulk_update(changed, FIELDS, batch_size=500)
    added = drug_model.objects.bulk_create(
        [
            drug_model(code=code, **{field: row[field] for field in FIELDS})
            for code, row in rows.items()
            if code not in existing
        ],
        batch_size=500,
    )
    return len(changed) + len(added)
