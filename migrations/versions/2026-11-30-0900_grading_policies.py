"""grading policies: published versions, and the version each score was graded by

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grading_policies",
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_grading_policies_published_by_users")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_grading_policies")),
    )
    with op.batch_alter_table("grading_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grading_policies_published_at"), ["published_at"], unique=False
        )
    # Scores made before policies keep None: no policy graded them.
    with op.batch_alter_table("visit_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_scores", schema=None) as batch_op:
        batch_op.drop_column("policy_version")
    with op.batch_alter_table("grading_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grading_policies_published_at"))
    op.drop_table("grading_policies")
