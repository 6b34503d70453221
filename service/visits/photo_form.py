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
import hashlib
import io
import logging
import re
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO, cast

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, Field, ValidationError
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from service.auth.deps import secret_key
from service.auth.security import decode_token
from service.clock import ClockDep
from service.config import Settings, UploadSettings
from service.deps import SettingsDep, StoreDep
from service.errors import BadRequest, ServiceError
from service.isotime import AwareIsoDatetime
from service.photos import errors
from service.photos import service as photos_service
from service.photos.header import mime_of, sniff_format
from service.photos.schemas import SHA256_HEX
from service.storage.objects import ObjectStore, StorageUnavailable
from service.storage.streaming import StreamingPut

log = logging.getLogger("mshop")

FILE_FIELD = "file"
# The form's text fields are short (an item code, a time, a UUID): a larger one is not ours.
MAX_FIELD_BYTES = 1024
# Three fields and the file, with room for a client's extra fields (ignored, as before).
MAX_PARTS = 16


class PhotoFields(BaseModel):
    """The upload form's text fields."""

    item_code: str = Field(min_length=1, max_length=64)
    taken_at: AwareIsoDatetime = Field(description="The phone's clock")
    client_id: uuid.UUID
    size_bytes: int | None = Field(
        default=None,
        ge=1,
        description="The photo's size. Sent with `sha256`, before the file, it lets the "
        "server store the photo while it arrives; bytes that differ are refused (422).",
    )
    sha256: str | None = Field(
        default=None,
        pattern=SHA256_HEX,
        description="The photo's SHA-256 in lower-case hex (see `size_bytes`).",
    )


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


class MemoryBudget:
    """Bytes of photos a process holds in memory at once; beyond them, temporary files."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._free = capacity
        self._lock = threading.Lock()

    def take(self, amount: int) -> bool:
        with self._lock:
            if amount > self._free:
                return False
            self._free -= amount
            return True

    def give_back(self, amount: int) -> None:
        with self._lock:
            self._free += amount


_BUDGETS: dict[int, MemoryBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def shared_budget(capacity: int) -> MemoryBudget:
    """The process-wide budget of this size, shared by every upload of the process."""
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(capacity, MemoryBudget(capacity))


_SHA256 = re.compile(SHA256_HEX)
# Enough of the file to tell its format (HEIC's brands come after its first 16 bytes).
SNIFF_BYTES = 64
# Starts storing, as the original of this photo id, a photo of this size and sha256 (hex)
# whose leading bytes are these; None when it cannot (see service.storage.streaming).
Streamer = Callable[[uuid.UUID, int, str, bytes], StreamingPut | None]


@dataclass
class ReceivedPhoto:
    """The photo's bytes as received (positioned at 0), their size and sha256; ``stream`` the
    PUT that stored them as they arrived, if one did, to ``photo_id``'s original."""

    file: BinaryIO
    size: int
    sha256: str
    fields: PhotoFields
    photo_id: uuid.UUID
    stream: StreamingPut | None = None


