"""e-mails: the new normal form and look-alike skeletons

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 05:40:00

E-mails were stored lower-cased; they are now stored NFKC + case-folded, and each account
keeps the SHA-256 of its e-mail's TR39 skeleton, unique, so a look-alike of an existing
address is refused.
The backfill uses the service's own functions (service/auth/emails.py) at the time it runs.
An address whose new form or skeleton another, older account already holds keeps its old
form, or gets no skeleton: such look-alike pairs predate the check and are printed for an
operator to look at; new accounts are still checked against the older of the two.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.auth.emails import normalise_email, skeleton_key

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String(254)),
    sa.column("email_skeleton_hash", sa.String(64)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email_skeleton_hash", sa.String(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_email_skeleton_hash"), ["email_skeleton_hash"]
        )


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users.c.id, users.c.email).order_by(users.c.created_at, users.c.id)
    ).all()
    emails = {email for _, email in rows}
    skeletons: dict[str, str] = {}
    for user_id, email in rows:
        normal = normalise_email(email)
        if normal != email and normal not in emails:
            emails.discard(email)
            emails.add(normal)
        else:
            normal = email
        skeleton: str | None = skeleton_key(normal)
        if skeleton in skeletons:
            print(f"users: {normal} looks like {skeletons[skeleton]}, an older account")  # noqa: T201
            skeleton = None
        else:
            skeletons[skeleton] = normal
        bind.execute(
            sa.update(users)
            .where(users.c.id == user_id)
            .values(email=normal, email_skeleton_hash=skeleton)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email_skeleton_hash"), type_="unique")
        batch_op.drop_column("email_skeleton_hash")
