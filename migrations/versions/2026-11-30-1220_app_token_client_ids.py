"""app token client ids: a retried create answers the same token

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 11:50:00

Creating an app token now carries a ``client_id``, like every other write; the token is
derived from it under the server's key, so a retry answers the same token and none is kept in
clear. Tokens made before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_app_tokens_client_id"), ["client_id"])


def downgrade() -> None:
    with op.batch_alter_table("app_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_app_tokens_client_id"), type_="unique")
        batch_op.drop_column("client_id")
