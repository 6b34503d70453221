"""``lock_own`` and ``lock_own_row``: a shopper's own visit and their user row in one
statement, the user checked as ``CurrentUser`` and ``require_role`` check it; without such a
visit, the user alone. ``lock_own_row`` reads the same as plain values."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from service.auth.callers import Caller, UserInactive
from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import TokenClaims
from service.checklists.models import Checklist
from service.errors import Forbidden, InvalidToken
from service.visits.repository import LockedVisit, lock_own, lock_own_row
from service.visits.transitions import VisitStatus
from tests.fixtures.factories import make_visit
from tests.fixtures.statements import Statements
from tests.fixtures.users import make_user

SHOPPERS = frozenset({Role.shopper})
Read = Callable[[Session, Caller, uuid.UUID], tuple[Any, Any]]
READS = pytest.mark.parametrize("read", [lock_own, lock_own_row], ids=["objects", "values"])


def caller(user: User, roles: frozenset[Role] = SHOPPERS) -> Caller:
    """The claims of a valid access token of ``user`` (decoding has tests of its own)."""
    claims = TokenClaims(subject=user.id, version=user.token_version, jti=uuid.uuid4().hex)
    return Caller(claims, roles)


@READS
def test_the_visit_and_its_shopper_in_one_statement(
    session: Session, shopper: User, statements: Statements, read: Read
) -> None:
    visit = make_visit(session, shopper=shopper)
    checklist = session.get(Checklist, visit.checklist_id)
    assert checklist is not None
    statements.recording = True
    user, found = read(session, caller(shopper), visit.id)
    statements.recording = False
    assert statements.seen == ["SELECT visits"]
    assert (user.id, user.role) == (shopper.id, Role.shopper)
    assert found is not None
    assert (found[0].id, found[1]) == (visit.id, checklist.content_hash)
    assert (found[0].status, found[0].checklist_id) == (visit.status, visit.checklist_id)
    if read is lock_own_row:
        assert isinstance(found[0], LockedVisit)
        assert type(found[0].status) is VisitStatus


@READS
def test_another_shoppers_visit_is_not_found_after_the_user_is_read(
    session: Session, shopper: User, statements: Statements, read: Read
) -> None:
    theirs = make_visit(session, shopper=make_user(session, Role.shopper))
    token, shopper_id, visit_id = caller(shopper), shopper.id, theirs.id
    session.expire_all()  # as a request's new session: no user loaded yet
    statements.recording = True
    user, found = read(session, token, visit_id)
    statements.recording = False
    assert (user.id, found) == (shopper_id, None)
    assert statements.seen == ["SELECT visits", "SELECT users"]


@READS
@pytest.mark.parametrize("own_visit", [True, False])
def test_an_account_that_may_not_call_is_refused(
    session: Session, shopper: User, own_visit: bool, read: Read
) -> None:
    visit = make_visit(session, shopper=shopper if own_visit else make_user(session, Role.shopper))
    token = caller(shopper)
    shopper.is_active = False
    session.flush()
    with pytest.raises(UserInactive) as inactive:
        read(session, token, visit.id)
    assert inactive.value.headers == {"WWW-Authenticate": "Bearer"}

    shopper.is_active, shopper.token_version = True, shopper.token_version + 1
    session.flush()
    with pytest.raises(InvalidToken, match="password was changed"):
        read(session, token, visit.id)

    shopper.role = Role.coordinator  # the row is what counts, not what the token was for
    shopper.token_version -= 1
    session.flush()
    with pytest.raises(Forbidden, match="roles: shopper"):
        read(session, token, visit.id)


@READS
def test_a_caller_of_other_roles_is_a_mistake(session: Session, shopper: User, read: Read) -> None:
    visit = make_visit(session, shopper=shopper)
    with pytest.raises(ValueError, match="other roles"):
        read(session, caller(shopper, frozenset({Role.shopper, Role.admin})), visit.id)
