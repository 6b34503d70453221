"""report indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (status, window_start_at) serves everything ix_visits_status did, and the reports' periods.
    with op.batch_alter_table("visits") as batch_op:
        batch_op.drop_index("ix_visits_status")
        batch_op.create_index("ix_visits_status_window", ["status", "window_start_at"])
        batch_op.create_index("ix_visits_standard_id", ["standard_id"])


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch_op:
        batch_op.drop_index("ix_visits_standard_id")
        batch_op.drop_index("ix_visits_status_window")
        batch_op.create_index("ix_visits_status", ["status"])
