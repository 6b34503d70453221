"""Reading photos: a visit's evidence, what is still missing, and the images themselves."""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlmodel import Session

from service.answers import service as answers_service
from service.auth.models import User
from service.auth.roles import Role
from service.checklists.items import ItemBase
from service.checklists.pinned import checklist_for_visit
from service.errors import Forbidden
from service.photos import errors, repository
from service.photos.models import Photo, PhotoStatus
from service.photos.schemas import ItemPhotos, PhotoPublic, Variant, VisitPhotos
from service.photos.visit import PhotoVisit
from service.storage.objects import ObjectNotFound, ObjectStore

log = logging.getLogger("mshop")

# Originals keep EXIF (GPS, device); only staff who review evidence may see them.
SEES_ORIGINALS = frozenset({Role.admin, Role.coordinator})
CONTENT_SECONDS = 300


def to_public(photo: Photo, viewer: User) -> PhotoPublic:
    data = photo.model_dump()
    if viewer.role not in SEES_ORIGINALS:
        data.update(gps_latitude=None, gps_longitude=None, device=None)
    return PhotoPublic.model_validate(data)


def expected(session: Session, visit: PhotoVisit, photos: list[Photo]) -> list[ItemPhotos]:
    """Per item that takes photos and is shown: how many are required and how many arrived."""
    return _expected(_shown_items(session, visit), photos)


def _shown_items(
    session: Session, visit: PhotoVisit, values: Mapping[str, Any] | None = None
) -> list[ItemBase]:
    """The checklist's items that take photos and are shown for the visit's answers."""
    checklist = checklist_for_visit(session, visit)
    if values is None:
        values = answers_service.current_values(session, visit)
    shown = checklist.visible(values)
    return [item for item in checklist.items() if item.code in shown and item.photo_bounds()]


def _expected(items: list[ItemBase], photos: list[Photo]) -> list[ItemPhotos]:
    received: dict[str, int] = {}
    for photo in photos:
        if photo.status not in repository.COUNTED:  # a rejected photo is no evidence
            continue
        received[photo.item_code] = received.get(photo.item_code, 0) + 1
    rows = []
    for item in items:
        bounds = item.photo_bounds()
        if bounds is None:
            continue
        minimum = item.photos_required()
        got = received.get(item.code, 0)
        rows.append(
            ItemPhotos(
                item_code=item.code,
                min_count=minimum,
                max_count=bounds[1],
                received=got,
                missing=max(0, minimum - got),
            )
        )
    return rows


def visit_photos(session: Session, visit: PhotoVisit, viewer: User) -> VisitPhotos:
    """Ready, processing and rejected photos (a rejected one with its reason); ``received``
    counts ready and processing ones."""
    photos = repository.for_visit(session, visit.id, repository.LISTED)
    return VisitPhotos(
        photos=[to_public(p, viewer) for p in photos], items=expected(session, visit, photos)
    )


@dataclass(frozen=True)
class Shortfall:
    """Items short of their required photos, and photos still being processed."""

    missing: list[str]  # items short even counting photos being processed
    processing: list[Photo]  # photos being processed of items short of ready photos


def shortfall(
    session: Session, visit: PhotoVisit, values: Mapping[str, Any] | None = None
) -> Shortfall:
    """Items short of required photos; ``values``: the visit's answers, if read already."""
    photos = repository.for_visit(session, visit.id, repository.COUNTED)
    ready = [p for p in photos if p.status == PhotoStatus.ready]
    items = _shown_items(session, visit, values)
    short = {row.item_code for row in _expected(items, ready) if row.missing}
    return Shortfall(
        missing=[row.item_code for row in _expected(items, photos) if row.missing],
        processing=[
            p for p in photos if p.status == PhotoStatus.processing and p.item_code in short
        ],
    )


def missing(session: Session, visit: PhotoVisit) -> list[str]:
    """Items still short of their required ready photos."""
    photos = repository.for_visit(session, visit.id)
    return [row.item_code for row in expected(session, visit, photos) if row.missing]


