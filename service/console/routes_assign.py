"""Assigning visits from the console: one visit with the shopper and office found by search,
or a whole wave from a CSV file with every row's problems shown.

One visit goes through ``visits.assignments.assign`` (``POST /visits``), a wave through
``visits.bulk_write.bulk_assign`` (``POST /visits/bulk``). Each form carries a client id made
when it is shown, so a form sent twice makes its visits once; a refused form keeps its id
(nothing was written under it) and the corrected form is sent with it.
"""

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from service.auth import service as auth_service
from service.auth.roles import Role
from service.console.deps import CheckedForm, CleanQuery, Console, ConsoleRefused, StaffConsole
from service.console.pages import page, redirect
from service.db import ReadSessionDep, SessionDep
from service.errors import ServiceError
from service.isotime import LOCAL_OFFSET, local_date
from service.offices import service as offices_service
from service.params import RowIdQuery
from service.visits import assignments, bulk_write
from service.visits import service as visits_service
from service.visits.bulk import COLUMNS, BulkCellTooLong, BulkFileError, parse_csv
from service.visits.schemas import VisitCreate

router = APIRouter()

RESULTS = 20
Search = Annotated[str | None, Query(max_length=200)]
Wave = Annotated[str | None, Query(max_length=64)]
# The form's fields, in the order a refusal lists them.
FIELDS = (
    "shopper_id",
    "office_id",
    "service_code",
    "channel",
    "window_start_at",
    "window_end_at",
    "wave",
    "notes",
    "client_id",
)


def _local_moment(text: str) -> dt.datetime | str:
    """A ``datetime-local`` field, read on Kazakhstan's clock; the text itself if it is none."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_OFFSET)


def _choices(
    session: SessionDep,
    console: Console,
    values: dict[str, str],
    shopper_q: str | None,
    office_q: str | None,
) -> dict[str, Any]:
    """What the form shows: the search results, the chosen shopper and office, the services
    and the channel the office offers."""
    assert console.user is not None
    found: dict[str, Any] = {"shopper_results": [], "office_results": []}
    if shopper_q:
        found["shopper_results"], _ = auth_service.list_users(
            session,
            console.user,
            search=shopper_q,
            role=Role.shopper,
            active=True,
            limit=RESULTS,
            offset=0,
        )
    if office_q:
        found["office_results"] = offices_service.search_offices(session, office_q, limit=RESULTS)
    shopper = office = None
    services: list[Any] = []
    channel = None
    try:
        if values.get("shopper_id"):
            shopper = auth_service.managed_user(
                session, console.user, uuid.UUID(values["shopper_id"])
            )
        if values.get("office_id", "").isdigit():
            office = offices_service.get_office(session, int(values["office_id"]))
            services, channel = assignments.choices_for(session, office, on=local_date(console.now))
    except (ServiceError, ValueError):
        pass  # a stale or edited link: that choice is simply not made
    return {**found, "shopper": shopper, "office": office, "services": services, "channel": channel}


def _assign_page(
    session: SessionDep,
    console: Console,
    values: dict[str, str],
    *,
    shopper_q: str | None = None,
    office_q: str | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    context = _choices(session, console, values, shopper_q, office_q)
    query = {k: v for k, v in values.items() if k in ("shopper_id", "office_id", "wave") and v}
    return page(
        console,
        "assign.html",
        {
            **context,
            "values": values,
            "query": query,
            "shopper_q": shopper_q or "",
            "office_q": office_q or "",
            "problems": problems or [],
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if problems else status.HTTP_200_OK,
    )


@router.get(
    "/assign", response_class=HTMLResponse, name="console_assign_form", dependencies=[CleanQuery]
)
def console_assign_form(
    session: SessionDep,
    console: StaffConsole,
    shopper_q: Search = None,
    office_q: Search = None,
    shopper_id: uuid.UUID | None = None,
    office_id: RowIdQuery | None = None,
    wave: Wave = None,
) -> Response:
    """Find the shopper and the office by name or e-mail, then the rest of the assignment."""
    values = {
        "shopper_id": str(shopper_id or ""),
        "office_id": str(office_id or ""),
        "wave": wave or "",
        "client_id": str(uuid.uuid4()),
    }
    return _assign_page(session, console, values, shopper_q=shopper_q, office_q=office_q)


def _problems_of(exc: Exception) -> list[dict[str, Any]]:
    if isinstance(exc, ValidationError):
        return [
            {
                "column": str(e["loc"][0]) if e["loc"] else None,
                "code": "value-invalid",
                "message": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
    assert isinstance(exc, ServiceError)
    if exc.errors:
        return [
            {"column": e["loc"][-1], "code": e.get("code", exc.code), "message": e["msg"]}
            for e in exc.errors
        ]
    return [{"column": "client_id", "code": exc.code, "message": exc.detail}]


def _form_values(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in FIELDS}


@router.post("/assign", name="console_assign")
def console_assign(session: SessionDep, console: StaffConsole, form: CheckedForm) -> Response:
    """Assign the visit as ``POST /visits`` does; a refusal shows the form again, explained."""
    assert console.user is not None
    values = _form_values(form)
    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    for name in ("window_start_at", "window_end_at"):
        if name in body:
            body[name] = _local_moment(body[name])
    if body.get("office_id", "").isdigit():
        body["office_id"] = int(body["office_id"])
    try:
        visit, _ = assignments.assign(
            session, console.user, VisitCreate.model_validate(body), now=console.now
        )
    except (ValidationError, visits_service.AssignmentInvalid, visits_service.VisitConflict) as exc:
        raise ConsoleRefused(
            _assign_page(session, console, values, problems=_problems_of(exc))
        ) from exc
    return redirect(console, f"/console/visits/{visit.id}")


def _wave_page(console: Console, **context: Any) -> HTMLResponse:
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if context.get("failed") else status.HTTP_200_OK
    context.setdefault("client_id", str(uuid.uuid4()))
    context.setdefault("created", None)
    return page(console, "wave_upload.html", {"columns": COLUMNS, **context}, status_code=code)


@router.get("/assign/wave", response_class=HTMLResponse, name="console_wave_upload_form")
def console_wave_upload_form(
    console: StaffConsole,
    created: Annotated[int | None, Query(ge=0)] = None,
    unchanged: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The wave file's form (and, after an upload, how many visits it assigned)."""
    return _wave_page(console, created=created, unchanged=unchanged)


