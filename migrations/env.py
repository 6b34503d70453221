"""Alembic environment: the metadata of every table, on the configured database.

``alembic check`` is the exception: it asks whether the models need a migration the project
does not have, a question about the code, so it runs on a scratch SQLite database migrated to
head (by a child process: alembic's command context cannot be entered twice in one process).
It then needs no server, answers the same on a fresh checkout as on a deployed one, and never
touches real data.
"""

import os
import subprocess
import sys
import tempfile
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

import service.models_registry  # noqa: F401  (registers every table)
from service.config import DatabaseSettings, get_settings
from service.db import create_db_engine, metadata
from service.db_types import UtcDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    # Migrations stay plain SQLAlchemy: the UTC handling lives in the model layer only.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _checking() -> bool:
    command = getattr(config.cmd_opts, "cmd", None)
    return bool(command) and getattr(command[0], "__name__", "") == "check"


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    if _checking():
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite:///{scratch}/check.db"
            upgrade = [sys.executable, "-m", "service.cli", "db", "upgrade"]
            subprocess.run(
                upgrade,
                env=os.environ | {"MSHOP_DATABASE__URL": url},
                stdout=subprocess.DEVNULL,
                check=True,
            )
            engine = create_db_engine(DatabaseSettings(url=url))
            with engine.connect() as conn:
                run(conn)
            engine.dispose()
        return
    engine = create_db_engine(get_settings().database)
    with engine.connect() as conn:
        run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().database.url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
