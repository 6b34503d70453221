"""Every query of the OpenRosa package."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from service.auth.models import User
from service.checklists.models import Checklist
from service.offices.models import Office
from service.openrosa.models import AppToken, OpenRosaSubmission, SubmissionState
from service.visits.models import Visit
from service.visits.transitions import EDITABLE


def add(session: Session, row: AppToken | OpenRosaSubmission) -> None:
    session.add(row)
    session.flush()


def count_active(session: Session, user_id: uuid.UUID) -> int:
    statement = select(func.count()).where(
        AppToken.user_id == user_id, col(AppToken.revoked_at).is_(None)
    )
    return session.exec(statement).one()


def list_tokens(session: Session, user_id: uuid.UUID) -> Sequence[AppToken]:
    statement = (
        select(AppToken)
        .where(AppToken.user_id == user_id)
        .order_by(col(AppToken.created_at).desc(), col(AppToken.id))
    )
    return session.exec(statement).all()


def get_token(session: Session, token_id: uuid.UUID) -> AppToken | None:
    return session.get(AppToken, token_id)


def token_by_client_id(session: Session, client_id: uuid.UUID) -> AppToken | None:
    return session.exec(select(AppToken).where(col(AppToken.client_id) == client_id)).first()


def active_token(session: Session, token_hash: str) -> tuple[AppToken, User] | None:
    statement = (
        select(AppToken, User)
        .join(User, col(User.id) == col(AppToken.user_id))
        .where(AppToken.token_hash == token_hash, col(AppToken.revoked_at).is_(None))
    )
    row = session.exec(statement).first()
    return (row[0], row[1]) if row else None


def touch(session: Session, token_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(update(AppToken).where(col(AppToken.id) == token_id).values(last_used_at=now))


def submission(session: Session, instance_id: str) -> OpenRosaSubmission | None:
    statement = select(OpenRosaSubmission).where(OpenRosaSubmission.instance_id == instance_id)
    return session.exec(statement).first()


class OpenVisit(NamedTuple):
    visit_id: uuid.UUID
    service_code: str
    channel: str
    checklist_id: int
    checklist_hash: str
    office_name: str
    window_start_at: dt.datetime
    window_end_at: dt.datetime
    review_comment: str | None


def open_visits(session: Session, shopper_id: uuid.UUID) -> list[OpenVisit]:
    """The shopper's visits still in their hands (assigned, in progress, returned)."""
    statement = (
        sa_select(
            col(Visit.id),
            col(Visit.service_code),
            col(Visit.channel),
            col(Visit.checklist_id),
            col(Checklist.content_hash),
            col(Office.name),
            col(Visit.window_start_at),
            col(Visit.window_end_at),
            col(Visit.review_comment),
        )
        .join(Checklist, col(Checklist.id) == col(Visit.checklist_id))
        .join(Office, col(Office.id) == col(Visit.office_id))
        .where(col(Visit.shopper_id) == shopper_id, col(Visit.status).in_(sorted(EDITABLE)))
        .order_by(col(Visit.window_start_at), col(Visit.id))
    )
    return [OpenVisit(*row) for row in session.execute(statement).all()]


def waiting(session: Session, user_id: uuid.UUID) -> Sequence[OpenRosaSubmission]:
    """The shopper's complete submissions whose visit is not submitted yet."""
    statement = select(OpenRosaSubmission).where(
        OpenRosaSubmission.user_id == user_id,
        OpenRosaSubmission.state == SubmissionState.received,
    )
    return session.exec(statement).all()


def pinned_checklists(session: Session, shopper_id: uuid.UUID) -> list[tuple[int, str]]:
    """The checklists (id, content hash) the shopper's visits pin, newest first."""
    statement = (
        sa_select(col(Checklist.id), col(Checklist.content_hash))
        .join(Visit, col(Visit.checklist_id) == col(Checklist.id))
        .where(col(Visit.shopper_id) == shopper_id)
        .distinct()
        .order_by(col(Checklist.id).desc())
    )
    return [(int(row[0]), str(row[1])) for row in session.execute(statement).all()]
