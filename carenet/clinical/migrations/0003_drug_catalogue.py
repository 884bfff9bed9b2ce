"""Loads the drug catalogue shipped as data (``clinical/data/drugs.csv``, see :mod:`carenet.clinical.catalogue`): a
drug whose code exists is updated, a new one is added; drugs outside the file are left as they are. Running it
again changes nothing."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from carenet.clinical.catalogue import catalogue_load


def load_catalogue(apps: Any, schema_editor: Any) -> None:
    catalogue_load(apps.get_model("clinical", "Drug"))


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_clinical_documents")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop, elidable=False)]
