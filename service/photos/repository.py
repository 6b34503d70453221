"""Every query on photos."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_
from sqlmodel import Session, col, delete, select

from service import db
from service.photos.models import Photo, PhotoJob, PhotoStatus


def get(session: Session, photo_id: uuid.UUID) -> Photo | None:
    return session.get(Photo, photo_id)


# A photo that holds its place among an item's photos: evidence, or about to be.
COUNTED = (PhotoStatus.ready, PhotoStatus.processing)
# Photos a visit lists: all but unconfirmed direct uploads (a rejected one says why).
LISTED = (PhotoStatus.ready, PhotoStatus.processing, PhotoStatus.rejected)

# The queries of an upload's path (multipart, tickets, complete) are built once, with bound
# parameters: building a select of Photo and its cache key cost about 0.4 ms a query on the
# bench machine, more than running it on SQLite.
_VISIT = col(Photo.visit_id) == bindparam("visit_id")
_ITEM = col(Photo.item_code) == bindparam("item_code")
_BY_CLIENT_ID = select(Photo).where(col(Photo.client_id) == bindparam("client_id"))
_BY_CLIENT_IDS = select(Photo).where(col(Photo.client_id).in_(bindparam("ids", expanding=True)))
_OF_VISIT = select(Photo).where(_VISIT, col(Photo.id).in_(bindparam("ids", expanding=True)))
# A photo's identity: these bytes, for this item of the visit, ready or processing.
_SAME = and_(
    _VISIT, _ITEM, col(Photo.sha256) == bindparam("sha256"), col(Photo.status).in_(COUNTED)
)
_SAME_BYTES = select(Photo).where(_SAME)
_SAME_CLIENT_ID_OR_BYTES = select(Photo).where(
    or_(col(Photo.client_id) == bindparam("client_id"), _SAME)
)
_RELOAD = (
    select(Photo)
    .where(col(Photo.id).in_(bindparam("ids", expanding=True)))
    .execution_options(populate_existing=True)
)
_WITH_BYTES = select(Photo).where(
    _VISIT,
    col(Photo.sha256).in_(bindparam("shas", expanding=True)),
    col(Photo.status).in_(COUNTED),
)
_COUNT = {
    with_pending: select(func.count()).where(_VISIT, _ITEM, col(Photo.status).in_(statuses))
    for with_pending, statuses in ((False, COUNTED), (True, (*COUNTED, PhotoStatus.pending)))
}


def by_client_id(session: Session, client_id: uuid.UUID) -> Photo | None:
    return session.exec(_BY_CLIENT_ID, params={"client_id": client_id}).first()


def for_visit(
    session: Session, visit_id: uuid.UUID, statuses: Sequence[PhotoStatus] = (PhotoStatus.ready,)
) -> list[Photo]:
    rows = session.exec(
        select(Photo)
        .where(col(Photo.visit_id) == visit_id, col(Photo.status).in_(statuses))
        .order_by(col(Photo.item_code), col(Photo.created_at))
    ).all()
    return list(rows)


def of_visit(session: Session, visit_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]) -> list[Photo]:
    """Those of the photos that belong to the visit."""
    params = {"visit_id": visit_id, "ids": list(photo_ids)}
    return list(session.exec(_OF_VISIT, params=params).all())


def all_for_visit(session: Session, visit_id: uuid.UUID) -> list[Photo]:
    return list(session.exec(select(Photo).where(col(Photo.visit_id) == visit_id)).all())


def same_bytes(session: Session, visit_id: uuid.UUID, item_code: str, sha256: str) -> Photo | None:
    """The photo (ready or processing) with these bytes for this item of the visit: a
    photo's identity."""
    params = {"visit_id": visit_id, "item_code": item_code, "sha256": sha256}
    return session.exec(_SAME_BYTES, params=params).first()


def same_client_id_or_bytes(
    session: Session, client_id: uuid.UUID, visit_id: uuid.UUID, item_code: str, sha256: str
) -> Photo | None:
    """``by_client_id`` else ``same_bytes``, in one statement."""
    params = {
        "client_id": client_id,
        "visit_id": visit_id,
        "item_code": item_code,
        "sha256": sha256,
    }
    rows = session.exec(_SAME_CLIENT_ID_OR_BYTES, params=params).all()
    return next((r for r in rows if r.client_id == client_id), rows[0] if rows else None)


def reload_many(session: Session, photo_ids: Sequence[uuid.UUID]) -> list[Photo]:
    """The rows as they are now (another request may have changed or removed them)."""
    return list(session.exec(_RELOAD, params={"ids": list(photo_ids)}).all())


def with_bytes(session: Session, visit_id: uuid.UUID, sha256s: Sequence[str]) -> list[Photo]:
    """The visit's photos (ready or processing) with any of these sha256s: ``same_bytes`` of
    several uploads, in one statement."""
    params = {"visit_id": visit_id, "shas": list(sha256s)}
    return list(session.exec(_WITH_BYTES, params=params).all())


def count_for_item(
    session: Session, visit_id: uuid.UUID, item_code: str, *, with_pending: bool = False
) -> int:
    params = {"visit_id": visit_id, "item_code": item_code}
    count: int = session.exec(_COUNT[with_pending], params=params).one()
    return count


def lookalike_candidates(
    session: Session, visit_id: uuid.UUID, bands: Sequence[int], limit: int = 200
) -> list[Photo]:
    """Stored photos of other visits sharing a hash band: the only ones that can be close."""
    columns = (Photo.phash_band0, Photo.phash_band1, Photo.phash_band2, Photo.phash_band3)
    rows = session.exec(
        select(Photo)
        .where(
            col(Photo.visit_id) != visit_id,
            col(Photo.status) == PhotoStatus.ready,
            or_(*(col(c) == b for c, b in zip(columns, bands, strict=True))),
        )
        .limit(limit)
    ).all()
    return list(rows)


def expired_pending(session: Session, now: dt.datetime) -> list[Photo]:
    rows = session.exec(
        select(Photo).where(col(Photo.status) == PhotoStatus.pending, col(Photo.expires_at) < now)
    ).all()
    return list(rows)


def known_keys(session: Session) -> set[str]:
    rows = session.exec(select(Photo.original_key, Photo.thumb_key, Photo.display_key)).all()
    return {key for row in rows for key in row if key}


def add(session: Session, photo: Photo) -> None:
    session.add(photo)
    session.flush()


_INSERT_PHOTO = insert(Photo.__table__)  # type: ignore[attr-defined]


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New photos as rows (columns left out take their defaults), in one INSERT that asks
    nothing back; nothing of them is loaded into the session."""
    if rows:
        session.flush()  # what the session holds first: a row may point at it
        db.insert_rows(session, _INSERT_PHOTO, rows)


def by_client_ids(session: Session, client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    rows = session.exec(_BY_CLIENT_IDS, params={"ids": list(client_ids)}).all()
    return {p.client_id: p for p in rows}


def remove(session: Session, photos: Sequence[Photo]) -> None:
    ids = [p.id for p in photos]
    if ids:
        session.exec(delete(PhotoJob).where(col(PhotoJob.photo_id).in_(ids)))
        session.exec(delete(Photo).where(col(Photo.id).in_(ids)))
        session.flush()
