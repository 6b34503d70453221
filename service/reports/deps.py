"""Who may read reports and exports, on which session, with which filters."""

from typing import Annotated

from fastapi import Depends, Header, Query
from sqlmodel import Session

from service.auth.deps import require_role
from service.auth.models import User
from service.auth.roles import Role
from service.checklists.format import ChecklistChannel
from service.db import ReadSessionDep
from service.deps import state_dependency
from service.isotime import IsoDate
from service.languages import Language, chosen
from service.offices.regions import Region
from service.params import RowIdQuery
from service.reports.cache import ChartCache
from service.reports.periods import ReportFiltersInvalid, check_period
from service.reports.schemas import RankBy, ReportFilters
from service.standards.catalogue import CODE_PATTERN, Level
from service.visits.transitions import VisitStatus

# No control characters: PostgreSQL refuses NUL in text, and an export has already sent its
# 200 by the time its query runs, so a bad value must be refused here, as a 422.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

ReportUser = Annotated[User, Depends(require_role(Role.admin, Role.coordinator, Role.analyst))]


async def read_only_session(session: ReadSessionDep, _user: ReportUser) -> Session:
    """The request's session in a read-only transaction, for a caller allowed to read reports.

    A report or a long export must not keep phones from syncing (``db.read_only``). async:
    it only hands on what its dependencies made, so it costs no thread-pool hop.
    """
    return session


ReportSession = Annotated[Session, Depends(read_only_session)]


def _statuses(values: list[str] | None) -> list[VisitStatus]:
    if not values:
        return [VisitStatus.approved]
    wanted = [part.strip() for value in values for part in value.split(",") if part.strip()]
    known = {s.value: s for s in VisitStatus}
    unknown = [value for value in wanted if value not in known]
    if unknown or not wanted:
        allowed = ", ".join(known)
        detail = f"status: unknown {', '.join(unknown) or '(empty)'}; use {allowed}."
        raise ReportFiltersInvalid(detail, errors=[{"loc": ["query", "status"], "msg": detail}])
    return list(dict.fromkeys(known[value] for value in wanted))


# async: it only parses, so it runs on the event loop instead of costing a thread-pool hop.
async def report_filters(
    status: Annotated[
        list[str] | None,
        Query(
            description="Visit statuses to count, repeated or comma-separated (default: approved)"
        ),
    ] = None,
    date_from: Annotated[
        IsoDate | None,
        Query(alias="from", description="First day of window start, YYYY-MM-DD (UTC+5)"),
    ] = None,
    date_to: Annotated[
        IsoDate | None,
        Query(alias="to", description="Last day of window start, YYYY-MM-DD (UTC+5)"),
    ] = None,
    wave: Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)] = None,
    service: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    agency: Annotated[str | None, Query(min_length=1, max_length=32, pattern=PRINTABLE)] = None,
    level: Level | None = None,
    region: Region | None = None,
    office_id: RowIdQuery | None = None,
    channel: Annotated[
        ChecklistChannel | None,
        Query(
            description="How shoppers met the service; rankings count in_person when not "
            "given (each channel is a table of its own, never mixed), other reports every "
            "channel"
        ),
    ] = None,
) -> ReportFilters:
    """Read the shared report filters from the query string.

    Raises:
        ReportFiltersInvalid: an unknown status, or ``to`` before ``from``.
    """
    check_period(date_from, date_to, ("from", "to"))
    return ReportFilters(
        statuses=_statuses(status),
        date_from=date_from,
        date_to=date_to,
        wave=wave,
        service_code=service,
        agency=agency,
        level=level,
        region=region,
        office_id=office_id,
        channel=channel,
    )


FiltersDep = Annotated[ReportFilters, Depends(report_filters)]


async def ranking_filters(filters: FiltersDep) -> ReportFilters:
    """The filters of a ranking: one channel, in person unless another is asked for.

    The 2018 report's tables rank services as applicants met them in person; a 1414 call
    or an egov session is another experience, rated on another checklist, so each channel
    is ranked on its own.
    """
    if filters.channel is not None:
        return filters
    return filters.model_copy(update={"channel": ChecklistChannel.in_person})


RankingFiltersDep = Annotated[ReportFilters, Depends(ranking_filters)]
CompareFrom = Annotated[
    IsoDate | None, Query(description="First day of the comparison period (UTC+5)")
]
CompareTo = Annotated[
    IsoDate | None, Query(description="Last day of the comparison period (UTC+5)")
]
RankByQuery = Annotated[
    RankBy,
    Query(
        description="The measure that orders the rows: satisfaction (the shoppers' own 1-5 "
        "ratings, as the 2018 report's tables) or compliance (the grade)"
    ),
]


async def report_language(
    lang: Annotated[
        Language | None,
        Query(description="Language of the texts; else Accept-Language, else ru"),
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Language:
    """The language a report's texts are given in: ``lang``, else the first of ours the
    ``Accept-Language`` header asks for, else Russian, the report's own language."""
    return chosen(lang, accept_language)


LanguageDep = Annotated[Language, Depends(report_language)]

# The app's chart cache (``create_app`` makes one per process, sized by settings).
ChartCacheDep = Annotated[ChartCache, Depends(state_dependency("chart_cache", ChartCache))]
