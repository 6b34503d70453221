"""HTTP routes of photo evidence (tag ``photos``): the multipart upload, reading and
deleting; the direct uploads' tickets and completion are in ``routes_uploads``.

Served by visits: a photo is readable when its visit is, and an upload takes the visit's lock
and may start it, both of which only the visits package knows.
"""

import uuid

from fastapi import APIRouter, Response, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlmodel import Session

from service import db
from service.auth.deps import (
    AUTHENTICATED,
    ROLE_CHECKED,
    AdminUser,
    CurrentUser,
    ShopperUser,
)
from service.auth.models import User
from service.clock import ClockDep
from service.db import SessionDep, commit_now
from service.deps import SettingsDep, StoreDep
from service.errors import (
    Forbidden,
    NotFound,
    ServiceError,
    StorageDown,
    problem_responses,
)
from service.middleware import body_limit
from service.photos import errors, lifecycle, reads
from service.photos import service as photos_service
from service.photos.errors import PhotoNotFound
from service.photos.models import Photo
from service.photos.schemas import (
    PhotoPublic,
    Variant,
    VisitPhotos,
)
from service.responses import ClosingStreamingResponse, model_json
from service.storage.objects import content_disposition
from service.visits import service as visits_service
from service.visits.deps import VISIT_ERRORS, VisitDep
from service.visits.models import Visit
from service.visits.photo_form import PhotoForm, form_schema
from service.visits.writes import ShopperWrite

router = APIRouter()

# Why the image itself is refused, wherever it is decoded.
IMAGE_REJECTIONS: tuple[type[ServiceError], ...] = (
    errors.PhotoTooLarge,
    errors.ImageTooLarge,
    errors.ImageTooCompressed,
    errors.ImageDecoderBusy,
    errors.NotAnImage,
    errors.EmptyFile,
    errors.ImageCorrupt,
)
# A shopper's write to one item of a visit they hold.
PHOTO_WRITE: tuple[type[ServiceError], ...] = (
    *ROLE_CHECKED,
    visits_service.VisitNotEditable,
    errors.PhotoConflict,
    errors.PhotoItemInvalid,
    errors.TooManyPhotos,
    StorageDown,
)


# A photo may be far larger than any JSON body; the form's other fields need a little more.
MULTIPART_ROOM = 1024 * 1024


class Deleted(BaseModel):
    deleted: int


def readable_photo(session: Session, viewer: User, photo_id: uuid.UUID) -> tuple[Photo, Visit]:
    """The photo and its visit, if the viewer may see the visit; 404 otherwise."""
    photo = reads.get_photo(session, photo_id)
    try:
        visit = visits_service.get_visit(session, viewer, photo.visit_id)
    except visits_service.VisitNotFound:
        raise PhotoNotFound(f"There is no photo {photo_id}.") from None
    return photo, visit


@router.post(
    "/visits/{visit_id:uuid}/photos",
    summary="Upload a photo",
    response_model=PhotoPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *PHOTO_WRITE, *VISIT_ERRORS, *IMAGE_REJECTIONS, errors.ChecksumMismatch
        ),
        200: {"model": PhotoPublic, "description": "Already stored"},
    },
    # The body is read by PhotoForm as it streams in (see photo_form), so it is declared here.
    openapi_extra={"requestBody": form_schema()},
)
@body_limit(lambda settings: settings.upload.max_bytes + MULTIPART_ROOM)
def upload_photo(
    form: PhotoForm,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperUser,
    visit: VisitDep,
) -> Response:
    """Store a photo for a checklist item; sending it again returns the stored one.

    Only the header is checked before the answer: the photo is `processing` until a job has
    decoded it and made its copies, then `ready`, or `rejected` with `rejected_reason` (a
    truncated or undecodable image); the visit's photo list shows which.

    Send `size_bytes` and `sha256` before the file and the photo is stored while it arrives
    (on an S3 store): the answer then comes about as soon as the last byte is in.
    """
    received = form.photo()
    now = clock()
    photo, created = photos_service.upload(
        session,
        store,
        visit,
        shopper,
        ShopperWrite(session, visit, shopper, now),
        source=received.file,
        item_code=received.fields.item_code,
        taken_at=received.fields.taken_at,
        client_id=received.fields.client_id,
        settings=settings.upload,
        now=now,
        sha256=received.sha256,
        photo_id=received.photo_id,
        stream=received.stream,
    )
    commit_now(session)  # as a sync's: the visit's lock is not held across the hand-back
    answer = reads.to_public(photo, shopper)
    return model_json(answer, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.get(
    "/visits/{visit_id:uuid}/photos",
    summary="List a visit's photos",
    response_model=VisitPhotos,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*VISIT_ERRORS),
)
def list_photos(session: SessionDep, user: CurrentUser, visit: VisitDep) -> VisitPhotos:
    """Return the visit's photos and, per item, how many were expected and received."""
    return reads.visit_photos(session, visit, user)


@router.get(
    "/photos/{photo_id:uuid}/content",
    summary="Read a photo",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={
        # Forbidden: originals keep their EXIF data, so only staff read them.
        **problem_responses(
            *AUTHENTICATED,
            Forbidden,
            errors.PhotoNotFound,
            errors.PhotoProcessing,
            errors.PhotoRejected,
            NotFound,
            StorageDown,
        ),
        200: {"content": {"image/jpeg": {}}, "description": "The image (local storage)"},
        307: {"description": "A short-lived storage URL of the image"},
    },
)
def read_photo_content(
    session: SessionDep,
    store: StoreDep,
    user: CurrentUser,
    photo_id: uuid.UUID,
    variant: Variant = Variant.display,
) -> Response:
    """Serve a stripped copy (thumb, display) or, to staff, the original.

    A photo still being processed is 409 `photo-processing` (read it again shortly); a
    rejected one is 409 `photo-rejected` with its reason, and none of its objects is served.
    """
    photo, _ = readable_photo(session, user, photo_id)
    key = reads.content_key(photo, variant, user)
    # The store may take its deadline to answer (or miss it): no transaction is held meanwhile.
    with db.released(session):
        found = reads.content(store, photo, variant, key)
    if found.url is not None:
        return RedirectResponse(found.url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    assert found.stream is not None
    # nosniff: browsers must take the declared image type, never guess HTML from the bytes.
    headers = {"Cache-Control": "private", "X-Content-Type-Options": "nosniff"}
    if found.filename is not None:
        headers["Content-Disposition"] = content_disposition(found.filename)
    return ClosingStreamingResponse(found.stream, media_type=found.media_type, headers=headers)


@router.delete(
    "/visits/{visit_id:uuid}/photos",
    summary="Delete a visit's photos",
    response_model=Deleted,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED, *VISIT_ERRORS, StorageDown),
)
def delete_photos(
    session: SessionDep, store: StoreDep, _admin: AdminUser, visit: VisitDep
) -> Deleted:
    """Remove every photo of the visit and all its stored copies (retention)."""
    return Deleted(deleted=lifecycle.delete_for_visit(session, store, visit))
