"""A shopper's write (``ShopperWrite``, handed to photos) locks its visit once a transaction,
reading the checklist's hash with it, and starts an assigned visit on the way."""

import pytest
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role
from service.checklists import pinned
from service.visits.models import VisitEvent
from service.visits.service import VisitNotFound
from service.visits.transitions import VisitStatus
from service.visits.writes import ShopperWrite, locked_write
from tests.conftest import NOW
from tests.fixtures.factories import make_visit
from tests.fixtures.statements import Statements
from tests.fixtures.users import make_user


def test_the_lock_is_taken_once_a_transaction(
    session: Session, shopper: User, statements: Statements
) -> None:
    session.expire_on_commit = False  # as a request's session: loaded rows stay loaded
    visit = make_visit(session, shopper=shopper)
    expected = pinned.checklist_for_visit(session, visit)  # the parse cache warm
    session.commit()
    writer = ShopperWrite(session, visit, shopper, NOW)

    statements.recording = True
    first = writer.lock()
    again = writer.lock()
    checklist = writer.checklist()
    statements.recording = False

    # The visit and its checklist's hash in one read; the start's update and event.
    assert statements.seen == ["SELECT visits", "UPDATE visits", "INSERT visit_events"]
    assert again is first
    assert first.status == VisitStatus.in_progress
    assert checklist is expected  # from the parse cache, by the hash the lock read
    session.commit()  # the transaction that held the lock ends

    statements.seen.clear()
    statements.recording = True
    writer.lock()
    statements.recording = False

    assert statements.seen == ["SELECT visits"]  # locked again; started already
    starts = session.exec(
        select(VisitEvent).where(col(VisitEvent.visit_id) == visit.id, VisitEvent.action == "start")
    ).all()
    assert [e.detail for e in starts] == [{"implicit": True}]


def test_a_locked_write_reads_the_visit_once_and_only_the_shoppers_own(
    session: Session, shopper: User, statements: Statements
) -> None:
    session.expire_on_commit = False  # as a request's session: loaded rows stay loaded
    visit = make_visit(session, shopper=shopper)
    other = make_user(session, Role.shopper)
    session.commit()

    statements.recording = True
    writer = locked_write(session, visit.id, shopper, now=NOW)
    writer.lock()
    statements.recording = False

    assert statements.seen == ["SELECT visits", "UPDATE visits", "INSERT visit_events"]
    assert writer.visit.status == VisitStatus.in_progress
    with pytest.raises(VisitNotFound):
        locked_write(session, visit.id, other, now=NOW)
