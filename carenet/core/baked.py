"""Baked queries (issue 16, SPEC PERF): a fixed-shape ORM query compiled once per process and run again with new
values, as SQLAlchemy's "baked" queries are.

Django builds and compiles a queryset's SQL on every execution — for a query with a few joins and subqueries about
1–1.5 ms of Python, several times what PostgreSQL spends running it. A request that runs the same query shape on
every call (the API's bearer-token lookup) can keep the compiled statement:

    def live(day, *, key, now):
        return AccessToken.objects.filter(key_hash=key, expires_at__gt=now, created_on__lte=day)[:1]

    TOKEN = BakedQuery(AccessToken, live)
    record = TOKEN.first(shape=clock.today(), key="…", now=clock.now())

``build(shape, **values)`` must return the same SQL shape whatever the *baked* values (its keyword arguments): each
value may only be compared with a column (``field=value``, ``field__gt=value`` …), not decide which filters are
added. Anything that changes the shape — a date a condition is derived from, an optional filter — is the ``shape``
(a hashable key given to ``build`` as it is: a statement is compiled for each key met, e.g. once per day).

That is a contract, not something the class can prove: a ``build`` that branches on a value (``if name ==
…``, ``if value > 10``) may compile the same SQL for the two values tried below and then run it for a value that
should have taken the other branch. Keep ``build`` free of conditions on the baked values. As a safety net the
first run of a shape compiles the query twice, with the values given and with each value altered, and checks
that only the baked values' own positions among the parameters moved (and how Django adapted them for the database:
as they are, as a date or date-time column's value, or as a typed integer). Any other difference — the SQL itself
changed, a value appears transformed (``__startswith``), a parameter moved without a baked value — and the query
simply runs through the ORM each time, as before: baking never changes an answer. Rows become model instances exactly
as Django's own iterable makes them (``select_related`` objects, annotations, the database's converters); a
``values_list()`` query's rows (:meth:`BakedQuery.rows`) become tuples as Django's ``ValuesListIterable`` makes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # the ORM's own row reader
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)

M = TypeVar("M", bound=Model)
#: Statements kept per baked query (per database and shape key) before the oldest are forgotten.
KEPT_SHAPES = 8
#: The most values a statement is baked with. A call with more (a visit list of hundreds of ids, padded by
#: :func:`id_values`) runs through the ORM as before: checking a shape compares every parameter with every value
#: (quadratic: thousands of ids took minutes), a baked statement binds on the server, which takes at most 65,535
#: parameters, and such long lists are rare enough that compiling them each time costs nothing that matters.
MAX_BAKED_VALUES = 64
_MISSING: Any = object()


def _altered(value: Any, step: int = 1) -> Any:
    """A value of the same type, different from ``value`` (by ``step``), that Django adapts the same way. Each baked
    value is altered by a step of its own, so two values equal in one run (a patient's id and a specialty's) are
    told apart by where their altered values land."""
    if isinstance(value, bool) or value is None:
        raise TypeError("a baked value must be a string, a number, a date or a date-time")
    if isinstance(value, str):
        return value + "~" * step
    if isinstance(value, int | float):
        return value + step
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=step)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=step)
    raise TypeError(f"a baked value must be a string, a number, a date or a date-time, not {type(value).__name__}")


@dataclass(frozen=True)
class _Plan:
    """A compiled statement: its SQL, its parameters with the baked ones' positions, and what turns a row into an
    instance (the compiler that made it keeps the select list, the converters and the related objects' layout)."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str, Callable[[Any], Any]], ...]  # (position, name, adapter)
    compiler: Any
    tuples: bool  # a values_list() query: rows as tuples, not instances
    #: What the ORM works out again for every run, worked out once: each column's converters (position, functions,
    #: expression) and, for instances, the model, its columns' slice and names, the related objects' readers and
    #: the annotations' positions.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    reader: tuple[Any, int, int, list[str], list[Any], tuple[tuple[str, int], ...]] | None

    def params_for(self, values: dict[str, Any]) -> list[Any]:
        params = list(self.params)
        for position, name, adapt in self.slots:
            params[position] = adapt(values[name])
        return params


@dataclass(frozen=True)
class BoundQuery:
    """A fixed-shape query not yet built: ``build(**values)`` (issue 16). A baked query reads it as a subquery: the
    ``build`` function is part of the outer query's shape, its ``values`` are baked values of the outer query — so a
    query with a subquery from another app (the contracts' partners in a search) is compiled once, not built and
    compiled at every run. Iterating it runs the query through the ORM."""

    build: Callable[..., QuerySet[Any, Any]]
    values: tuple[tuple[str, Any], ...]

    def queryset(self) -> QuerySet[Any, Any]:
        return self.build(**dict(self.values))

    def __iter__(self) -> Any:
        return iter(self.queryset())


class BakedQuery(Generic[M]):
    """A query of ``model`` of ``build(**values)``'s shape, compiled once per database and ``shape`` key (the
    statements of up to ``kept_shapes`` keys are kept, :data:`KEPT_SHAPES` unless told)."""

    def __init__(
        self,
        model: type[M],
        build: Callable[..., QuerySet[M, Any]],
        *,
        for_write: bool = False,
        kept_shapes: int = KEPT_SHAPES,
    ) -> None:
        self.model = model
        self.build = build
        #: How many shapes' statements are kept before all are forgotten (a search has a shape per set of filters).
        self.kept_shapes = kept_shapes
        #: A locking statement (``select_for_update``) goes where writes go, as the ORM sends it (never a replica).
        self.for_write = for_write
        self._plans: dict[tuple[str, Hashable], _Plan | None] = {}
        self._lock = threading.Lock()

    def first(self, *, shape: Hashable = None, **values: Any) -> M | None:
        """The first row of ``build(**values)`` as a model instance (``None`` when there is none); ``build`` orders
        and slices as it needs (``[:1]``)."""
        rows = self.all(shape=shape, **values)
        return rows[0] if rows else None

    def all(self, *, shape: Hashable = None, **values: Any) -> list[M]:
        return self._fetch(shape, values)

    def rows(self, *, shape: Hashable = None, **values: Any) -> list[tuple[Any, ...]]:
        """The rows of ``build(**values)`` when it is a ``values_list()`` query: tuples, converted as the ORM converts
        them (a query of model instances answers :meth:`all`)."""
        return self._fetch(shape, values)

    def _fetch(self, shape: Hashable, values: dict[str, Any]) -> list[Any]:
        if len(values) > MAX_BAKED_VALUES:  # a long list of ids: the ORM, as before (and nothing kept)
            return list(self.build(shape, **values))
        queryset = None
        alias = router.db_for_write(self.model) if self.for_write else router.db_for_read(self.model)
        key = (alias, shape)
        plan = self._plans.get(key, _MISSING)
        if plan is _MISSING:
            queryset = self.build(shape, **values)
            plan = self._bake(queryset, shape, values, alias)
            with self._lock:
                if len(self._plans) >= self.kept_shapes:
                    self._plans.clear()  # e.g. one shape a day: the days gone are not asked again
                self._plans[key] = plan
        if plan is None:  # not bakeable: the ORM as usual
            return list(queryset if queryset is not None else self.build(shape, **values))
        return self._run(plan, values, alias)

    # --- internals ----------------------------------------------------------------------------------------------

    def _bake(self, queryset: QuerySet[M, Any], shape: Hashable, values: dict[str, Any], alias: str) -> _Plan | None:
        connection = connections[alias]
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable) or (
            queryset._iterable_class is ValuesListIterable and queryset.query.extra_select
        ):
            return None  # flat, named or reordered rows: the ORM's iterables shape them, not a compiler's row
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if queryset._iterable_class is ValuesListIterable and compiler.has_extra_select:
            return None  # columns beyond the answer's (a distinct query's ordering): the ORM trims them
        other_values = {name: _altered(value, step) for step, (name, value) in enumerate(values.items(), start=1)}
        other_sql, other_params = self.build(shape, **other_values).query.get_compiler(using=alias).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            return None
        adapters: list[Callable[[Any], Any]] = [lambda value: value]
        if connection.vendor != "postgresql":
            adapters += [connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value]
        # psycopg 3: a number compared with an integer expression (an hour extracted) is sent typed (Int2/4/8)
        for internal_type in getattr(connection.ops, "integerfield_type_map", {}):
            adapters.append(functools.partial(connection.ops.adapt_integerfield_value, internal_type=internal_type))
        slots: list[tuple[int, str, Callable[[Any], Any]]] = []
        for position, (param, other) in enumerate(zip(params, other_params, strict=True)):
            if param == other and type(param) is type(other):
                continue
            found = [
                (name, adapt)
                for name in values
                for adapt in adapters
                if _same(_adapted(adapt, values[name]), param) and _same(_adapted(adapt, other_values[name]), other)
            ]
            if not found:
                return None  # a parameter moved that no baked value explains (transformed, or derived)
            slots.append((position, found[0][0], found[0][1]))
        if {name for _position, name, _adapt in slots} != set(values):
            return None  # a value that is not a parameter of its own (it shaped the query)
        tuples = queryset._iterable_class is ValuesListIterable
        columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(columns):
            return None
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        )
        reader = None
        if not tuples:
            select, klass_info = compiler.select, compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            reader = (
                klass_info["model"],
                start,
                end,
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, alias),
                tuple((compiler.annotation_col_map or {}).items()),
            )
        return _Plan(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            compiler=compiler,
            tuples=tuples,
            converters=converters,
            reader=reader,
        )

    def _run(self, plan: _Plan, values: dict[str, Any], alias: str) -> list[M]:
        connection = connections[alias]
        with _cursor(connection) as cursor:
            cursor.execute(plan.sql, plan.params_for(values))
            rows = cursor.fetchall()
        if not rows:
            return []
        if plan.converters:  # as the compiler's apply_converters does, with the converters worked out once
            converted = []
            for fetched in rows:
                row = list(fetched)
                for position, functions, expression in plan.converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
                converted.append(row)
            rows = converted
        if plan.reader is None:  # a values_list() query: the rows as tuples
            return [tuple(row) for row in rows]  # type: ignore[misc]
        model_cls, start, end, init_list, populators, annotations = plan.reader
        found: list[M] = []
        for row in rows:
            obj = model_cls.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


