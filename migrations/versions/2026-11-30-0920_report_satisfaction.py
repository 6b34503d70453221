"""report satisfaction: findings name their item; a rating's change bumps the report version

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 09:20:00

``visit_findings.item_code``: the one item a finding is about, so ``/reports/findings`` can
break ``non-compliant-item`` down by question. Rows stored before stay null (grouped under
their code alone) until their visit is scored again.

The rankings now read the current answer to ``overall_rating`` (the shopper's own 1-5
rating, Table 1's measure), so writing it must bump the report data version as the other
report tables do (0014), or a chart would stay cached under a version that no longer shows
it. Only that item's rows fire: a phone's sync of other answers takes no extra lock. On
PostgreSQL the bump waits for the commit (a deferred row trigger), so the version row's lock
is held for the commit alone, as for a visit's status.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE report_data_version SET version = version + 1 WHERE id = 1"
FUNCTION = "report_data_changed"
# The item as named on this date (service/reports/repository.py SATISFACTION_ITEM).
ITEM = "overall_rating"
EVENTS = {"ins": "INSERT", "upd": "UPDATE OF value, na, is_current", "del": "DELETE"}


def _row(short: str) -> str:
    return "OLD" if short == "del" else "NEW"


def upgrade() -> None:
    # Plain ALTERs, not a batch: SQLite's copy of the table would drop its triggers (0014).
    op.add_column("visit_findings", sa.Column("item_code", sa.String(length=64), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for short, event in EVENTS.items():
        name = f"report_data_answers_{short}"
        when = f"{_row(short)}.item_code = '{ITEM}'"
        if postgres:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON answers "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({when}) "
                f"EXECUTE FUNCTION {FUNCTION}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON answers "
                f"FOR EACH ROW WHEN {when} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for short in EVENTS:
        name = f"report_data_answers_{short}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON answers" if postgres else ""))
    op.drop_column("visit_findings", "item_code")
