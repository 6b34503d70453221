"""The SQLModel base every table module imports, so constraint names follow one convention."""

from typing import Any

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Stable constraint names make migrations reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


# Default factories for JSON columns. Plain functions, not ``list`` and ``dict``: pydantic
# inspects a factory's signature on every construction of a model that leaves the field out,
# and a builtin's has to be parsed from text (~130 us a call, a third of building a Photo).
def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


__all__ = ["SQLModel", "empty_dict", "empty_list", "metadata"]
