"""Column types shared by every domain's tables: SQLAlchemy only, no web framework."""

import datetime as dt
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite stores no offset, so values are normalised to UTC on the way in and marked UTC on
    the way out; a naive datetime is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware values only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Integer ids are 32-bit in the database; a larger one can only be a typo or a probe.
MAX_ROW_ID = 2_147_483_647


def enum_column(enum: type[StrEnum], length: int) -> Enum:
    """A column of ``enum`` members, stored as VARCHAR(``length``) of their values.

    Code reads and writes members, never bare strings; the database keeps plain text (no
    native ENUM type to migrate when a value is added), and an unknown value is refused on
    the way in.
    """
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def driver_value(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What turns a Python value into what the driver is given for a column of ``type_``.

    SQLAlchemy's own bind processor, except for the types a hot path writes by the hundred
    on SQLite (an answer sync: 40 rows of 10 values), where each processor is a chain of
    Python calls; those get a direct equivalent, proved equal to SQLAlchemy's by
    ``tests/test_db_types.py``, so SQLAlchemy stays the one statement of how a value is stored.
    """
    if dialect.name == "sqlite":
        if isinstance(type_, UtcDateTime):
            return _sqlite_utc
        if isinstance(type_, Uuid) and type_.as_uuid:
            return _hex
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return unchanged if process is None else process


def python_value(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What turns what the driver returns for a column of ``type_`` into its Python value:
    SQLAlchemy's result processor, or on SQLite a direct equivalent for the types of
    ``driver_value`` (proved equal the same way)."""
    if dialect.name == "sqlite":
        if isinstance(type_, UtcDateTime):
            return _sqlite_utc_loaded
        if isinstance(type_, Uuid) and type_.as_uuid:
            return _uuid
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    return unchanged if process is None else process


def _sqlite_utc_loaded(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    # Written here without an offset, in UTC; text written elsewhere may carry one.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(hex=value)


def _sqlite_utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store timezone-aware values only")
    # SQLite's DATETIME text, microseconds always written: text order is time order.
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def unchanged(value: Any) -> Any:
    """The conversion of a type whose values the driver takes and returns as they are."""
    return value
