"""A new row unless a unique key already has one, in ONE statement (issue 16): ``INSERT … ON CONFLICT DO NOTHING
RETURNING id`` on PostgreSQL, ``INSERT OR IGNORE … RETURNING id`` on SQLite (3.35+). Where a caller used to insert
in a savepoint of its own and catch the IntegrityError (SAVEPOINT, INSERT, RELEASE SAVEPOINT: three statements),
the database answers "already there" without an error that would end the transaction.

On PostgreSQL an insert that meets a key another transaction is still writing waits for that transaction to end,
then inserts (it rolled back) or does nothing (it committed) — as the plain insert did before failing. SQLite's
``OR IGNORE`` also skips a row that breaks a NOT NULL or CHECK constraint: a caller that finds no row under the key
afterwards must raise, as it did when the IntegrityError was not the key's."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery


def insert_unless_present(instance: Model, *, using: str | None = None) -> bool:
    """Insert ``instance`` as ``save(force_insert=True)`` writes it (the fields' ``pre_save``: ``auto_now_add`` …)
    unless a unique constraint already has its row; True and the new primary key on ``instance`` if inserted.

    The one statement sends no ``pre_save``/``post_save`` signals, so it is only used while the model has no
    receivers: once one listens (an audit log registered later, a cache kept in step), ``save()`` in a savepoint
    of its own writes the row as before — the receivers hear every new row, a known key is still False."""
    model = type(instance)
    meta = model._meta
    alias = using or router.db_for_write(model, instance=instance)
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        try:
            with transaction.atomic(using=alias):
                instance.save(force_insert=True, using=alias)
        except IntegrityError:
            instance.pk = None
            instance._state.adding = True
            return False
        return True
    connection = connections[alias]
    fields: list[Any] = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and not (field is meta.auto_field and instance.pk is None)
    ]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = meta.db_returning_fields
    [(sql, params)] = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    returning: list[Any] = list(meta.db_returning_fields)
    for field, value in zip(returning, row, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = alias
    return True
