"""Loads the drug catalogue shipped as data (``clinical/data/drugs.csv``): a drug whose code exists is updated, a new
one is added; drugs outside the file are left as they are (prescriptions name them). Running it again changes
nothing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.db import migrations

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "drugs.csv"
FIELDS = ("name", "substance", "form", "strength", "pack")


def load_catalogue(apps: Any, schema_editor: Any) -> None:
    drug_model = apps.get_model("clinical", "Drug")
    with CATALOGUE.open(encoding="utf-8", newline="") as file:
        rows = {row["code"]: row for row in csv.DictReader(file)}
    existing = {drug.code: drug for drug in drug_model.objects.filter(code__in=rows)}
    changed = []
    for code, row in rows.items():
        drug = existing.get(code)
        if drug is None:
            continue
        if any(getattr(drug, field) != row[field] for field in FIELDS):
            for field in FIELDS:
                setattr(drug, field, row[field])
            changed.append(drug)
    drug_model.objects.bulk_update(changed, FIELDS, batch_size=500)
    drug_model.objects.bulk_create(
        [drug_model(code=code, **{field: row[field] for field in FIELDS}) for code, row in rows.items() if code not in existing],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_clinical_documents")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop, elidable=False)]
