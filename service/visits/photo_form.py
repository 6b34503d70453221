"""The photo upload's multipart body, read as it arrives: hashed while streaming, held in memory.

Starlette's form parser spools each file to disk past 1 MB and hands every chunk to a thread,
so a 3 MB photo cost some fifty thread hops, a disk round trip and a second read to hash it.
Here the body is parsed on the event loop as it streams in: the photo's bytes are hashed as
they come (the one sha256 of the upload, later the store's checksum) and kept in memory while
the process's upload memory (``upload.memory_bytes``) has room for the request's declared
length; otherwise, or when the length is not declared, they go to a temporary file.

When the fields before the file declare its size and sha256 (a phone hashes a photo as it
takes it), the photo is also stored as it comes: the store's PUT starts with the file's
first bytes and takes each chunk as it is hashed, so the answer follows the last byte by
the store's own latency rather than by the whole PUT (``service.storage.streaming``).
"""

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security.utils import get_authorization_scheme_param
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from service.auth.deps import secret_key
from service.auth.security import decode_token
from service.clock import ClockDep
from service.config import Settings
from service.deps import SettingsDep, StoreDep
from service.errors import BadRequest, ServiceError
from service.photos import service as photos_service
from service.photos.header import mime_of, sniff_format
from service.storage.objects import ObjectStore, StorageUnavailable
from service.storage.streaming import StreamingPut
from service.visits.photo_reader import FILE_FIELD, PhotoFields, Reader, ReceivedPhoto, Streamer

log = logging.getLogger("mshop")


def form_schema() -> dict[str, Any]:
    """The request body as OpenAPI shows it: the text fields and the file."""
    schema = PhotoFields.model_json_schema()
    schema["properties"][FILE_FIELD] = {
        "type": "string",
        "contentMediaType": "application/octet-stream",
        "description": "JPEG, PNG, WebP or HEIC",
        "title": "File",
    }
    schema["required"] = [FILE_FIELD, *schema["required"]]
    schema["title"] = "PhotoUpload"
    schema["description"] = "A photo for a checklist item, with the phone's time and client id."
    return {
        "required": True,
        "content": {"multipart/form-data": {"schema": schema}},
    }


def _boundary(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise BadRequest("Send the photo as multipart/form-data with a boundary.")
    return options[b"boundary"]


@dataclass
class PhotoBody:
    """The body as read: the photo, or why it cannot be taken.

    The body is read before the route's other dependencies, so that no database session is
    held while a phone sends it; its refusal waits for ``photo()``, called by the route once
    those have run, so that authentication still answers first (401, 403, 404).
    """

    received: ReceivedPhoto | None = None
    refusal: Exception | None = None
    reader: Reader | None = None

    def photo(self) -> ReceivedPhoto:
        """The photo, now the route's (with its stream, if any: the route stores or drops
        it); raises the body's refusal."""
        if self.refusal is not None:
            raise self.refusal
        assert self.received is not None
        if self.reader is not None:
            self.reader.claimed = True
        return self.received


def _streamer(
    request: Request, settings: Settings, store: ObjectStore, now: dt.datetime
) -> Streamer | None:
    """What starts storing the photo as it arrives; None for a request without a valid access
    token (checked again, with its user, by the route): nobody else makes the store write."""
    visit_id = request.path_params.get("visit_id")
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if not isinstance(visit_id, uuid.UUID) or scheme.lower() != "bearer" or not token:
        return None
    try:
        decode_token(token, expected_type="access", secret=secret_key(settings.auth), now=now)
    except ServiceError:
        return None

    def start(photo_id: uuid.UUID, size: int, sha256: str, head: bytes) -> StreamingPut | None:
        fmt = sniff_format(head)
        if fmt is None:
            return None  # refused by the header's check anyway
        original, _, _ = photos_service.keys_for(visit_id, photo_id)
        return store.start_stream(original, content_type=mime_of(fmt), size=size, sha256=sha256)

    return start


def _drop(store: ObjectStore, stream: StreamingPut) -> None:
    """Delete what a stream may have stored for a photo the route never took (it was
    aborted, but had perhaps handed the store every byte already)."""
    if not stream.settle():
        return  # cut before its last byte: the store kept nothing
    try:
        store.delete(stream.key)
    except StorageUnavailable:
        log.warning("could not delete %s; the orphan sweep will", stream.key)


async def read_photo_form(
    request: Request, settings: SettingsDep, store: StoreDep, clock: ClockDep
) -> AsyncIterator[PhotoBody]:
    """Read the body (the dependency's value), and free its bytes once the response is sent."""
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    reader = Reader(settings.upload, declared, _streamer(request, settings, store, clock()))
    try:
        yield await _read(request, reader)
    finally:
        reader.close()
        if (left := reader.unclaimed()) is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_drop, store, left)


async def _read(request: Request, reader: Reader) -> PhotoBody:
    try:
        parser = MultipartParser(
            _boundary(request.headers.get("content-type", "")),
            {
                "on_part_begin": reader.on_part_begin,
                "on_part_data": reader.on_part_data,
                "on_part_end": reader.on_part_end,
                "on_header_field": reader.on_header_field,
                "on_header_value": reader.on_header_value,
                "on_header_end": reader.on_header_end,
                "on_headers_finished": reader.on_headers_finished,
            },
        )
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise BadRequest("The multipart body cannot be read.") from exc
        return PhotoBody(received=reader.received(), reader=reader)
    except (ServiceError, RequestValidationError) as exc:
        return PhotoBody(refusal=exc)


PhotoForm = Annotated[PhotoBody, Depends(read_photo_form)]
