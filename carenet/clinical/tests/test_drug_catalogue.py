"""The drug catalogue ships as data (CLN-5): the file is complete and consistent, and its migration loads it
idempotently."""

from __future__ import annotations

import csv

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.clinical import catalogue
from carenet.clinical.models import Drug
from carenet.clinical.services import drug_catalogue_load


def _rows() -> list[dict[str, str]]:
    with catalogue.CATALOGUE.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _gtin_check_ok(code: str) -> bool:
    total = sum((3 if index % 2 else 1) * int(digit) for index, digit in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


def test_the_file_has_unique_valid_codes_no_empty_fields_and_at_least_300_drugs() -> None:
    rows = _rows()
    assert len(rows) >= 300
    assert list(rows[0]) == ["code", "name", "substance", "form", "strength", "pack"]
    codes = [row["code"] for row in rows]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 13 and code.isascii() and code.isdigit() and _gtin_check_ok(code) for code in codes)
    assert all(value.strip() == value and value for row in rows for value in row.values())
    described = [(row["name"], row["form"], row["strength"], row["pack"]) for row in rows]
    assert len(set(described)) == len(described)
    for row in rows:  # fits the model's columns
        for field in ("name", "substance", "form", "strength", "pack", "code"):
            assert len(row[field]) <= Drug._meta.get_field(field).max_length, (field, row[field])


@pytest.mark.django_db
def test_the_migration_loaded_the_catalogue_and_loading_again_changes_nothing_but_corrections() -> None:
    rows = _rows()
    assert Drug.objects.filter(code__in=[row["code"] for row in rows]).count() == len(rows)
    first = rows[0]
    Drug.objects.filter(code=first["code"]).update(name="zmieniona nazwa")
    assert drug_catalogue_load() == 1
    assert drug_catalogue_load() == 0
    assert Drug.objects.filter(code__in=[row["code"] for row in rows]).count() == len(rows)
    assert Drug.objects.get(code=first["code"]).name == first["name"]


@pytest.mark.django_db
def test_an_emptied_database_gets_the_catalogue_back_in_a_few_queries() -> None:
    Drug.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        assert drug_catalogue_load() == len(_rows())
    assert Drug.objects.count() == len(_rows())
    assert len(queries.captured_queries) <= 6


@pytest.mark.django_db
def test_the_catalogue_can_be_searched_by_name_or_substance() -> None:
    from carenet.clinical.selectors import drug_search

    found = list(drug_search("metformin"))
    assert found and all("metformin" in (d.name + d.substance).lower() for d in found)
