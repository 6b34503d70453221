"""The suite's own databases: none on any server without consent, none left behind with it.

Without ``MSHOP_TEST_DATABASE_URL`` no fixture may connect to a PostgreSQL server; with it, every
database a run makes carries the run's id and is gone when the run ends, even when tests fail or
an xdist worker dies. Both are checked on real pytest runs in a subprocess.
"""

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest

from service.config import PROJECT_ROOT
from tests.fixtures import db
from tests.fixtures.db import (
    DATABASE_URL_VAR,
    NOT_SET,
    RUN_ID_VAR,
    requested_database_url,
    run_databases,
    run_prefix,
)

# Where a developer's own server usually listens; the fixtures once fell back to it silently.
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
# Small files that reach every database fixture: the shared per-worker database (health),
# a fixture that makes one per test (migrations) and one that needs PostgreSQL itself (pool).
SMALL_FILES = [
    "tests/health/test_router.py",
    "tests/test_migrations.py",
    "tests/faults/test_pool.py",
]
SUBPROCESS_TIMEOUT = 600


def _pytest(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what ties it to the run it is part of."""
    dropped = {DATABASE_URL_VAR, RUN_ID_VAR, "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"}
    env = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST_XDIST")
    }
    return env | extra


def _local_databases() -> set[tuple[int, str]] | None:
    """(oid, name) of every database on the local server, or None when nothing answers there.

    The oid changes when a database is dropped and made again under the same name, which the
    fixtures once did to fixed names; comparing names alone would miss that.
    """
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=3) as conn:
            rows: list[Any] = conn.execute("SELECT oid, datname FROM pg_database").fetchall()
    except psycopg.OperationalError:
        return None
    # This very run, when it runs on PostgreSQL, makes its own databases meanwhile, and so
    # may the probe run of the last test, in another worker.
    mine = (run_prefix(db.run_id()), run_prefix(_probe_run_id()))
    return {(int(oid), name) for oid, name in rows if not name.startswith(mine)}


def _probe_run_id() -> str:
    """The probe run's id: its own, but known to this run (which must not count its databases)."""
    return hashlib.sha256(f"probe-{db.run_id()}".encode()).hexdigest()[:8]


def test_fixtures_never_connect_without_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DATABASE_URL_VAR, raising=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a fixture tried to connect to {args[0]!r}")

    monkeypatch.setattr(db, "create_engine", refuse)
    assert db.worker_database_url(tmp_path, "gw7") == f"sqlite:///{tmp_path / 'mshop-gw7.db'}"
    assert db.database_url_for("crash", tmp_path / "c.db") == f"sqlite:///{tmp_path / 'c.db'}"
    with pytest.raises(pytest.skip.Exception, match=NOT_SET):
        next(db.postgres_url_or_skip("pool"))
    with pytest.raises(RuntimeError, match=NOT_SET):
        db.create_postgres_database("anything")
    assert db.sweep_run_databases() == []


@pytest.mark.slow
def test_without_the_variable_no_database_is_made_on_a_local_server() -> None:
    before = _local_databases()
    result = _pytest(["-q", *SMALL_FILES], _clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    # The test that needs PostgreSQL itself said why it did not run.
    skipped = rf"SKIPPED \[1\] tests/faults/test_pool.py:\d+: {re.escape(NOT_SET)}"
    assert re.search(skipped, result.stdout), result.stdout
    if before is None:
        # Nothing answers at 127.0.0.1:5432: the test above shows no fixture would try.
        assert _local_databases() is None
        return
    assert _local_databases() == before


PROBE = '''
    """Run by tests/test_test_databases.py: makes databases, fails, and kills its worker."""

    import os
    from collections.abc import Iterator
    from pathlib import Path

    import pytest
    from sqlmodel import Session, text

    from tests.fixtures.db import (
        create_postgres_database,
        database_url_for,
        postgres_url_or_skip,
        requested_database_url,
        run_databases,
        run_id,
    )


    def names() -> list[str]:
        return run_databases(requested_database_url() or "", run_id())


    @pytest.fixture
    def pg_url() -> Iterator[str]:
        yield from postgres_url_or_skip("probe_own")


    def test_the_shared_database_carries_the_run_id(session: Session) -> None:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
        assert any(name.endswith("_suite") for name in names()), names()


    def test_a_fixture_makes_a_database_of_the_run(pg_url: str, tmp_path: Path) -> None:
        assert any(pg_url.endswith(f"/{name}") for name in names()), (pg_url, names())
        assert database_url_for("probe_either", tmp_path / "x.db").startswith("postgresql")


    def test_fails_after_making_a_database() -> None:
        create_postgres_database("probe_failed")
        raise AssertionError("fails on purpose: its database must still be dropped")


    def test_worker_dies_after_making_a_database() -> None:
        create_postgres_database("probe_crashed")
        os._exit(1)  # no teardown, no session end in this worker: only the controller's sweep
'''


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(requested_database_url() is None, reason=NOT_SET)
def test_with_the_variable_no_database_of_the_run_is_left(tmp_path: Path) -> None:
    server = requested_database_url()
    assert server is not None
    run = _probe_run_id()
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(PROBE), encoding="utf-8")
    # The probe lies outside tests/, so the suite's conftest is loaded as a plugin.
    args = ["-n", "2", "-p", "tests.conftest", "-c", "pyproject.toml", "--rootdir", "."]
    result = _pytest(
        [*args, "-q", str(probe)],
        _clean_env(**{DATABASE_URL_VAR: server, RUN_ID_VAR: run}),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_fails_after_making_a_database" in output
    assert re.search(r"worker 'gw\d' crashed while running '.*test_worker_dies", output), output
    assert re.search(r"\b2 failed, 2 passed\b", output), output
    assert run_databases(server, run) == []
