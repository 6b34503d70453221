"""visit results: the result's dates recorded after the visit

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 08:53:00

A result often comes weeks after its visit is approved. ``visit_results`` keeps each
follow-up (when the result was ready and received, who recorded it, its ``client_id`` for
retries); ``visits.result_ready_date`` and ``result_received_date`` carry the dates in force,
which the deadline is judged on. Existing visits have none: their answers stand.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("ready_date", sa.Date(), nullable=True),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_before", sa.String(length=16), nullable=True),
        sa.Column("deadline_after", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_visit_results_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_results_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_results")),
        sa.UniqueConstraint("client_id", name=op.f("uq_visit_results_client_id")),
    )
    with op.batch_alter_table("visit_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_results_visit_id"), ["visit_id"], unique=False)

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_ready_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("result_received_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("result_received_date")
        batch_op.drop_column("result_ready_date")

    with op.batch_alter_table("visit_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_results_visit_id"))

    op.drop_table("visit_results")
