"""The periods a report covers: its own and the one it is compared with, checked."""

import datetime as dt
from typing import ClassVar

from service.error_codes import ErrorCode
from service.errors import ValidationFailed
from service.reports.schemas import ReportFilters


class ReportFiltersInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "report-filters-invalid"
    title = "Report filters invalid"


def check_period(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
    """Refuse a period that ends before it starts.

    Raises:
        ReportFiltersInvalid: ``end`` is before ``start``.
    """
    if start is not None and end is not None and end < start:
        detail = f"{names[1]} ({end}) is before {names[0]} ({start})."
        raise ReportFiltersInvalid(detail, errors=[{"loc": ["query", names[1]], "msg": detail}])


def check_comparison(filters: ReportFilters, start: dt.date | None, end: dt.date | None) -> None:
    """Refuse a comparison period with one end, backwards, or overlapping the current one.

    Raises:
        ReportFiltersInvalid: as above.
    """
    if (start is None) != (end is None):
        given, missing = (
            ("compare_from", "compare_to") if end is None else ("compare_to", "compare_from")
        )
        detail = f"{given} needs {missing}: a comparison period has both ends."
        raise ReportFiltersInvalid(detail, errors=[{"loc": ["query", missing], "msg": detail}])
    check_period(start, end, ("compare_from", "compare_to"))
    if start is None or end is None or (filters.date_from is None and filters.date_to is None):
        # Without dates the current visits are a wave's or all of them: nothing to overlap.
        return
    now_from, now_to = filters.date_from or dt.date.min, filters.date_to or dt.date.max
    if start <= now_to and now_from <= end:
        detail = (
            f"The comparison period {start}..{end} overlaps the current period "
            f"{filters.date_from or '…'}..{filters.date_to or '…'}; compare with an earlier one."
        )
        raise ReportFiltersInvalid(
            detail, errors=[{"loc": ["query", "compare_from"], "msg": detail}]
        )
