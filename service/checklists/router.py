"""HTTP routes of checklists, and the standard route whose versions checklists must carry."""

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from service.auth.deps import AUTHENTICATED, ROLE_CHECKED, AdminUser, CurrentUser, StaffUser
from service.checklists import imports
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel, ChecklistTemplate
from service.checklists.loader import read_yaml
from service.checklists.schemas import ChecklistPublic, ChecklistSummary, TemplatePublic
from service.clock import ClockDep
from service.db import SessionDep
from service.deps import SettingsDep
from service.errors import (
    UnsupportedMediaType,
    problem_responses,
)
from service.isotime import IsoDate, local_date
from service.pagination import Page, PageDep
from service.params import RowId
from service.standards import service as standards_service
from service.standards.catalogue import CODE_PATTERN, StandardBody
from service.standards.schemas import (
    DocumentsImport,
    DocumentsImportReport,
    ServiceCode,
    ServicePublic,
)

router = APIRouter()
# Served under the services tag (the catalogue's URL), but here: a new standard version is
# refused when a published checklist cannot be built from it, and only checklists know that.
services_router = APIRouter()

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@router.get(
    "/checklists",
    summary="List checklists",
    response_model=Page[ChecklistSummary],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *AUTHENTICATED, standards_service.ServiceNotFound, standards_service.StandardNotInForce
    ),
)
def list_checklists(
    session: SessionDep,
    clock: ClockDep,
    _user: CurrentUser,
    page: PageDep,
    service: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    channel: ChecklistChannel | None = None,
    on: IsoDate | None = None,
) -> Page[ChecklistSummary]:
    """List the checklists in use on a date, by service and channel."""
    now = clock()
    items = checklists_service.list_current(
        session, service_code=service, channel=channel, on=on or local_date(now), now=now
    )
    return Page[ChecklistSummary].of(
        items[page.offset : page.offset + page.limit], len(items), page
    )


@router.get(
    "/checklists/{checklist_id}",
    summary="Read a checklist",
    response_model=ChecklistPublic,
    status_code=status.HTTP_200_OK,
    responses={
        **problem_responses(*AUTHENTICATED, checklists_service.ChecklistNotFound),
        304: {"description": "The phone's copy (If-None-Match) is current"},
    },
)
def read_checklist(
    session: SessionDep,
    _user: CurrentUser,
    checklist_id: RowId,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Return a whole checklist; answer 304 when the phone already has this content."""
    row = checklists_service.get_checklist(session, checklist_id)
    etag = f'"{row.content_hash}"'
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    return checklists_service.public(session, row)


TEMPLATE_BODY = {
    "requestBody": {
        "required": True,
        "description": "A checklist template in the format of checklists/README.md",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


def _parse_template(content_type: str, body: bytes, max_nodes: int) -> ChecklistTemplate:
    text = body.decode("utf-8", errors="replace")
    raw: object
    if content_type in YAML_TYPES:
        try:
            raw = read_yaml(text, "body", max_bytes=len(text), max_nodes=max_nodes)
        except (ValueError, yaml.YAMLError) as exc:
            raise checklists_service.ChecklistInvalid(str(exc)) from exc
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise checklists_service.ChecklistInvalid(f"body is not JSON: {exc}") from exc
    return checklists_service.parse_template_data(raw)


async def template_body(request: Request, settings: SettingsDep) -> ChecklistTemplate:
    """Read a template sent as JSON or YAML and validate it like a file.

    Parsing and validation run on a worker thread: a large or hostile document must not
    stall the event loop, and with it every other request of the process.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (*YAML_TYPES, "application/json"):
        raise UnsupportedMediaType("Send the checklist as application/json or application/yaml.")
    body = await request.body()  # bounded by MSHOP_LIMITS__MAX_BODY_BYTES
    max_nodes = settings.limits.max_checklist_nodes
    return await run_in_threadpool(_parse_template, content_type, body, max_nodes)


@router.post(
    "/checklists",
    summary="Publish a checklist version",
    response_model=TemplatePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *ROLE_CHECKED,
            checklists_service.ChecklistInvalid,
            checklists_service.ChecklistVersionExists,
            UnsupportedMediaType,
        ),
        200: {"model": TemplatePublic, "description": "This exact version was already published"},
    },
    openapi_extra=TEMPLATE_BODY,
)
def publish_checklist(
    session: SessionDep,
    clock: ClockDep,
    actor: StaffUser,
    template: Annotated[ChecklistTemplate, Depends(template_body)],
    response: Response,
) -> TemplatePublic:
    """Publish a new version of a channel's checklist, as JSON or YAML."""
    row, created = checklists_service.publish_template(
        session, template, now=clock(), actor_id=actor.id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return TemplatePublic.model_validate(row, from_attributes=True)


@services_router.post(
    "/document-lists",
    summary="Import document lists",
    response_model=DocumentsImportReport,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED,
        standards_service.ServiceNotFound,
        standards_service.StandardNotInForce,
        standards_service.StandardVersionExists,
        checklists_service.ChecklistInvalid,
    ),
)
def import_documents(
    session: SessionDep, clock: ClockDep, admin: AdminUser, body: DocumentsImport
) -> DocumentsImportReport:
    """Load many services' document lists, each a standard version from its date."""
    return imports.import_documents(session, body, now=clock(), actor_id=admin.id)


@services_router.put(
    "/services/{code}",
    summary="Add a standard version",
    response_model=ServicePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *ROLE_CHECKED,
            standards_service.StandardVersionExists,
            checklists_service.ChecklistInvalid,
        ),
        200: {"model": ServicePublic, "description": "This exact version was already stored"},
    },
)
def put_service_standard(
    session: SessionDep,
    clock: ClockDep,
    admin: AdminUser,
    code: ServiceCode,
    body: StandardBody,
    response: Response,
) -> ServicePublic:
    """Add a new version of a service's standard, effective from its date."""
    # A version whose texts no checklist can carry would break every visit to the service;
    # resolving each channel now refuses it (422) while it can still be rolled back.
    row, created = checklists_service.add_standard_version(
        session, code, body, now=clock(), actor_id=admin.id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return standards_service.get_service(session, code, row.effective_from)
