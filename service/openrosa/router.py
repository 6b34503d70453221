"""The OpenRosa server Collect talks to: form list, forms, media, submissions.

Included twice by ``service.api``: under ``/openrosa/key/{app_token}`` (the QR code's server
URL) and under ``/openrosa`` (HTTP Basic). The envelope (``envelope.py``) adds the OpenRosa
headers and turns every error into an ``OpenRosaResponse``. Not in the OpenAPI document:
this is Collect's protocol, described in docs/openrosa.md.
"""

from collections.abc import AsyncIterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Depends, Request, Response, status
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from service import languages
from service.clock import ClockDep
from service.db import SessionDep
from service.deps import SettingsDep, StoreDep
from service.errors import PayloadTooLarge, ServiceError
from service.middleware import body_limit
from service.openrosa import documents, forms, messages, tokens
from service.openrosa import service as openrosa_service
from service.openrosa.deps import CollectUser
from service.openrosa.envelope import OpenRosaVersionMissing
from service.openrosa.models import SubmissionState
from service.xforms import VISITS_CSV

router = APIRouter(include_in_schema=False)

# The errors only these routes answer (as OpenRosaResponse XML, listed in docs/openrosa.md
# since the routes are not in the OpenAPI document), besides the visits' and photos' own.
OPENROSA_ERRORS: tuple[type[ServiceError], ...] = (
    OpenRosaVersionMissing,
    tokens.AppTokenRevoked,
    forms.FormNotFound,
    openrosa_service.SubmissionInvalid,
    openrosa_service.SubmissionConflict,
    PayloadTooLarge,
)

XML = documents.XML_MEDIA_TYPE


def _xml(body: bytes, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(body, status_code=status_code, media_type=XML)


def _url(request: Request, name: str, **params: str) -> str:
    # The same route names serve both prefixes; the app token (if any) picks the key route.
    if "app_token" in request.path_params:
        params["app_token"] = str(request.path_params["app_token"])
    return str(request.url_for(name, **params))


def _lang(request: Request) -> str:
    return languages.negotiated(request.headers.get("accept-language"))


@router.get("/formList", name="openrosa_form_list")
def form_list(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep, user: CollectUser
) -> Response:
    """List the forms of the shopper's open visits (``formID``, ``verbose``, ``deviceID``
    are accepted; ``formID`` narrows the list)."""
    openrosa_service.finish_waiting(session, user, settings=settings, now=clock())
    wanted = request.query_params.get("formID")
    entries = []
    for form_id, form in forms.open_forms(session, user).items():
        if wanted and wanted != form_id:
            continue
        built = forms.xform(form)
        entries.append(
            documents.FormEntry(
                form_id=form_id,
                name=form.title,
                version=form.version,
                hash=built.md5,
                download_url=_url(request, "openrosa_form", form_id=form_id),
                manifest_url=_url(request, "openrosa_manifest", form_id=form_id),
            )
        )
    return _xml(documents.form_list(entries))


@router.get("/forms/{form_id}/form.xml", name="openrosa_form")
def get_form(session: SessionDep, user: CollectUser, form_id: str) -> Response:
    """Serve the XForm."""
    return _xml(forms.xform(forms.open_form(session, user, form_id)).xml)


@router.get("/forms/{form_id}/manifest", name="openrosa_manifest")
def get_manifest(
    request: Request, session: SessionDep, user: CollectUser, form_id: str
) -> Response:
    """List the form's media files with their hashes."""
    form = forms.open_form(session, user, form_id)
    media = []
    for filename in forms.xform(form).media:
        if filename != VISITS_CSV:
            continue  # the only media file we generate; see docs/openrosa.md
        media.append(
            documents.MediaEntry(
                filename=filename,
                hash=forms.md5(forms.visits_csv(form)),
                download_url=_url(request, "openrosa_media", form_id=form_id, filename=filename),
            )
        )
    return _xml(documents.manifest(media))


@router.get("/forms/{form_id}/media/{filename}", name="openrosa_media")
def get_media(session: SessionDep, user: CollectUser, form_id: str, filename: str) -> Response:
    """Serve a media file of the form: the shopper's ``visits.csv``."""
    form = forms.open_form(session, user, form_id)
    if filename != VISITS_CSV or filename not in forms.xform(form).media:
        raise forms.FormNotFound(f"Form {form_id} has no media file {filename}.")
    return Response(forms.visits_csv(form), media_type="text/csv; charset=utf-8")


@router.head("/submission", name="openrosa_submission_check", status_code=204)
def check_submission(
    session: SessionDep, settings: SettingsDep, clock: ClockDep, user: CollectUser
) -> Response:
    """Answer Collect's pre-flight: 204 with the size limit (another 2xx reads as a portal)."""
    openrosa_service.finish_waiting(session, user, settings=settings, now=clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def submission_parts(
    request: Request, app_settings: SettingsDep
) -> AsyncIterator[openrosa_service.Parts]:
    """The multipart body: ``xml_submission_file`` and one part per attachment."""
    settings = app_settings.openrosa
    try:
        form = await request.form(
            max_files=settings.max_attachments + 1, max_fields=settings.max_attachments + 10
        )
    except HTTPException as exc:
        # Starlette's count of parts, past the limit given (else a broken body: its 400).
        if "Too many" not in str(exc.detail):
            raise
        raise PayloadTooLarge(
            f"A submission holds at most {settings.max_attachments} attachments "
            "(MSHOP_OPENROSA__MAX_ATTACHMENTS); send the others in another POST."
        ) from exc
    try:
        xml_part = form.get("xml_submission_file")
        if not isinstance(xml_part, UploadFile):
            raise openrosa_service.SubmissionInvalid("The POST has no xml_submission_file part.")
        xml = await xml_part.read(settings.max_instance_bytes + 1)
        if len(xml) > settings.max_instance_bytes:
            raise PayloadTooLarge(
                f"The instance XML is over {settings.max_instance_bytes} bytes "
                "(MSHOP_OPENROSA__MAX_INSTANCE_BYTES)."
            )
        attachments: dict[str, BinaryIO] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile) and key != "xml_submission_file":
                attachments[value.filename or key] = value.file
        incomplete = str(form.get("*isIncomplete*", "")).lower() == "yes"
        yield openrosa_service.Parts(xml=xml, attachments=attachments, incomplete=incomplete)
    finally:
        await form.close()  # the spooled attachments' files


PartsDep = Annotated[openrosa_service.Parts, Depends(submission_parts)]


@router.post("/submission", name="openrosa_submission", status_code=201)
@body_limit(lambda settings: settings.openrosa.max_submission_bytes)
def post_submission(
    request: Request,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    user: CollectUser,
    parts: PartsDep,
) -> Response:
    """Receive an instance and its attachments (or part of them)."""
    outcome = openrosa_service.receive(session, store, user, parts, settings=settings, now=clock())
    text = {
        SubmissionState.partial: messages.PARTIAL,
        SubmissionState.submitted: messages.SUBMITTED,
    }.get(outcome.state, messages.RECEIVED)
    return _xml(documents.response(text[_lang(request)]), status.HTTP_201_CREATED)
