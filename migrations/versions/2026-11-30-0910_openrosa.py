"""openrosa: app tokens for ODK Collect and the submissions it sent

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_app_tokens_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_app_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_app_tokens_token_hash")),
    )
    op.create_index(op.f("ix_app_tokens_user_id"), "app_tokens", ["user_id"], unique=False)
    op.create_table(
        "openrosa_submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("deprecated_id", sa.String(length=100), nullable=True),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("xml_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_openrosa_submissions_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_openrosa_submissions_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_submissions")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_openrosa_submissions_instance_id")),
    )
    op.create_index(
        op.f("ix_openrosa_submissions_visit_id"),
        "openrosa_submissions",
        ["visit_id"],
        unique=False,
    )
    op.create_index(
        "ix_openrosa_submissions_user_state",
        "openrosa_submissions",
        ["user_id", "state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_openrosa_submissions_user_state", table_name="openrosa_submissions")
    op.drop_index(op.f("ix_openrosa_submissions_visit_id"), table_name="openrosa_submissions")
    op.drop_table("openrosa_submissions")
    op.drop_index(op.f("ix_app_tokens_user_id"), table_name="app_tokens")
    op.drop_table("app_tokens")
