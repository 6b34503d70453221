"""findings by visit: the findings report's keys read from an index, not from the rows

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 00:15:00

The findings report groups every finding of the visits in its filters by code, severity and
item, and picks its examples the same way. A finding's row is mostly its messages and clauses
in three languages (up to a few kilobytes), so reading those four keys from the rows read the
texts' pages too. The index on ``visit_id`` alone becomes one on the four keys, which still
serves every lookup by visit (its first column).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["visit_id", "code", "severity", "item_code"]


def upgrade() -> None:
    # Plain index changes: a batch copy of the table on SQLite would drop its triggers (0014).
    op.create_index("ix_visit_findings_visit_code", "visit_findings", KEYS)
    op.drop_index("ix_visit_findings_visit_id", table_name="visit_findings")


def downgrade() -> None:
    op.create_index("ix_visit_findings_visit_id", "visit_findings", ["visit_id"])
    op.drop_index("ix_visit_findings_visit_code", table_name="visit_findings")