@router.post("/assign/wave", name="console_wave_upload")
def console_wave_upload(
    session: ReadSessionDep, console: StaffConsole, form: CheckedForm
) -> Response:
    """Assign a wave from a CSV file as ``POST /visits/bulk`` does; refused, every problem of
    every row is listed and nothing is assigned."""
    assert console.user is not None
    limits = console.settings.limits
    upload = form.get("file")
    client_id = str(form.get("client_id", ""))
    try:
        key = uuid.UUID(client_id)
        data = upload.file.read() if isinstance(upload, UploadFile) else b""
        rows = parse_csv(
            data, max_rows=limits.max_bulk_rows, max_cell_bytes=limits.max_bulk_cell_bytes
        )
        result = bulk_write.bulk_assign(
            session,
            console.user,
            rows,
            now=console.now,
            batch_rows=limits.bulk_batch_rows,
            client_id=key,
        )
    except (BulkFileError, BulkCellTooLong, ValueError) as exc:
        # The form's id stays: nothing was written under it.
        raise ConsoleRefused(
            _wave_page(console, failed="file", detail=str(exc), client_id=client_id)
        ) from exc
    except ServiceError as exc:
        rows_failed = exc.errors or [
            {"row": None, "column": None, "message": exc.detail, "code": exc.code}
        ]
        # Refused rows wrote nothing under the form's id; any other refusal gets a new one.
        kept = client_id if isinstance(exc, visits_service.BulkRowsInvalid) else None
        refused = _wave_page(
            console,
            failed="rows",
            detail=exc.detail,
            errors=rows_failed,
            client_id=kept or str(uuid.uuid4()),
        )
        raise ConsoleRefused(refused) from exc
    return redirect(
        console,
        "/console/assign/wave",
        created=str(result.created),
        unchanged=str(result.unchanged),
    )
