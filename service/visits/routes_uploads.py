"""HTTP routes of direct uploads (tag ``photos``): tickets to PUT a photo's bytes straight to
the object store, and completing them.

The upload and the reading of photos are in ``routes_photos``; these take the same visit lock
and answer the same refusals (``PHOTO_WRITE``, ``IMAGE_REJECTIONS``).
"""

import uuid

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from service import late_body
from service.auth.callers import Caller
from service.auth.deps import ShopperCaller, ShopperUser
from service.clock import Clock, ClockDep
from service.config import Settings
from service.db import SessionDep, commit_now
from service.deps import SettingsDep, StoreDep
from service.errors import NotFound, ServiceError, ValidationFailed, problem_responses
from service.late_body import LateJsonBody
from service.photos import errors, lifecycle, reads
from service.photos import tickets as photo_tickets
from service.photos.schemas import (
    CompletedPhotos,
    CompleteRequests,
    PhotoPublic,
    UploadRequest,
    UploadRequests,
    UploadTicket,
    UploadTickets,
)
from service.responses import model_json
from service.storage.objects import ObjectStore
from service.visits import service as visits_service
from service.visits.deps import VISIT_ERRORS
from service.visits.routes_photos import IMAGE_REJECTIONS, PHOTO_WRITE, readable_photo
from service.visits.writes import ShopperWrite, locked_write

router = APIRouter()

DIRECT_UPLOAD_START: tuple[type[ServiceError], ...] = (
    *PHOTO_WRITE,
    *VISIT_ERRORS,
    errors.PhotoTooLarge,
    errors.DirectUploadUnavailable,
)


@router.post(
    "/visits/{visit_id:uuid}/photos/uploads",
    summary="Start a direct upload",
    response_model=UploadTicket,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*DIRECT_UPLOAD_START),
    openapi_extra=late_body.openapi_body(UploadRequest),
)
def start_upload(
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperCaller,
    visit_id: uuid.UUID,
    body: LateJsonBody,
) -> Response:
    """Reserve a photo and get a short-lived URL to PUT its bytes straight to storage.

    Send the ticket's headers unchanged: the URL accepts only the declared bytes, and only
    once (a second PUT is 412: the bytes are there, call complete).
    """
    # The shopper's account is read with the visit, so the body is validated here (as sync).
    request = late_body.validated(UploadRequest, body, first=lambda: shopper.read(session))
    (ticket,) = _request_uploads(session, store, settings, clock, shopper, visit_id, [request])
    return model_json(ticket, status.HTTP_201_CREATED)


@router.post(
    "/visits/{visit_id:uuid}/photos/uploads/batch",
    summary="Start several direct uploads",
    response_model=UploadTickets,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*DIRECT_UPLOAD_START, ValidationFailed),
    openapi_extra=late_body.openapi_body(UploadRequests),
)
def start_uploads(
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperCaller,
    visit_id: uuid.UUID,
    body: LateJsonBody,
) -> Response:
    """Reserve several photos at once, all or nothing, each with its own upload URL."""
    requests = late_body.validated(UploadRequests, body, first=lambda: shopper.read(session))
    tickets = _request_uploads(session, store, settings, clock, shopper, visit_id, requests.uploads)
    return model_json(UploadTickets(tickets=tickets), status.HTTP_201_CREATED)


def _request_uploads(
    session: Session,
    store: ObjectStore,
    settings: Settings,
    clock: Clock,
    shopper: Caller,
    visit_id: uuid.UUID,
    requests: list[UploadRequest],
) -> list[UploadTicket]:
    # The visit is read here, once, under the lock the reservations need, with the shopper's
    # account (not by VisitDep and CurrentUser, each a worker-thread hop and a statement
    # more); the tickets are committed and serialized on this thread (``model_json``), as a
    # sync's answer.
    now = clock()
    writer = locked_write(session, visit_id, shopper, now=now)
    tickets = photo_tickets.request_uploads(
        session,
        store,
        writer.visit,
        writer.actor,
        writer,
        requests,
        settings=settings.upload,
        now=now,
    )
    commit_now(session)
    return tickets


@router.post(
    "/photos/{photo_id:uuid}/complete",
    summary="Complete a direct upload",
    response_model=PhotoPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *PHOTO_WRITE,
        *IMAGE_REJECTIONS,
        errors.PhotoNotFound,
        NotFound,  # {photo_id:uuid}: an id that is no UUID matches no route
        errors.UploadMissing,
        errors.ChecksumMismatch,
    ),
)
def complete_upload(
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperUser,
    photo_id: uuid.UUID,
) -> PhotoPublic:
    """Check the uploaded bytes against what was declared; the photo is then `processing`
    until its job has made its copies (as for a multipart upload)."""
    photo, visit = readable_photo(session, shopper, photo_id)
    now = clock()
    photo = lifecycle.complete(
        session,
        store,
        photo,
        ShopperWrite(session, visit, shopper, now),
        settings=settings.upload,
        now=now,
    )
    return reads.to_public(photo, shopper)


@router.post(
    "/visits/{visit_id:uuid}/photos/complete",
    summary="Complete several direct uploads",
    response_model=CompletedPhotos,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *PHOTO_WRITE,
        *VISIT_ERRORS,
        *IMAGE_REJECTIONS,
        errors.PhotoNotFound,
        errors.UploadMissing,
        errors.ChecksumMismatch,
        ValidationFailed,
    ),
    openapi_extra=late_body.openapi_body(CompleteRequests),
)
def complete_uploads(
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    caller: ShopperCaller,
    visit_id: uuid.UUID,
    raw: LateJsonBody,
) -> Response:
    """Complete a visit's direct uploads in one request, all or nothing, as the tickets
    were given: the first refusal (it names the photo) refuses the request, and the other
    uploads stay pending, to be completed again. Each is then `processing`."""
    body = late_body.validated(CompleteRequests, raw, first=lambda: caller.read(session))
    limit = settings.upload.max_tickets_per_request
    if len(body.photo_ids) > limit:
        caller.read(session)  # a caller who may not complete learns that first
        raise ValidationFailed(f"photo_ids: at most {limit} photos a request; split them.")
    # The visit here, not by VisitDep, with the shopper's account: two hops and a read less.
    shopper, visit = visits_service.get_own_visit(session, caller, visit_id)
    photos = reads.photos_of_visit(session, visit.id, list(dict.fromkeys(body.photo_ids)))
    now = clock()
    done = lifecycle.complete_many(
        session,
        store,
        photos,
        ShopperWrite(session, visit, shopper, now),
        settings=settings.upload,
        now=now,
    )
    commit_now(session)
    return model_json(CompletedPhotos(photos=[reads.to_public(p, shopper) for p in done]))
