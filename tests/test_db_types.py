"""The direct conversions of ``db_types.driver_value`` store exactly what SQLAlchemy would."""

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from service.db_types import UtcDateTime, driver_value, python_value

SQLITE = sqlite.dialect()
TYPES: list[sa.types.TypeEngine[Any]] = [UtcDateTime(), sa.Uuid(), sa.Boolean()]


def sqlalchemy_value(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect, value: Any) -> Any:
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
aware = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 12, 31), timezones=offsets
)


@given(value=aware)
def test_an_aware_time_is_stored_as_sqlalchemy_stores_it(value: dt.datetime) -> None:
    # Whole seconds included: SQLAlchemy writes ".000000", and text order must stay time order.
    for moment in (value, value.replace(microsecond=0)):
        assert driver_value(UtcDateTime(), SQLITE)(moment) == sqlalchemy_value(
            UtcDateTime(), SQLITE, moment
        )


@given(value=st.uuids())
def test_ids_are_stored_and_read_as_sqlalchemy_does(value: uuid.UUID) -> None:
    stored = driver_value(sa.Uuid(), SQLITE)(value)
    assert stored == sqlalchemy_value(sa.Uuid(), SQLITE, value)
    assert python_value(sa.Uuid(), SQLITE)(stored) == sqlalchemy_read(sa.Uuid(), stored) == value


def sqlalchemy_read(type_: sa.types.TypeEngine[Any], stored: Any) -> Any:
    process = type_.dialect_impl(SQLITE).result_processor(SQLITE, None)
    return stored if process is None else process(stored)


@given(value=aware)
def test_a_stored_time_reads_back_as_sqlalchemy_reads_it(value: dt.datetime) -> None:
    stored = driver_value(UtcDateTime(), SQLITE)(value)
    read = python_value(UtcDateTime(), SQLITE)(stored)
    assert read == sqlalchemy_read(UtcDateTime(), stored) == value
    assert read is not None
    assert read.utcoffset() == dt.timedelta(0)
    # Text another writer left with an offset is read as the instant it names.
    marked = value.isoformat(" ")
    assert python_value(UtcDateTime(), SQLITE)(marked) == sqlalchemy_read(UtcDateTime(), marked)


def test_a_flag_keeps_sqlalchemys_strict_check() -> None:
    assert driver_value(sa.Boolean(), SQLITE)(True) == 1
    with pytest.raises(TypeError):
        driver_value(sa.Boolean(), SQLITE)("yes")


@pytest.mark.parametrize("type_", TYPES, ids=lambda t: type(t).__name__)
def test_null_stays_null(type_: sa.types.TypeEngine[Any]) -> None:
    assert driver_value(type_, SQLITE)(None) is None
    assert python_value(type_, SQLITE)(None) is None


def test_a_naive_time_is_refused_as_sqlalchemy_refuses_it() -> None:
    naive = dt.datetime(2026, 11, 30, 12, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        driver_value(UtcDateTime(), SQLITE)(naive)
    with pytest.raises(ValueError, match="naive datetime"):
        sqlalchemy_value(UtcDateTime(), SQLITE, naive)


def test_other_databases_and_types_keep_sqlalchemys_processor() -> None:
    pg = sa.make_url("postgresql+psycopg://").get_dialect()()
    moment = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert driver_value(UtcDateTime(), pg)(moment) == moment.astimezone(dt.UTC)
    assert driver_value(sa.JSON(), SQLITE)({"a": [1, None]}) == '{"a": [1, null]}'
    assert driver_value(sa.String(), SQLITE)("text") == "text"


def test_values_written_directly_read_back_through_sqlalchemy(tmp_path: Path) -> None:
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("at", UtcDateTime()),
        sa.Column("id", sa.Uuid()),
        sa.Column("flag", sa.Boolean()),
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'types.db'}")
    moment = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    ident = uuid.uuid4()
    with engine.begin() as conn:
        table.create(conn)
        stored = [driver_value(c.type, conn.dialect) for c in table.columns]
        row = (moment, ident, True)
        conn.exec_driver_sql(
            "INSERT INTO t VALUES (?, ?, ?)",
            tuple(f(v) for f, v in zip(stored, row, strict=True)),
        )
        # Found by a comparison SQLAlchemy binds itself: the same text was stored.
        found = conn.execute(sa.select(table).where(table.c.at == moment)).one()
    engine.dispose()
    assert tuple(found) == (moment.astimezone(dt.UTC), ident, True)