def statement_cursor(connection: Any) -> Any:
    """A cursor for a hand-written statement of a fixed shape and a few parameters, prepared as a baked one is (see
    :func:`_cursor`)."""
    return _cursor(connection)


def _cursor(connection: Any) -> Any:
    """A cursor for a baked statement. On PostgreSQL with ``prepare_threshold`` set (CARENET_PG_PREPARE_THRESHOLD):
    one that has the server bind the parameters, so psycopg prepares the statement once the connection has run it
    that many times and the server plans it once instead of at every run (where the plan does not depend on the
    values: ``plan_cache_mode`` auto). Only baked statements: their shapes are fixed and their parameters few, while
    the ORM's own cursors bind on the client (a server takes at most 65,535 parameters in one statement, and a
    reminder run asks about more keys than that). Django's wrapper around it, as ``connection.cursor()`` gives: the
    health check, the query log and the execute wrappers count it as any other statement."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if getattr(connection.connection, "prepare_threshold", None) is None:
        return connection.cursor()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@functools.cache
def _preparing_cursor_class() -> type:
    """Django's server-binding cursor for psycopg 3, which also keeps the statement it ran when it ran a prepared one
    (psycopg leaves ``_query`` empty then, and Django's query log — ``connection.queries``, a test's captured
    queries — would show no SQL for it)."""
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]  # defined under psycopg 3
        ServerBindingCursor,
    )

    class PreparingCursor(ServerBindingCursor):
        def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)

    return PreparingCursor


def _adapted(adapt: Callable[[Any], Any], value: Any) -> Any:
    try:
        return adapt(value)
    except (TypeError, ValueError, AttributeError):  # not a value this adapter takes (a string for a date-time)
        return _MISSING


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def id_values(ids: Iterable[int], *, prefix: str = "id") -> tuple[int, dict[str, int]]:
    """A list of ids as a baked query's values (``pk__in``): the ids each a value of its own (``<prefix>_0``,
    ``<prefix>_1`` …), padded to a power of two with ids no row has (negative ones, far apart: Django drops an id
    given twice from ``IN (…)``), so that lists of similar lengths share one statement. Returns the size (part of
    the shape) and the values; no ids: ``(0, {})`` (the caller asks nothing)."""
    ordered = sorted(set(ids))
    if not ordered:
        return 0, {}
    if len(ordered) > MAX_BAKED_VALUES:  # run through the ORM (:data:`MAX_BAKED_VALUES`): no padding
        return len(ordered), {f"{prefix}_{n}": value for n, value in enumerate(ordered)}
    size = 1
    while size < len(ordered):
        size *= 2
    ordered += [_NO_ID - 1000 * n for n in range(size - len(ordered))]
    return size, {f"{prefix}_{n}": value for n, value in enumerate(ordered)}


#: Where the padding of :func:`id_values` starts: no row's id (ids are positive), within a 32-bit integer column.
_NO_ID = -1_000_000_000


def ids_of(size: int, values: dict[str, Any], *, prefix: str = "id") -> list[Any]:
    """The ids :func:`id_values` made, in a ``build`` (``filter(pk__in=ids_of(size, values))``)."""
    return [values[f"{prefix}_{n}"] for n in range(size)]