class _Reader:
    """python-multipart's callbacks, gathering the text fields and the one file."""

    def __init__(
        self, settings: UploadSettings, declared: int | None, streamer: Streamer | None = None
    ) -> None:
        self.max_bytes = settings.max_bytes
        self.streamer = streamer
        self.stream: StreamingPut | None = None
        self.stream_size = 0
        self.photo_id = uuid.uuid4()
        self.claimed = False  # the route took the photo: its stream is the route's now
        self.budget = shared_budget(settings.memory_bytes)
        self.declared = declared
        self.fields: dict[str, bytearray] = {}
        self.parts = 0
        self.name: str | None = None
        self.is_file = False
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""
        self.file: BinaryIO | None = None
        self.file_ended = False  # its closing boundary arrived: not a body cut short
        self.taken = 0  # bytes of the budget this upload holds
        self.size = 0
        self.digest = hashlib.sha256()
        self.value: bytearray | None = None

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadRequest(f"The form has more than {MAX_PARTS} parts.")
        self.name, self.is_file, self.disposition, self.value = None, False, b"", None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise BadRequest('Each form part needs a Content-Disposition with a "name".')
        self.name = options[b"name"].decode("utf-8", "replace")
        self.is_file = self.name == FILE_FIELD
        if self.is_file:
            if self.file is not None:
                raise BadRequest("The form has more than one file; send one photo a request.")
            self.file = self._holder()
        else:
            self.value = bytearray()

    def _holder(self) -> BinaryIO:
        # The declared length bounds what this upload can hold (the body limit enforces it).
        if self.declared is not None and self.budget.take(self.declared):
            self.taken = self.declared
            return io.BytesIO()
        return cast(BinaryIO, tempfile.TemporaryFile())

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.is_file:
            assert self.file is not None
            chunk = memoryview(data)[start:end]  # hashed and written without a copy
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise errors.PhotoTooLarge(f"A photo may be at most {self.max_bytes} bytes.")
            self.digest.update(chunk)
            self.file.write(chunk)
            if self.stream is not None:
                if self.size > self.stream_size:
                    self.stream.abort("the photo is larger than its declared size")
                else:
                    self.stream.write(chunk)
            elif self.streamer is not None and self.size >= SNIFF_BYTES:
                self._start_stream()
            return
        assert self.value is not None
        self.value += data[start:end]
        if len(self.value) > MAX_FIELD_BYTES:
            raise BadRequest(f"Form field {self.name} is longer than {MAX_FIELD_BYTES} bytes.")

    def on_part_end(self) -> None:
        if self.is_file and self.streamer is not None and self.stream is None:
            self._start_stream()  # a file shorter than SNIFF_BYTES
        if self.is_file:
            self.file_ended = True
        if self.is_file and self.stream is not None:
            if self.size == self.stream_size:
                self.stream.finish()
            else:  # the store would wait for bytes that never come
                self.stream.abort("the photo is not of its declared size")
        if not self.is_file and self.name is not None and self.value is not None:
            self.fields.setdefault(self.name, self.value)

    def _declared_size(self) -> int | None:
        text = bytes(self.fields.get("size_bytes", b"")).decode("ascii", "replace")
        return int(text) if text.isdigit() and len(text) < 16 else None

    def _start_stream(self) -> None:
        """Start storing the photo when the fields before it declared its size and sha256
        (a phone hashes a photo as it takes it); then once per upload, whatever happens."""
        streamer, self.streamer = self.streamer, None
        size = self._declared_size()
        sha = bytes(self.fields.get("sha256", b"")).decode("ascii", "replace")
        if streamer is None or size is None or size > self.max_bytes or not _SHA256.fullmatch(sha):
            return
        # The pipe holds what the store has not taken yet (the request's own chunks) beside
        # the copy kept here: the upload memory pays for both, or nothing is streamed.
        if not self.budget.take(size):
            return
        self.taken += size
        assert self.file is not None
        self.file.seek(0)
        head = self.file.read()
        self.stream = streamer(self.photo_id, size, sha, head[:SNIFF_BYTES])
        self.stream_size = size
        if self.stream is not None and len(head) <= size:
            self.stream.write(head)

    def close(self) -> None:
        if self.stream is not None and not self.claimed:
            self.stream.abort("the request ended before the photo was taken")
        if self.file is not None:
            self.file.close()
        if self.taken:
            self.budget.give_back(self.taken)
            self.taken = 0

    def received(self) -> ReceivedPhoto:
        texts: dict[str, str] = {}
        for name, value in self.fields.items():
            try:
                texts[name] = value.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(f"Form field {name} is not UTF-8 text.") from None
        problems: list[dict[str, Any]] = []
        if self.file is None:
            problems.append(
                {"type": "missing", "loc": ("body", FILE_FIELD), "msg": "Field required"}
            )
        try:
            fields = PhotoFields.model_validate(texts)
        except ValidationError as exc:
            problems[:0] = [
                {**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)
            ]
        if problems:
            raise RequestValidationError(problems)
        assert self.file is not None
        if not self.file_ended:
            raise BadRequest(
                "The form ended inside the file: the body was cut short or lacks its closing "
                "boundary."
            )
        digest = self.digest.hexdigest()
        if fields.size_bytes not in (None, self.size) or fields.sha256 not in (None, digest):
            raise errors.ChecksumMismatch(
                f"The photo's bytes (sha256 {digest}, {self.size} bytes) are not the declared "
                f"ones (sha256 {fields.sha256 or 'not declared'}, "
                f"{fields.size_bytes or 'not declared'} bytes)."
            )
        self.file.seek(0)
        return ReceivedPhoto(
            file=self.file,
            size=self.size,
            sha256=digest,
            fields=fields,
            photo_id=self.photo_id,
            stream=self.stream,
        )

    def unclaimed(self) -> StreamingPut | None:
        """The stream of a photo the route never took: its object, if stored, must go."""
        return None if self.claimed else self.stream


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
    reader: "_Reader | None" = None

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
    reader = _Reader(settings.upload, declared, _streamer(request, settings, store, clock()))
    try:
        yield await _read(request, reader)
    finally:
        reader.close()
        if (left := reader.unclaimed()) is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_drop, store, left)


async def _read(request: Request, reader: _Reader) -> PhotoBody:
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
