"""report data version: one row bumped by triggers on every write a report reads

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> the columns whose update changes a report (None: any column). A visit's other
# columns (answers synced, timestamps, review comment) change no figure; its status does.
WATCHED: dict[str, tuple[str, ...] | None] = {
    "visits": (
        "status",
        "window_start_at",
        "wave",
        "service_code",
        "office_id",
        "channel",
        "standard_id",
    ),
    "visit_scores": None,
    "visit_findings": None,
    "visit_criteria": None,
    "service_standards": None,
    "offices": None,
}
EVENTS = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE"}
BUMP = "UPDATE report_data_version SET version = version + 1 WHERE id = 1"
FUNCTION = "report_data_changed"


def _event(table: str, short: str) -> str:
    columns = WATCHED[table]
    if short == "upd" and columns is not None:
        return f"UPDATE OF {', '.join(columns)}"
    return EVENTS[short]


def _sqlite_when(table: str, short: str) -> str:
    columns = WATCHED[table]
    if short != "upd" or columns is None:
        return ""
    return " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def upgrade() -> None:
    op.create_table(
        "report_data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_data_version")),
    )
    version = sa.table(
        "report_data_version",
        sa.column("id", sa.Integer()),
        sa.column("epoch", sa.String()),
        sa.column("version", sa.BigInteger()),
    )
    op.bulk_insert(version, [{"id": 1, "epoch": secrets.token_hex(16), "version": 0}])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for table in WATCHED:
        for short in EVENTS:
            name = f"report_data_{table}_{short}"
            if postgres and table == "visits" and short == "upd":
                # The bump takes the version row's lock until the commit, so writers of report
                # data commit in turn. A visit's status changes early in long transactions (a
                # phone's first sync starts it, then 40 answers follow; submit then scores):
                # deferred to the commit, the lock is held for the commit alone.
                when = " OR ".join(
                    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED[table] or ()
                )
                op.execute(
                    f"CREATE CONSTRAINT TRIGGER {name} AFTER {_event(table, short)} ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({when}) "
                    f"EXECUTE FUNCTION {FUNCTION}()"
                )
            elif postgres:
                # Once per statement, not per row: a bulk insert of 1,000 rows bumps once.
                # Inserts of scores, findings and criteria come last in their transactions.
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {_event(table, short)} ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
            else:
                # SQLite has row triggers only (the row is in the page cache, ~1 us a row),
                # and one writer at a time anyway.
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {_event(table, short)} ON {table} "
                    f"FOR EACH ROW{_sqlite_when(table, short)} BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for short in EVENTS:
            name = f"report_data_{table}_{short}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("report_data_version")
