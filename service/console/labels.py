"""Interface names of the API's closed sets (statuses, channels, sorts, problems).

Marked with ``N_`` so the catalogue test (tests/console/test_catalogues.py) finds them as it
finds the templates' strings; translated when the page is rendered.
"""

from service.checklists.format import ChecklistChannel
from service.standards.catalogue import Level
from service.visits.repository import VisitOrder
from service.visits.transitions import VisitAction, VisitStatus


# gettext's name for "mark now, translate when shown".
def N_(message: str) -> str:
    return message


STATUSES: dict[str, str] = {
    VisitStatus.assigned: N_("Assigned"),
    VisitStatus.in_progress: N_("In progress"),
    VisitStatus.submitted: N_("Awaiting review"),
    VisitStatus.approved: N_("Approved"),
    VisitStatus.returned: N_("Returned to the shopper"),
    VisitStatus.rejected: N_("Rejected"),
    VisitStatus.cancelled: N_("Cancelled"),
}
ACTIONS: dict[str, str] = {
    VisitAction.start: N_("Start"),
    VisitAction.submit: N_("Submit"),
    VisitAction.approve: N_("Approve"),
    VisitAction.return_: N_("Return"),
    VisitAction.reject: N_("Reject"),
    VisitAction.cancel: N_("Cancel"),
    VisitAction.reopen: N_("Reopen"),
    "sync": N_("Answers synced"),
    "assign": N_("Assigned"),
}
CHANNELS: dict[str, str] = {
    ChecklistChannel.in_person: N_("In person"),
    ChecklistChannel.call_1414: N_("Call to 1414"),
    ChecklistChannel.egov: N_("eGov portal"),
}
LEVELS: dict[str, str] = {Level.central: N_("Central"), Level.local: N_("Local")}
ORDERS: dict[str, str] = {
    VisitOrder.window: N_("Visit window"),
    VisitOrder.status: N_("Status"),
    VisitOrder.service: N_("Service"),
    VisitOrder.submitted: N_("Submitted"),
    VisitOrder.wave: N_("Wave"),
}
SEVERITIES: dict[str, str] = {
    "critical": N_("Critical"),
    "major": N_("Major"),
    "minor": N_("Minor"),
}
# A refused action, shown above the review; any other code reads as the generic message.
PROBLEMS: dict[str, str] = {
    "comment-required": N_("A comment is required to return or reject a visit."),
    "reason-required": N_("A reason is required to reopen a visit."),
    "transition-not-allowed": N_("This move is not allowed in the visit's current state."),
    "visit-conflict": N_("Someone else changed this visit; look at it again."),
}
GENERIC_PROBLEM = N_("The action was refused.")

ALL: tuple[dict[str, str], ...] = (
    STATUSES,
    ACTIONS,
    CHANNELS,
    LEVELS,
    ORDERS,
    SEVERITIES,
    PROBLEMS,
    {"": GENERIC_PROBLEM},
)


def label(names: dict[str, str], value: object) -> str:
    """The interface name of ``value``, untranslated; the value itself when it has none."""
    return names.get(str(value), str(value))
