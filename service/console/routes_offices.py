"""Office screens: the list, a new office, an office's edit form with the services it offers.

The list is ``GET /offices``'s query, the writes ``offices.service`` as ``POST /offices`` and
``PATCH /offices/{id}`` call it (every service must be in the catalogue). How shoppers meet
an office (its channel) follows from its kind, as the API models it (``OFFICE_KINDS``).
"""

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from service.console import labels
from service.console.deps import (
    CheckedForm,
    CleanQuery,
    Console,
    ConsoleNotFound,
    ConsoleProblem,
    StaffConsole,
)
from service.console.pages import page, redirect
from service.db import SessionDep
from service.errors import ServiceError
from service.isotime import LOCAL_OFFSET
from service.offices import repository as offices_repository
from service.offices import service as offices_service
from service.offices.models import Office
from service.offices.regions import Region
from service.offices.schemas import OFFICE_KINDS, OfficeCreate, OfficeKind, OfficeUpdate
from service.params import RowId
from service.standards import service as standards_service

router = APIRouter()

PAGE_SIZE = 25
TEXT_FIELDS = ("name", "kind", "region", "city", "address", "latitude", "longitude")


def _form_fields(form: FormData) -> dict[str, Any]:
    """The office form as the API's body: blank optional fields are null."""
    fields: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
    for name in ("address", "latitude", "longitude"):
        fields[name] = fields[name] or None
    fields["services"] = [str(code) for code in form.getlist("services")]
    return fields


def _context(session: SessionDep, console: Console, problem: str | None) -> dict[str, Any]:
    today = console.now.astimezone(LOCAL_OFFSET).date()
    text = labels.ADMIN_PROBLEMS.get(problem or "", labels.GENERIC_PROBLEM) if problem else None
    return {
        "catalogue": _catalogue(session, today, console.language),
        "kinds": list(OfficeKind),
        "kind_channels": {kind: traits.channel for kind, traits in OFFICE_KINDS.items()},
        "regions": list(Region),
        "problem_text": console.gettext(text) if text else None,
    }


def _catalogue(session: SessionDep, today: dt.date, language: str) -> list[tuple[str, str]]:
    rows = standards_service.all_in_force(session, today)
    return sorted(
        {(row.service_code, standards_service.names_of(row).in_language(language)) for row in rows}
    )


def _office(session: SessionDep, console: Console, office_id: int) -> Office:
    try:
        return offices_service.get_office(session, office_id)
    except offices_service.OfficeNotFound:
        raise ConsoleNotFound(console) from None


@router.get(
    "/offices", response_class=HTMLResponse, name="console_offices", dependencies=[CleanQuery]
)
def console_offices(
    session: SessionDep,
    console: StaffConsole,
    region: Region | None = None,
    kind: OfficeKind | None = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """The offices, by region and kind, with the services each offers."""
    rows, total = offices_repository.list_offices(
        session,
        region=region.value if region else None,
        kind=kind.value if kind else None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    query = dict(console.request.query_params)
    query.pop("page", None)
    return page(
        console,
        "offices.html",
        {
            **_context(session, console, None),
            "offices": rows,
            "total": total,
            "page": page_number,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "filters": {"region": region, "kind": kind},
        },
    )


@router.get("/offices/new", response_class=HTMLResponse, name="console_new_office")
def console_new_office(
    session: SessionDep,
    console: StaffConsole,
    problem: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The form for a new office; its client id makes a form sent twice one office."""
    context = {**_context(session, console, problem), "office": None}
    return page(console, "office.html", context | {"client_id": uuid.uuid4()})


@router.post("/offices", name="console_create_office")
def console_create_office(
    session: SessionDep, console: StaffConsole, form: CheckedForm
) -> RedirectResponse:
    """Register an office as ``POST /offices`` does."""
    back = "/console/offices/new"
    try:
        fields = _form_fields(form) | {"client_id": str(form.get("client_id", "")) or None}
        office_in = OfficeCreate.model_validate(fields)
        office, _created = offices_service.create_office(session, office_in, now=console.now)
    except ValidationError as exc:
        raise ConsoleProblem(console, back, "office-invalid") from exc
    except ServiceError as exc:
        raise ConsoleProblem(console, back, exc.code) from exc
    return redirect(console, f"/console/offices/{office.id}", done="created")


@router.get("/offices/{office_id:int}", response_class=HTMLResponse, name="console_office")
def console_office(
    session: SessionDep,
    console: StaffConsole,
    office_id: RowId,
    problem: Annotated[str | None, Query(max_length=64)] = None,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """An office's edit form: its place, kind (and so channel) and the services it offers."""
    office = _office(session, console, office_id)
    notice = labels.ADMIN_DONE.get(done or "") if done else None
    return page(
        console,
        "office.html",
        {
            **_context(session, console, problem),
            "office": office,
            "notice": console.gettext(notice) if notice else None,
        },
    )


@router.post("/offices/{office_id:int}", name="console_update_office")
def console_update_office(
    session: SessionDep, console: StaffConsole, form: CheckedForm, office_id: RowId
) -> RedirectResponse:
    """Change an office as ``PATCH /offices/{id}`` does (the whole form is sent)."""
    here = f"/console/offices/{office_id}"
    office = _office(session, console, office_id)
    try:
        changes = OfficeUpdate.model_validate(_form_fields(form))
        offices_service.update_office(session, office, changes)
    except ValidationError as exc:
        raise ConsoleProblem(console, here, "office-invalid") from exc
    except ServiceError as exc:
        raise ConsoleProblem(console, here, exc.code) from exc
    return redirect(console, here, done="saved")
