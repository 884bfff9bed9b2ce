"""A new row unless a unique key already has one, in ONE statement (issue 16): ``INSERT … ON CONFLICT DO NOTHING
RETURNING id`` on PostgreSQL and SQLite (3.35+). Where a caller used to insert in a savepoint of its own and catch
the IntegrityError (SAVEPOINT, INSERT, RELEASE SAVEPOINT: three statements), the database answers "already there"
without an error that would end the transaction; a row that breaks any other constraint (NOT NULL, CHECK) is still
an IntegrityError.

On PostgreSQL an insert that meets a key another transaction is still writing waits for that transaction to end,
then inserts (it rolled back) or does nothing (it committed) — as the plain insert did before failing. A model the
statement is not written for (a value that is an expression) goes through the ORM's own statement, which on SQLite
is ``INSERT OR IGNORE`` and also skips a row that breaks a NOT NULL or CHECK constraint: a caller that finds no row
under the key afterwards must raise, as it did when the IntegrityError was not the key's."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from carenet.core.baked import statement_cursor


def insert_unless_present(instance: Model, *, using: str | None = None) -> bool:
    """Insert ``instance`` as ``save(force_insert=True)`` writes it (the fields' ``pre_save``: ``auto_now_add`` …)
    unless a unique constraint already has its row; True and the new primary key on ``instance`` if inserted.

    The one statement sends no ``pre_save``/``post_save`` signals, so it is only used while the model has no
    receivers: once one listens (an audit log registered later, a cache kept in step), ``save()`` in a savepoint
    of its own writes the row as before — the receivers hear every new row, a known key is still False."""
    model = type(instance)
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
    statement = _insert_statement(model, alias, with_pk=instance.pk is not None, ignore=True)
    if statement is None or _has_expression(instance, statement):
        return _insert_compiled(instance, alias)
    return _run_insert(instance, statement)


def _insert_compiled(instance: Model, alias: str) -> bool:
    """:func:`insert_unless_present`'s statement compiled by the ORM (a model :func:`_insert_statement` does not
    write)."""
    model = type(instance)
    meta = model._meta
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
    _read_back(instance, list(meta.db_returning_fields), row, alias)
    return True


# --- A new row, and columns of one row, as prepared statements ------------------------------------------------


def insert_new(instance: Model, *, using: str | None = None) -> None:
    """``instance.save(force_insert=True)`` as one prepared statement (issue 16): the same ``pre_save`` and
    ``post_save`` signals, the same values (each field's ``pre_save``, ``auto_now_add`` …, adapted by
    ``get_db_prep_save``), the primary key read back, an error marks the transaction for rollback as ``save()``
    does — only the SQL is written once per model and database instead of compiled at every insert (a booking's
    appointment and its audit entry: about 0.5 ms of Python each).

    A model with a parent table, a value that is an expression (``F()``, ``Now()``) or a field with a placeholder of
    its own is saved by ``save()`` itself."""
    model = type(instance)
    statement = _insert_statement(
        model,
        router.db_for_write(model, instance=instance) if using is None else using,
        with_pk=instance.pk is not None,
    )
    if statement is None or _has_expression(instance, statement):
        instance.save(force_insert=True, using=using)
        return
    alias = statement.alias
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]  # as save()
    pre_save.send(sender=model, instance=instance, raw=False, using=alias, update_fields=None)
    _run_insert(instance, statement)
    post_save.send(sender=model, instance=instance, created=True, update_fields=None, raw=False, using=alias)


def update_row(model: type[Model], pk: Any, *, using: str | None = None, **values: Any) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` for plain values (no expressions) as one prepared statement
    written once per model, database and set of columns (issue 16); as ``update()``, no signal is sent. Returns how
    many rows changed (0 or 1)."""
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    names = tuple(values)
    sql, fields = _update_statement(model, alias, names)
    params = [field.get_db_prep_save(values[field.name], connection=connection) for field in fields]
    params.append(model._meta.pk.get_db_prep_value(pk, connection))
    with transaction.mark_for_rollback_on_error(using=alias), statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _has_expression(instance: Model, statement: _Insert) -> bool:
    return any(hasattr(getattr(instance, field.attname, None), "resolve_expression") for field in statement.fields)


def _run_insert(instance: Model, statement: _Insert) -> bool:
    """Run ``statement`` with ``instance``'s values; False if it wrote nothing (a known key, ignored)."""
    connection = connections[statement.alias]
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection=connection) for field in statement.fields
    ]
    with transaction.mark_for_rollback_on_error(using=statement.alias), statement_cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    _read_back(instance, statement.returning, row, statement.alias)
    return True


def _read_back(instance: Model, returning: Sequence[Any], row: Sequence[Any], alias: str) -> None:
    connection = connections[alias]
    for field, value in zip(returning, row, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = alias


@dataclass(frozen=True)
class _Insert:
    alias: str
    sql: str
    fields: tuple[Any, ...]
    returning: tuple[Any, ...]


@functools.cache
def _insert_statement(model: type[Model], alias: str, *, with_pk: bool, ignore: bool = False) -> _Insert | None:
    """The INSERT … RETURNING of ``model``'s row, written once (with ``ignore``: a row whose unique key is already
    there is skipped, ON CONFLICT DO NOTHING / OR IGNORE); None for a model it cannot be written for."""
    meta = model._meta
    connection = connections[alias]
    if meta.parents or meta.proxy or not connection.features.can_return_columns_from_insert:
        return None
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if not field.generated and (with_pk or field is not meta.auto_field)
    )
    if any(hasattr(field, "get_placeholder") for field in fields):
        return None
    quote = connection.ops.quote_name
    returning = tuple(meta.db_returning_fields)
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join("%s" for _field in fields)
    back = ", ".join(f"{quote(meta.db_table)}.{quote(field.column)}" for field in returning)
    conflict = OnConflict.IGNORE if ignore else None
    insert = connection.ops.insert_statement(on_conflict=conflict)
    suffix = connection.ops.on_conflict_suffix_sql(fields, conflict, None, None) if ignore else ""
    if ignore and connection.vendor in ("postgresql", "sqlite"):
        # Only a unique key's conflict is skipped (SQLite's OR IGNORE would skip a NOT NULL or CHECK failure too).
        insert, suffix = "INSERT INTO", "ON CONFLICT DO NOTHING"
    sql = f"{insert} {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) {suffix} RETURNING {back}"
    sql = " ".join(sql.split())
    return _Insert(alias=alias, sql=sql, fields=fields, returning=returning)


@functools.cache
def _update_statement(model: type[Model], alias: str, names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    quote = connections[alias].ops.quote_name
    fields = tuple(meta.get_field(name) for name in names)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)  # type: ignore[union-attr,arg-type]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    return sql, fields
