"""Interface names of the API's closed sets (statuses, channels, sorts, problems).

Marked with ``N_`` so the catalogue test (tests/console/test_catalogues.py) finds them as it
finds the templates' strings; translated when the page is rendered.
"""

from service.auth.roles import Role
from service.checklists.format import ChecklistChannel
from service.offices.schemas import OfficeKind
from service.photos.flags import Flag
from service.reports.schemas import RankBy
from service.scoring.verdicts import DeadlineStatus
from service.standards.catalogue import Level
from service.visits.repository_lists import VisitOrder
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
    "result": N_("Result recorded"),
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
# Why a photo deserves a second look (photos.flags.Flag); a flag informs, never rejects.
PHOTO_FLAGS: dict[str, str] = {
    Flag.no_exif: N_("No camera data (EXIF)"),
    Flag.taken_outside_window: N_("Taken outside the visit window"),
    Flag.taken_far_from_claim: N_("Camera time far from the time given"),
    Flag.far_from_office: N_("Taken far from the office"),
    Flag.reused_image: N_("Looks like a photo of another visit"),
}
# Answers that are words, not values (the review's answers: ``answer_text``).
ANSWERS: dict[str, str] = {"yes": N_("Yes"), "no": N_("No"), "na": N_("Not applicable")}
# A refused action, shown above the review; any other code reads as the generic message.
PROBLEMS: dict[str, str] = {
    "comment-required": N_("A comment is required to return or reject a visit."),
    "comment-invalid": N_(
        "The comment is refused: longer than 2,000 characters, or it holds a control character."
    ),
    "reason-required": N_("A reason is required to reopen a visit."),
    "transition-not-allowed": N_("This move is not allowed in the visit's current state."),
    "visit-conflict": N_("Someone else changed this visit; look at it again."),
    "result-dates-invalid": N_(
        "The result dates are refused: a day in the future or before the visit's window, "
        "or received before ready."
    ),
    "result-date-required": N_("Give the day the result was ready, received, or both."),
    "result-conflict": N_("This follow-up was already recorded with other dates."),
    "visit-not-editable": N_("The visit is cancelled; it has no result to judge."),
}
# The deadline verdicts (scoring.verdicts.DeadlineStatus).
DEADLINES: dict[str, str] = {
    DeadlineStatus.on_time: N_("On time"),
    DeadlineStatus.late: N_("Late"),
    DeadlineStatus.pending: N_("Pending: no result yet"),
    DeadlineStatus.overdue: N_("Overdue: no result"),
    DeadlineStatus.early: N_("Before the minimum term"),
    DeadlineStatus.unknown: N_("Unknown"),
}
# What is wrong with an assignment or a row of a wave file (visits.checks.DefectCode).
DEFECTS: dict[str, str] = {
    "shopper-not-active": N_("No active shopper"),
    "office-not-found": N_("No such office"),
    "service-not-found": N_("No such service"),
    "service-not-offered-at-office": N_("The office does not offer this service"),
    "channel-not-available-at-office": N_("The office is not reached through this channel"),
    "checklist-not-offered": N_("No checklist for this service and channel"),
    "checklist-not-found": N_("No checklist for this service and channel"),
    "checklist-invalid": N_("The checklist cannot be built"),
    "standard-not-in-force": N_("No standard in force on the first day"),
    "deadline-case-out-of-range": N_("No such deadline case"),
    "window-in-the-past": N_("The visit window is in the past"),
    "value-invalid": N_("Invalid value"),
    "value-missing": N_("Empty cell"),
    "cell-too-long": N_("The cell is too long"),
    "client-id-repeated": N_("The client id repeats another row's"),
    "visit-conflict": N_("The client id was used for another visit"),
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
    DEADLINES,
    DEFECTS,
    PHOTO_FLAGS,
    ANSWERS,
    {"": GENERIC_PROBLEM},
)


def label(names: dict[str, str], value: object) -> str:
    """The interface name of ``value``, untranslated; the value itself when it has none."""
    return names.get(str(value), str(value))


# --- Accounts, offices and the wave report (issue 18, admin and analyst part) ---
ROLES: dict[str, str] = {
    Role.admin: N_("Administrator"),
    Role.coordinator: N_("Coordinator"),
    Role.shopper: N_("Mystery shopper"),
    Role.analyst: N_("Analyst"),
}
OFFICE_KIND_NAMES: dict[str, str] = {
    OfficeKind.con: N_("Public service centre (CON)"),
    OfficeKind.agency_office: N_("Agency office"),
    OfficeKind.call_centre: N_("Call centre"),
    OfficeKind.portal: N_("Portal"),
}
RANK_BY: dict[str, str] = {
    RankBy.satisfaction: N_("Satisfaction"),
    RankBy.compliance: N_("Compliance"),
}
# A refused account or office action, shown above its form; others read as GENERIC_PROBLEM.
ADMIN_PROBLEMS: dict[str, str] = {
    "account-invalid": N_("Check the fields: the e-mail, the name, the phone and the role."),
    "user-exists": N_("An account with this e-mail already exists."),
    # A form sent again (the browser's back button) after its fields were changed.
    "user-conflict": N_("This form was already sent with other details; open the page again."),
    "email-confusable": N_("This e-mail looks like another account's; type it as it is spelled."),
    "password-too-short": N_("The password is too short."),
    "old-password-required": N_(
        "Your own password cannot be reset here; ask another administrator."
    ),
    "self-demotion": N_("You cannot deactivate your own account."),
    "validation-failed": N_("App tokens are for active mystery shoppers only."),
    "too-many-app-tokens": N_("The shopper has too many active app tokens; revoke one first."),
    "office-invalid": N_("Check the fields: the name, the city and the coordinates."),
    "office-conflict": N_("This form was already sent with other details; open the page again."),
    "service-not-found": N_("A service is not in the catalogue."),
}
# What a done action says above the page it comes back to.
ADMIN_DONE: dict[str, str] = {
    "created": N_("Created."),
    "saved": N_("Saved."),
    "activated": N_("The account is active again."),
    "deactivated": N_("The account is deactivated."),
    "password-reset": N_("The password is set; the account's sessions ended."),
    "unlocked": N_("The account can sign in again at once."),
    "revoked": N_("The app token is revoked."),
}
