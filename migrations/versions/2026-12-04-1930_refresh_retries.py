"""refresh retries: a refresh token sent again at once gets the same answer

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 19:30:00

A phone that lost the answer to a refresh sends its token again. The family keeps the token
its last exchange retired, so within ``MSHOP_AUTH__REFRESH_RETRY_SECONDS`` of that exchange
the retry is answered as the exchange was, instead of counting as reuse and signing the phone
out. Families rotated before have none: their next retired token is reuse, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("refresh_families", sa.Column("previous_jti", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_families", "previous_jti")  # native on SQLite 3.35+