def ids_by_item(session: Session, visit_id: uuid.UUID) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for photo in repository.for_visit(session, visit_id):
        result.setdefault(photo.item_code, []).append(str(photo.id))
    return result


def get_photo(session: Session, photo_id: uuid.UUID) -> Photo:
    """The photo, whoever asks; ``visits`` checks the viewer may see its visit.

    Raises:
        PhotoNotFound: there is no such photo.
    """
    photo = repository.get(session, photo_id)
    if photo is None:
        raise errors.PhotoNotFound(f"There is no photo {photo_id}.")
    return photo


def photos_of_visit(
    session: Session, visit_id: uuid.UUID, photo_ids: list[uuid.UUID]
) -> list[Photo]:
    """These photos, in this order, each of visit ``visit_id`` (the caller may see it).

    Raises:
        PhotoNotFound: one is no photo of the visit (named, as another visit's would be).
    """
    found = {p.id: p for p in repository.of_visit(session, visit_id, photo_ids)}
    for photo_id in photo_ids:
        if photo_id not in found:
            raise errors.PhotoNotFound(f"There is no photo {photo_id} of this visit.")
    return [found[photo_id] for photo_id in photo_ids]


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


@dataclass(frozen=True)
class Content:
    url: str | None
    stream: BinaryIO | None
    media_type: str
    # Set for originals: they are kept byte for byte, so a file that is also valid HTML or
    # script (a polyglot) must be downloaded, never rendered by the browser.
    filename: str | None = None


def content_key(photo: Photo, variant: Variant, viewer: User) -> str:
    """The object key of the wanted variant, if the viewer may read it.

    Raises:
        PhotoNotFound: the photo's direct upload is not complete.
        PhotoProcessing: the photo job has not made its copies yet (409; read again later).
        PhotoRejected: the photo job refused the image (409, with its reason); nothing of it
            is served, the original included.
        Forbidden: an original asked for by someone who may not see its EXIF data.
    """
    if photo.status == PhotoStatus.processing:
        raise errors.PhotoProcessing(
            f"Photo {photo.id} is still being processed; read it again in a few seconds."
        )
    if photo.status == PhotoStatus.rejected:
        raise errors.PhotoRejected(
            f"Photo {photo.id} was rejected ({photo.rejected_reason}); upload another."
        )
    if photo.status != PhotoStatus.ready:
        raise errors.PhotoNotFound("The photo's upload is not complete.")
    if variant is Variant.original and viewer.role not in SEES_ORIGINALS:
        raise Forbidden("Originals keep their EXIF data; only coordinators and admins see them.")
    key = {
        Variant.original: photo.original_key,
        Variant.thumb: photo.thumb_key,
        Variant.display: photo.display_key,
    }[variant]
    assert key is not None
    return key


def content(store: ObjectStore, photo: Photo, variant: Variant, key: str) -> Content:
    """A short-lived URL (S3) or a stream (local folder) of the object at ``key``.

    The store is asked first (a HEAD, or opening the file): a URL to a store that is down, or
    to an object it lost, would only fail in the browser. Needs no database: call it with the
    request's transaction released.

    Raises:
        StorageUnavailable: the store is down, hung past its deadline, or its folder is gone
            or unreadable (answered 503 with Retry-After).
        PhotoNotFound: the store answers but has no such object.
    """
    media = photo.mime if variant is Variant.original and photo.mime else "image/jpeg"
    filename = None
    if variant is Variant.original:
        filename = f"photo-{photo.id}.{_EXTENSIONS.get(media, 'bin')}"
    missing = errors.PhotoNotFound(f"The stored copy of photo {photo.id} is missing.")
    url = store.presign_get(key, expires_seconds=CONTENT_SECONDS, filename=filename)
    if url is not None:
        if store.head(key) is None:
            log.error("photo %s: no object at %s", photo.id, key)
            raise missing
        return Content(url=url, stream=None, media_type=media, filename=filename)
    try:
        stream = store.open(key)
    except ObjectNotFound:
        log.error("photo %s: no object at %s", photo.id, key)
        raise missing from None
    return Content(url=None, stream=stream, media_type=media, filename=filename)
