"""Core statements a hot path runs often, compiled once and sent as text.

SQLAlchemy's execution of a Core statement computes its cache key, finds its compiled form,
converts each parameter and each result value through a chain of Python processors and
builds its result's metadata; for a sync's statements, with lists of 40 ids bound and 40
rows read back, that was half the cost of the statement on SQLite and 100-150 us of CPU a
statement on PostgreSQL. Here a statement is compiled once per dialect and sent through
``exec_driver_sql``: on SQLite its values are converted by ``db_types.driver_value`` and
``db_types.python_value`` (the same storage, proved equal); on PostgreSQL by the same
functions, which are SQLAlchemy's own processors there (psycopg adapts most types itself,
so most are none). The statement still passes through the connection, so its events
(counters, locks) fire.
"""

import json
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from service.db_types import driver_value, python_value, unchanged

Statement = sa.Select[*tuple[Any, ...]] | sa.CompoundSelect[Any] | sa.Insert | sa.Update | sa.Delete


@dataclass(frozen=True)
class _Compiled:
    text: str
    params: list[tuple[str, bool, Callable[[Any], Any]]]
    """Each parameter (each ``?`` in order, or each ``%(name)s``): its name, whether the
    caller gives it, and its conversion."""
    columns: tuple[tuple[int, Callable[[Any], Any]], ...]
    """The selected columns whose values are converted, by position, with their conversion
    (most leave the value as it is: on PostgreSQL, psycopg's values are SQLAlchemy's)."""
    positional: bool


class DriverStatement:
    """A Core statement, run with ``run`` on a connection of any database.

    For the statements hot paths run: a ``SELECT`` (or ``UNION``) whose rows are converted by
    its selected columns' types, or a write that returns no rows. A value written into the
    statement (``values(is_current=False)``) is sent as written, whatever the caller passes;
    an expanding ``IN`` is refused (bind a list as one parameter instead).
    """

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        # Per dialect object: each engine has its own, with its own settings (serializers).
        self._compiled: weakref.WeakKeyDictionary[sa.Dialect, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    def run(self, conn: sa.Connection, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows (none for a statement that returns none)."""
        dialect = conn.dialect
        compiled = self._compiled.get(dialect) or self._compile(dialect)
        values = (
            (name, to_driver(params[name] if given else None))
            for name, given, to_driver in compiled.params
        )
        sent = tuple(v for _, v in values) if compiled.positional else dict(values)
        result = conn.exec_driver_sql(compiled.text, sent)
        if not result.returns_rows:
            return []
        convert = compiled.columns
        if not convert:
            return result.all()
        rows = []
        for row in result.all():
            converted = list(row)
            for index, f in convert:
                converted[index] = f(converted[index])
            rows.append(tuple(converted))
        return rows

    def run_many(
        self,
        conn: sa.Connection,
        rows: Sequence[Mapping[str, Any]],
        shared: Mapping[str, Any] | None = None,
    ) -> None:
        """Run a write once per row, in one ``executemany`` (on psycopg, one pipeline);
        ``shared`` holds the values every row has, converted once for all of them."""
        shared = shared or {}
        compiled = self._compiled.get(conn.dialect) or self._compile(conn.dialect)
        # Each parameter of a row: a value the same for every row, or the row's own converted.
        slots = [
            (name, to_driver(shared[name] if given else None), None)
            if not given or name in shared
            else (name, None, to_driver)
            for name, given, to_driver in compiled.params
        ]
        values: list[Any]
        if compiled.positional:
            values = [
                tuple(value if f is None else f(row[name]) for name, value, f in slots)
                for row in rows
            ]
        else:
            values = [
                {name: value if f is None else f(row[name]) for name, value, f in slots}
                for row in rows
            ]
        conn.exec_driver_sql(compiled.text, values)

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = compiled.binds
        params = []
        positional = compiled.positiontup is not None
        for name in compiled.positiontup or list(binds):
            bind = binds[name]
            if compiled.escaped_bind_names.get(name, name) != name:
                raise ValueError(f"{name}: a parameter name the driver needs escaped")
            if bind.expanding:
                raise ValueError(f"{name}: an expanding IN has no fixed text to send")
            to_driver = driver_value(bind.type, dialect)
            if not bind.required and bind.callable is None:
                # A value written into the statement (``values(is_current=False)``).
                params.append((name, False, _fixed(to_driver(bind.value))))
            else:
                params.append((name, True, to_driver))
        selected = getattr(self.statement, "selected_columns", [])
        columns = [python_value(column.type, dialect) for column in selected]
        found = _Compiled(
            text=str(compiled),
            params=params,
            columns=tuple((i, f) for i, f in enumerate(columns) if f is not unchanged),
            positional=positional,
        )
        self._compiled[dialect] = found
        return found


def _fixed(value: Any) -> Callable[[Any], Any]:
    return lambda _ignored: value


class _JsonArray(sa.types.TypeDecorator[list[Any]]):
    """A list bound as one JSON array of its elements as ``element`` stores them (SQLite)."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, element: sa.types.TypeEngine[Any]) -> None:
        super().__init__()
        self.element = element

    def process_bind_param(self, value: list[Any] | None, dialect: sa.Dialect) -> str:
        store = driver_value(self.element, dialect)
        return json.dumps([store(v) for v in value or ()])


def one_of(column: sa.Column[Any], name: str, *, postgres: bool) -> sa.ColumnElement[bool]:
    """``column`` is one of the list bound as ``name``: one parameter whatever its length, so
    the statement's text is constant. On PostgreSQL ``= ANY`` of an array, which psycopg
    converts once and the server prepares once (an IN list of 40 is new text every time, past
    psycopg's cache of 50 parameters); on SQLite ``IN`` the values of a JSON array."""
    if postgres:
        return column == sa.any_(sa.bindparam(name, type_=sa.ARRAY(column.type)))
    # An expanding IN is rendered anew for each execution; a JSON array is one parameter.
    listed = sa.func.json_each(sa.bindparam(name, type_=_JsonArray(column.type)))
    return column.in_(sa.select(listed.table_valued("value").c.value))
