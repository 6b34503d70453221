"""photo jobs: processing after the answer, ready or rejected

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:00:00

Uploads now store the original and answer ``processing``; a durable job (``photo_jobs``)
decodes the photo, makes its copies and marks it ``ready`` or ``rejected`` with
``rejected_reason``. Photos stored before this were processed already: ``stored`` becomes
``ready`` (and back on downgrade, where photos still processing or rejected are removed
from the queue and left as they are for an operator: the old code serves neither).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("photo_id"),
    )
    op.create_index("ix_photo_jobs_run_after", "photo_jobs", ["run_after"], unique=False)
    with op.batch_alter_table("photos") as batch_op:
        batch_op.add_column(sa.Column("rejected_reason", sa.String(length=300), nullable=True))
    op.execute("UPDATE photos SET status = 'ready' WHERE status = 'stored'")


def downgrade() -> None:
    op.execute("UPDATE photos SET status = 'stored' WHERE status = 'ready'")
    with op.batch_alter_table("photos") as batch_op:
        batch_op.drop_column("rejected_reason")
    op.drop_index("ix_photo_jobs_run_after", table_name="photo_jobs")
    op.drop_table("photo_jobs")
