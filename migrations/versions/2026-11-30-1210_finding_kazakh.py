"""finding messages in Kazakh

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 12:00:00

Scoring now writes every finding's message in Kazakh too (the message catalogue,
``checklists/messages.yaml``), so the findings report can answer ``lang=kk``. Findings stored
before have no Kazakh text: the column is nullable and the report shows the Russian for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit_findings") as batch:
        batch.add_column(sa.Column("message_kk", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_findings") as batch:
        batch.drop_column("message_kk")
