"""office and user client ids: a retried create answers the same office or account

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 16:10:00

Creating an office or an account may carry a ``client_id``, as creating a visit does: a retry
answers what it made, the same id with other content is a 409. Rows made before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("offices", "users")


# A unique index, not a constraint: on SQLite a new constraint rebuilds the table, which drops
# its triggers (offices bump the report data version, migration 0014).
def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("client_id", sa.Uuid(), nullable=True))
        op.create_index(f"uq_{table}_client_id", table, ["client_id"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_client_id", table_name=table)
        op.drop_column(table, "client_id")  # native on SQLite 3.35+: the table is kept
