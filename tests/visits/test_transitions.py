import pytest

from service.auth.roles import Role
from service.visits.transitions import (
    EDITABLE,
    TRANSITIONS,
    TransitionRefused,
    VisitAction,
    VisitStatus,
    allowed_actions,
    next_status,
)

S = VisitStatus
A = VisitAction


@pytest.mark.parametrize(
    ("status", "action", "role", "expected"),
    [
        (S.assigned, A.start, Role.shopper, S.in_progress),
        (S.in_progress, A.submit, Role.shopper, S.submitted),
        (S.returned, A.submit, Role.shopper, S.submitted),
        (S.submitted, A.approve, Role.coordinator, S.approved),
        (S.submitted, A.return_, Role.admin, S.returned),
        (S.submitted, A.reject, Role.coordinator, S.rejected),
        (S.assigned, A.cancel, Role.coordinator, S.cancelled),
        (S.submitted, A.cancel, Role.admin, S.cancelled),
        (S.approved, A.reopen, Role.coordinator, S.submitted),
        (S.rejected, A.reopen, Role.admin, S.submitted),
    ],
)
def test_allowed_moves(status: S, action: A, role: Role, expected: S) -> None:
    assert next_status(status, action, role) is expected


@pytest.mark.parametrize(
    ("status", "action", "role", "allowed"),
    [
        (S.assigned, A.submit, Role.shopper, [A.start]),
        (S.submitted, A.approve, Role.shopper, []),
        (S.in_progress, A.approve, Role.coordinator, [A.cancel]),
        (S.approved, A.cancel, Role.coordinator, [A.reopen]),
        (S.approved, A.submit, Role.shopper, []),
        (S.cancelled, A.reopen, Role.admin, []),
        (S.submitted, A.approve, Role.analyst, []),
        (S.assigned, A.start, Role.coordinator, [A.cancel]),
    ],
)
def test_refused_moves_list_what_is_allowed(
    status: S, action: A, role: Role, allowed: list[A]
) -> None:
    with pytest.raises(TransitionRefused) as err:
        next_status(status, action, role)
    assert err.value.allowed == allowed
    assert status.value in str(err.value)


def test_terminal_states_have_no_way_out_but_reopen() -> None:
    for status in (S.cancelled,):
        assert all(allowed_actions(status, role) == [] for role in Role)
    assert allowed_actions(S.approved, Role.coordinator) == [A.reopen]


def test_answers_are_editable_only_while_the_shopper_holds_the_visit() -> None:
    assert {S.assigned, S.in_progress, S.returned} == EDITABLE
    holders = {src for (src, act), (_, roles) in TRANSITIONS.items() if Role.shopper in roles}
    assert holders <= EDITABLE
