"""Fast row writing for the demo: table and column names come from the ORM models (``_meta``), rows go through the
database driver's ``executemany`` in batches instead of one model instance per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

BATCH_ROWS = 5000


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    name = getattr(field, "column", None)
    if not isinstance(name, str):
        raise ValueError(f"{model.__name__}.{field_name} is not a column")
    return connection.ops.quote_name(name)


def datetime_adapter() -> Callable[[dt.datetime | None], Any]:
    """How an aware UTC datetime is bound: SQLite stores Django's naive-UTC text, PostgreSQL takes it as is."""
    if connection.vendor == "sqlite":

        def to_sqlite(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

        return to_sqlite
    return lambda value: value


def next_id(model: type[Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({column(model, 'id')}) FROM {table(model)}")  # noqa: S608 - names from _meta
        (highest,) = cursor.fetchone()
    return int(highest or 0) + 1


def insert_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into the model's table; returns how many."""
    columns = ", ".join(column(model, name) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table(model)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from _meta
    written = 0
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def reset_sequences(*models: type[Model]) -> None:
    """After rows were written with explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def mark_taken_slots() -> int:
    """Set-based: mark every slot held by an active appointment as not free (the flag the search index reads)."""
    from carenet.booking.models import Appointment
    from carenet.scheduling.models import Slot

    if connection.vendor == "postgresql":
        # Freshly bulk-loaded tables have no statistics (autovacuum cannot see an open transaction's rows), and
        # without them the planner may pick a quadratic plan for the semi-join below.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table(Slot)}, {table(Appointment)}")
    active = [str(status) for status in Appointment.ACTIVE_STATUSES]
    return Slot.objects.filter(
        pk__in=Appointment.objects.filter(status__in=active).values("slot_id"), is_free=True
    ).update(is_free=False)
