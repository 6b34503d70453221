"""dropped answers: what remains of versions past the per-item cap

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:28:11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Versions already stored stay until a sync of their item passes the cap.
    op.create_table(
        "dropped_answers",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_dropped_answers_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_dropped_answers")),
    )
    op.create_index(
        "ix_dropped_answers_visit_item", "dropped_answers", ["visit_id", "item_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_dropped_answers_visit_item", table_name="dropped_answers")
    op.drop_table("dropped_answers")
