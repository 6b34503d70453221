"""A statement run through the driver reads and writes what SQLAlchemy would, on SQLite and
(with ``MSHOP_TEST_DATABASE_URL``) on PostgreSQL."""

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service.db_types import UtcDateTime
from service.driver_sql import DriverStatement
from tests.fixtures.db import postgres_url_or_skip

TABLE = sa.Table(
    "things",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref", sa.Uuid()),
    sa.Column("at", UtcDateTime()),
    sa.Column("live", sa.Boolean()),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A new, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'driver.db'}"
        made = sa.create_engine(url)
        yield made
        made.dispose()
        return
    for url in postgres_url_or_skip("driver"):
        made = sa.create_engine(url)
        yield made
        made.dispose()


def test_rows_and_parameters_match_sqlalchemys(engine: sa.Engine) -> None:
    moment = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    refs = [uuid.uuid4() for _ in range(3)]
    select = sa.select(TABLE.c.ref, TABLE.c.at, TABLE.c.live).where(
        TABLE.c.ref.in_(sa.bindparam("refs", expanding=True))
    )
    by_ref = sa.select(TABLE.c.ref, TABLE.c.at).where(TABLE.c.ref == sa.bindparam("ref"))
    retire = sa.update(TABLE).where(TABLE.c.ref == sa.bindparam("ref")).values(live=False)
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split()[0])

    with engine.begin() as conn:
        TABLE.create(conn)
        conn.execute(sa.insert(TABLE), [{"ref": r, "at": moment, "live": True} for r in refs])
        seen.clear()
        rows = DriverStatement(by_ref).run(conn, {"ref": refs[0]})
        # The value fixed in the statement is sent too; the caller gives only the others.
        assert DriverStatement(retire).run(conn, {"ref": refs[1]}) == []
        expected = conn.execute(select, {"refs": refs}).all()
    assert seen[:2] == ["SELECT", "UPDATE"]  # through the connection: its events fire
    assert rows == [(refs[0], moment.astimezone(dt.UTC))]
    assert rows[0][1].tzinfo is dt.UTC  # the column type's conversion ran (equal instants
    # compare equal whatever their offset)
    assert sorted((r, live) for r, _, live in expected) == sorted(
        [(refs[0], True), (refs[1], False), (refs[2], True)]
    )


def test_a_union_with_typed_nulls_reads_as_sqlalchemy_reads_it(engine: sa.Engine) -> None:
    moment = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC)
    ref = uuid.uuid4()
    union = sa.union_all(
        sa.select(TABLE.c.ref, sa.cast(sa.null(), UtcDateTime()).label("at")).where(
            TABLE.c.id == sa.bindparam("id")
        ),
        sa.select(sa.cast(sa.null(), sa.Uuid()), TABLE.c.at).where(TABLE.c.live),
    )
    with engine.begin() as conn:
        TABLE.create(conn)
        conn.execute(sa.insert(TABLE), {"id": 1, "ref": ref, "at": moment, "live": True})
        driven = DriverStatement(union).run(conn, {"id": 1})
        expected = conn.execute(union, {"id": 1}).all()
    assert [tuple(r) for r in expected] == [(ref, None), (None, moment)]
    assert list(driven) == [(ref, None), (None, moment)]


def test_values_left_as_they_are_keep_their_place_among_converted_ones(
    engine: sa.Engine,
) -> None:
    # Only the columns whose type converts are converted, by position (the id never is).
    moment = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)
    rows = [{"id": i, "ref": uuid.uuid4(), "at": moment, "live": i % 2 == 0} for i in (1, 2, 3)]
    mixed = sa.select(TABLE.c.id, TABLE.c.ref, TABLE.c.id.label("again"), TABLE.c.at).order_by(
        TABLE.c.id
    )
    with engine.begin() as conn:
        TABLE.create(conn)
        conn.execute(sa.insert(TABLE), rows)
        driven = DriverStatement(mixed).run(conn, {})
        expected = [tuple(r) for r in conn.execute(mixed).all()]
    assert list(driven) == expected == [(r["id"], r["ref"], r["id"], moment) for r in rows]
    assert [type(v) for v in driven[0]] == [int, uuid.UUID, int, dt.datetime]


def test_an_expanding_in_is_refused(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'expanding.db'}")
    expanding = sa.select(TABLE.c.id).where(TABLE.c.id.in_(sa.bindparam("ids", expanding=True)))
    with engine.begin() as conn:
        TABLE.create(conn)
        with pytest.raises(ValueError, match="expanding IN"):
            DriverStatement(expanding).run(conn, {"ids": [1]})
    engine.dispose()


def test_many_rows_with_shared_values_store_what_sqlalchemy_stores(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'many.db'}")
    moment = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    refs = [uuid.uuid4() for _ in range(3)]
    insert = sa.insert(TABLE).values(
        {name: sa.bindparam(name, type_=TABLE.c[name].type) for name in ("ref", "at", "live")}
    )
    with engine.begin() as conn:
        TABLE.create(conn)
        # The time is shared by every row; each row has its own id and flag.
        DriverStatement(insert).run_many(
            conn, [{"ref": r, "live": i != 1} for i, r in enumerate(refs)], {"at": moment}
        )
        conn.execute(sa.insert(TABLE), {"ref": refs[0], "at": moment, "live": True})
        stored = conn.exec_driver_sql("SELECT ref, at, live FROM things ORDER BY id").all()
    engine.dispose()
    # The last row, written through SQLAlchemy, stores the same text as the first.
    assert stored[0] == stored[3]
    assert [tuple(row) for row in stored[:3]] == [
        (r.hex, "2026-11-30 12:30:00.000000", int(i != 1)) for i, r in enumerate(refs)
    ]


def test_many_rows_read_back_as_written(engine: sa.Engine) -> None:
    moment = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    refs = [uuid.uuid4() for _ in range(3)]
    insert = sa.insert(TABLE).values(
        {name: sa.bindparam(name, type_=TABLE.c[name].type) for name in ("ref", "at", "live")}
    )
    with engine.begin() as conn:
        TABLE.create(conn)
        DriverStatement(insert).run_many(
            conn, [{"ref": r, "live": i != 1} for i, r in enumerate(refs)], {"at": moment}
        )
        stored = conn.execute(sa.select(TABLE.c.ref, TABLE.c.at, TABLE.c.live)).all()
    assert sorted(tuple(row) for row in stored) == sorted(
        (r, moment, i != 1) for i, r in enumerate(refs)
    )
    assert {row.at.tzinfo for row in stored} == {dt.UTC}  # stored as the instant, read as UTC
