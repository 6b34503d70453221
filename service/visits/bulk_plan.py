"""Checking a whole bulk of assignments before any is written, reading only.

Every row is read and checked against one set of look-ups (a few queries whatever the number
of rows); any problem refuses the whole bulk with every problem of every row. Nothing here
writes: a checklist not stored yet is only built (``Pinned.checklist_id`` is ``None``) and is
stored by the first batch that needs it (``bulk_write``).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from service.visits import assignments, repository_bulk
from service.visits import service as visits_service
from service.visits.assignments import Lookups
from service.visits.bulk import COLUMNS, BulkRow, flag_repeated_client_ids, read_cells
from service.visits.checks import Candidate, Defect, Pinned, check_assignment
from service.visits.models import Visit
from service.visits.schemas import BulkRowError, VisitCreate


@dataclass
class Planned:
    """One row of a bulk: what it says and, once checked, what it makes."""

    row: BulkRow
    values: dict[str, Any]
    candidate: Candidate
    visit_in: VisitCreate | None = None
    # The visit the row already made: a row of this bulk written before a crash, or a row
    # whose client_id an earlier request used for the same assignment. Nothing to check or
    # write; it counts as unchanged.
    made: uuid.UUID | None = None
    # The checklist and standard version the row pins, once checked.
    pin: Pinned | None = None


def plan(
    session: Session, rows: list[BulkRow], *, written: dict[int, uuid.UUID], now: dt.datetime
) -> list[Planned]:
    """Every row checked, in order; ``written``: the visits earlier tries of this bulk made.

    Raises:
        BulkRowsInvalid: ``errors`` lists each problem as row, column, message and code.
    """
    plans = [Planned(r, v, Candidate.of(v)) for r in rows for v in [read_cells(r)]]
    flag_repeated_client_ids([(p.row, p.values) for p in plans])
    client_ids = {p.values["client_id"] for p in plans if "client_id" in p.values}
    earlier = repository_bulk.by_client_ids(session, client_ids)
    fresh = [p for p in plans if p.row.line not in written]
    lookups = assignments.look_up(session, [p.candidate for p in fresh], now=now, save=False)
    for one in plans:
        if one.row.line in written:
            one.made = written[one.row.line]  # written before a crash: done
            continue
        _check(one, lookups, earlier, now=now)
    _refuse_if_any(plans)
    return plans


def _check(
    plan: Planned, lookups: Lookups, earlier: dict[uuid.UUID, Visit], *, now: dt.datetime
) -> None:
    if not plan.row.problems:
        plan.visit_in = _to_create(plan, lookups)
    client_id = plan.visit_in.client_id if plan.visit_in is not None else None
    prior = earlier.get(client_id) if client_id is not None else None
    if prior is not None and plan.visit_in is not None:
        if assignments.same_assignment(prior, plan.visit_in):
            plan.made = prior.id  # a file sent again: nothing to check or create
            return
        plan.row.problems.append(
            Defect(
                "client_id",
                "visit-conflict",
                f"this client_id already created visit {prior.id} with other content",
            )
        )
    facts = lookups.facts(plan.candidate)
    if isinstance(facts.pinned, Pinned):
        plan.pin = facts.pinned
    plan.row.problems.extend(check_assignment(plan.candidate, facts, now=now))
    if not plan.row.problems and plan.visit_in is None:
        # Every cell read and every check passed, yet the row is no assignment: say so
        # rather than fail later.
        plan.row.problems.append(Defect(None, "value-invalid", "the row is not complete"))


def _to_create(plan: Planned, lookups: Lookups) -> VisitCreate | None:
    values = dict(plan.values)
    email = values.pop("shopper_email", None)
    if email is not None:
        if email not in lookups.ids_by_email:
            return None  # the checks report it
        values["shopper_id"] = lookups.ids_by_email[email]
    try:
        return VisitCreate.model_validate(values)
    except ValidationError:
        return None  # every cell read on its own; what is left (the window's order) is checked


def _refuse_if_any(plans: list[Planned]) -> None:
    order = {column: n for n, column in enumerate(COLUMNS)}
    errors = [
        BulkRowError(
            row=p.row.line, column=problem.column, message=problem.message, code=problem.code
        )
        for p in plans
        for problem in sorted(p.row.problems, key=lambda q: order.get(q.column or "", -1))
    ]
    if errors:
        bad = sum(1 for p in plans if p.row.problems)
        raise visits_service.BulkRowsInvalid(
            f"{bad} of {len(plans)} rows have problems ({len(errors)} in all); "
            "nothing was assigned. Fix every listed cell and send the whole file again.",
            errors=[e.model_dump() for e in errors],
        )
