"""Status columns: members of their enum in Python, their plain values in the database."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from service.auth.models import User
from service.photos.models import Photo, PhotoStatus
from service.visits.models import Visit, VisitEvent
from service.visits.transitions import VisitStatus
from tests.fixtures.factories import make_visit

AT = dt.datetime(2026, 3, 18, 5, 0, tzinfo=dt.UTC)


def test_visit_status_reads_back_as_a_member_and_is_stored_as_its_value(
    session: Session, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    session.flush()
    # An untyped column reads the stored text as is, past the enum conversion.
    raw = session.execute(
        select(literal_column("status")).select_from(Visit).where(col(Visit.id) == visit.id)
    ).scalar_one()
    assert (type(raw), raw) == (str, "assigned")
    session.expire_all()
    loaded = session.get(Visit, visit.id)
    assert loaded is not None
    assert loaded.status is VisitStatus.assigned
    event = session.exec(
        sqlmodel_select(VisitEvent).where(col(VisitEvent.visit_id) == visit.id)
    ).one()
    assert (event.from_status, event.to_status) == (None, VisitStatus.assigned)
    assert event.to_status is VisitStatus.assigned


def test_photo_status_reads_back_as_a_member(session: Session, shopper: User) -> None:
    visit = make_visit(session, shopper=shopper)
    photo = Photo(
        client_id=uuid.uuid4(),
        visit_id=visit.id,
        item_code="signage_clear",
        status=PhotoStatus.pending,
        taken_at=AT,
        original_key="photos/x/original",
        uploaded_by_id=shopper.id,
        created_at=AT,
    )
    session.add(photo)
    session.flush()
    session.expire_all()
    loaded = session.get(Photo, photo.id)
    assert loaded is not None
    assert loaded.status is PhotoStatus.pending


def test_an_unknown_status_is_refused_before_it_reaches_the_database(
    session: Session, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    visit.status = "lost"  # type: ignore[assignment]
    with pytest.raises(StatementError, match="lost"):
        session.flush()
