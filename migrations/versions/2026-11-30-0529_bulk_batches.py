"""bulk assignment in batches: the bulk, and each visit's bulk and row

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:27:27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_bulks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_visit_bulks_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_bulks")),
        sa.UniqueConstraint("client_id", name=op.f("uq_visit_bulks_client_id")),
    )
    # Visits made before this have no bulk: NULLs, which the unique key lets repeat.
    with op.batch_alter_table("visits") as batch_op:
        batch_op.add_column(sa.Column("bulk_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("bulk_row", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_visits_bulk_id_bulk_row"), ["bulk_id", "bulk_row"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_visits_bulk_id_visit_bulks"), "visit_bulks", ["bulk_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_visits_bulk_id_visit_bulks"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_visits_bulk_id_bulk_row"), type_="unique")
        batch_op.drop_column("bulk_row")
        batch_op.drop_column("bulk_id")
    op.drop_table("visit_bulks")
