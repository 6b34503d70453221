"""standard corrections: a version may correct another of the same effective_from

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 12:00:00

The shipped standards are an extraction of the report; when a file is fixed (a deadline
misread, a stage missed), a database that loaded the old file must be able to load the fix.
It becomes a new version with the same ``effective_from`` and ``supersedes_version`` naming the
one it corrects, so ``(service_code, effective_from)`` is no longer unique; the highest
version of a date is in force. Visits keep the version they were assigned under.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The report data version's triggers on this table (0014). SQLite cannot drop a constraint
# but by copying the table, and the copy loses the table's triggers: they are made again.
BUMP = "UPDATE report_data_version SET version = version + 1 WHERE id = 1"
EVENTS = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE"}


def _sqlite_triggers_again() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL alters the table in place; its triggers stay
    for short, event in EVENTS.items():
        op.execute(
            f"CREATE TRIGGER report_data_service_standards_{short} AFTER {event} ON "
            f"service_standards FOR EACH ROW BEGIN {BUMP}; END"
        )


def upgrade() -> None:
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes_version", sa.Integer(), nullable=True))
        batch_op.drop_constraint(
            "uq_service_standards_service_code_effective_from", type_="unique"
        )
    _sqlite_triggers_again()


def downgrade() -> None:
    # Only possible while no correction is stored: the old unique constraint forbids them.
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_service_standards_service_code_effective_from",
            ["service_code", "effective_from"],
        )
        batch_op.drop_column("supersedes_version")
    _sqlite_triggers_again()
