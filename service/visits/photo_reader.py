"""The photo upload's multipart parts, gathered as python-multipart reads them.

``Reader`` takes the parser's callbacks: the text fields (``PhotoFields``), bounded in
number and size, and the one file, hashed as it arrives and held in memory while the
process's upload memory (``MemoryBudget``) has room, else in a temporary file; when the
fields before the file declare its size and sha256, it starts the store's PUT with the
file's first bytes (``Streamer``). ``photo_form`` drives it from the request's stream.
"""

import hashlib
import io
import re
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from python_multipart.multipart import parse_options_header

from service.config import UploadSettings
from service.errors import BadRequest
from service.isotime import AwareIsoDatetime
from service.photos import errors
from service.photos.header import SNIFF_BYTES
from service.photos.schemas import SHA256_HEX
from service.storage.streaming import StreamingPut

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


class Reader:
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
        mismatch = errors.checksum_mismatch(
            ("sha256", fields.sha256, digest),
            ("size_bytes", fields.size_bytes, self.size),
            retry="the upload was cut or changed on the way; send it again.",
        )
        if mismatch is not None:
            raise mismatch
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
