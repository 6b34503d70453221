"""visit event client ids: a retried review, cancel or reopen changes nothing

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 16:00:00

A review, cancel or reopen now carries a ``client_id``, like every other write; it is kept on
the move's audit event, unique where given, so a retry answers the visit as it is and the same
id with another move is a 409. Events made before, and events of other writes, have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("visit_events", sa.Column("client_id", sa.Uuid(), nullable=True))
    op.create_index(
        "uq_visit_events_client_id",
        "visit_events",
        ["client_id"],
        unique=True,
        sqlite_where=sa.text("client_id IS NOT NULL"),
        postgresql_where=sa.text("client_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_visit_events_client_id", table_name="visit_events")
    op.drop_column("visit_events", "client_id")  # native on SQLite 3.35+
