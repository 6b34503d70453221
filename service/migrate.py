"""Apply Alembic migrations from code: at start-up and from ``mshop db upgrade``."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from service import db
from service.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# Any fixed number: API workers starting together take turns to migrate PostgreSQL.
_LOCK_ID = 724_310_2018


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` up to ``revision``."""
    config = alembic_config()
    with db.core_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
