"""sign-ins: refresh token families

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:30:00

One row per login: the id of its one usable refresh token, rotated by each refresh, and
when the family was revoked (a retired token came back, or a logout).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refresh_families",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("current_jti", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_families_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_families")),
    )
    with op.batch_alter_table("refresh_families") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_families_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refresh_families_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refresh_families") as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_families_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_families_expires_at"))

    op.drop_table("refresh_families")
