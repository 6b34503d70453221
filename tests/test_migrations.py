"""Migrations build the schema the models describe, and unwind cleanly."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import service.models_registry  # noqa: F401
from service.config import DatabaseSettings
from service.db import create_db_engine, metadata
from service.migrate import alembic_config, upgrade
from tests.fixtures.db import database_url_for, drop_postgres_database


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    url = database_url_for("migrations", tmp_path / "migrations.db")
    engine = create_db_engine(DatabaseSettings(url=url))
    yield engine
    engine.dispose()
    drop_postgres_database(url)


def test_upgrade_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_is_repeatable(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert "users" in inspect(empty_engine).get_table_names()


def test_downgrade_to_base_and_back(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    config = alembic_config()
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert {"users", "service_standards"} <= set(inspect(empty_engine).get_table_names())


@pytest.mark.slow  # alembic in a process of its own
def test_alembic_check_needs_no_migrated_database(tmp_path: Path) -> None:
    # The configured database is neither read nor made: the check runs on a scratch one.
    configured = tmp_path / "never-made.db"
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {"MSHOP_DATABASE__URL": f"sqlite:///{configured}"}
    alembic = [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"), "check"]
    result = subprocess.run(alembic, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout
    assert not configured.exists()
