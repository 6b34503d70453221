"""Pure: the life of a visit, which moves exist and who may make them."""

from enum import StrEnum

from service.auth.roles import Role


class VisitStatus(StrEnum):
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    rejected = "rejected"
    cancelled = "cancelled"


class VisitAction(StrEnum):
    start = "start"
    submit = "submit"
    approve = "approve"
    return_ = "return"
    reject = "reject"
    cancel = "cancel"
    reopen = "reopen"


class ReviewAction(StrEnum):
    """What a reviewer does with a submitted visit: approve it, or return or reject it (each
    of those with a comment)."""

    approve = VisitAction.approve.value
    return_ = VisitAction.return_.value
    reject = VisitAction.reject.value


SHOPPER = frozenset({Role.shopper})
STAFF = frozenset({Role.admin, Role.coordinator})

# (from, action) -> (to, who). Reopening an approved or rejected visit puts it back under
# review, where it can be returned to the shopper; nothing else unlocks an approved visit.
TRANSITIONS: dict[tuple[VisitStatus, VisitAction], tuple[VisitStatus, frozenset[Role]]] = {
    (VisitStatus.assigned, VisitAction.start): (VisitStatus.in_progress, SHOPPER),
    (VisitStatus.in_progress, VisitAction.submit): (VisitStatus.submitted, SHOPPER),
    (VisitStatus.returned, VisitAction.submit): (VisitStatus.submitted, SHOPPER),
    (VisitStatus.submitted, VisitAction.approve): (VisitStatus.approved, STAFF),
    (VisitStatus.submitted, VisitAction.return_): (VisitStatus.returned, STAFF),
    (VisitStatus.submitted, VisitAction.reject): (VisitStatus.rejected, STAFF),
    (VisitStatus.assigned, VisitAction.cancel): (VisitStatus.cancelled, STAFF),
    (VisitStatus.in_progress, VisitAction.cancel): (VisitStatus.cancelled, STAFF),
    (VisitStatus.returned, VisitAction.cancel): (VisitStatus.cancelled, STAFF),
    (VisitStatus.submitted, VisitAction.cancel): (VisitStatus.cancelled, STAFF),
    (VisitStatus.approved, VisitAction.reopen): (VisitStatus.submitted, STAFF),
    (VisitStatus.rejected, VisitAction.reopen): (VisitStatus.submitted, STAFF),
}

# Answers are accepted only while the shopper holds the visit.
EDITABLE = frozenset({VisitStatus.assigned, VisitStatus.in_progress, VisitStatus.returned})
# A visit still the shopper's to do once its window has ended is overdue (the wave dashboard).
OVERDUE_STATUSES = EDITABLE


class TransitionRefused(ValueError):
    """The move is not allowed; ``allowed`` lists the moves this role may make now."""

    def __init__(self, status: VisitStatus, action: VisitAction, allowed: list[VisitAction]):
        names = ", ".join(a.value for a in allowed) or "none"
        super().__init__(
            f"You cannot {action.value} a visit that is {status.value}; allowed moves: {names}."
        )
        self.allowed = allowed


def allowed_actions(status: VisitStatus, role: Role) -> list[VisitAction]:
    """The moves ``role`` may make on a visit in ``status``, in a stable order."""
    return [
        action
        for (source, action), (_, roles) in TRANSITIONS.items()
        if source == status and role in roles
    ]


def next_status(status: VisitStatus, action: VisitAction, role: Role) -> VisitStatus:
    """The status after ``action``, or raise ``TransitionRefused`` listing the allowed moves."""
    move = TRANSITIONS.get((status, action))
    if move is None or role not in move[1]:
        raise TransitionRefused(status, action, allowed_actions(status, role))
    return move[0]
