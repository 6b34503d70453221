"""What the ``mshop`` commands share: their error, a file read, the schema upgrade, a session."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel import Session

from service import migrate
from service.config import Settings
from service.db import create_db_engine, transaction

T = TypeVar("T")


class CliError(Exception):
    """A command failed for a reason the user can fix; printed without a traceback."""


def read_text(path: Path) -> str:
    """The UTF-8 text of a file a command was given; a missing or unreadable file is the user's."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from exc


def upgrade(settings: Settings) -> None:
    """Apply the migrations the configured database lacks (commands run on any database)."""
    engine = create_db_engine(settings.database)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@contextmanager
def session_of(settings: Settings) -> Iterator[Session]:
    """One session on a short-lived engine, committed when the block succeeds."""
    engine = create_db_engine(settings.database)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def validated(build: Callable[[], T]) -> T:
    """``build()``, its validation errors said in one line the user can act on."""
    try:
        return build()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CliError(problems) from exc
