"""What a photo's bytes and header tell before any pixel is decoded.

The format from the leading bytes, the size and pixel limits, the cost of decoding judged
from the header, and ``inspect_header`` (what an upload is checked against before it is
stored). Decoding the pixels is ``imaging``'s.

Pure: bytes or files in, values out; no web, database or storage imports.
"""

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Literal, Self

import pillow_heif
from PIL import Image, ImageFile

from service.photos.exif import (
    DECODE_ERRORS,
    Device,
    GeoPoint,
    Metadata,
    quarter_turned,
    read_metadata,
)

pillow_heif.register_heif_opener(thumbnails=False)

ImageFormat = Literal["jpeg", "png", "webp", "heic"]
RejectionCode = Literal[
    "unsupported-media-type",
    "empty-file",
    "image-too-large",
    "image-too-compressed",
    "image-corrupt",
    "payload-too-large",
    "image-decoder-busy",
]
ImageSource = str | os.PathLike[str] | IO[bytes]

# Pillow is only ever asked for the format the bytes claim, so no other decoder sees them.
_PILLOW_NAMES: dict[ImageFormat, str] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "heic": "HEIF",
}
# Phones write multi-picture JPEGs, which Pillow names MPO; the first picture is the photo.
_PILLOW_RESULTS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
# HEVC-coded brands only: AVIF shares the container but this build cannot decode it.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
# Enough of the file to tell its format (HEIC's brands come after its first 16 bytes).
SNIFF_BYTES = 64
CHUNK = 1024 * 1024

# Below this many pixels a decode costs a few megabytes whatever the file, so the
# compression-ratio check (which guards memory, not correctness) does not apply.
RATIO_FLOOR_PIXELS = 1_000_000


class ImageRejected(Exception):
    """The upload is not a photo this service keeps; ``code`` is stable for API clients."""

    def __init__(self, code: RejectionCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: RejectionCode = code
        self.detail = detail


@dataclass(frozen=True)
class ImageLimits:
    """What a photo may cost; the reasons for each default are in ``service/config.py``."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_pixels_per_byte: int = 1000
    decode_budget_pixels: int = 100_000_000
    decode_wait_seconds: float = 30.0
    thumb_px: int = 320
    display_px: int = 1600
    jpeg_quality: int = 85

    def __post_init__(self) -> None:
        values = (self.max_bytes, self.max_pixels, self.max_pixels_per_byte)
        if min(*values, self.decode_budget_pixels, self.thumb_px, self.display_px) < 1:
            raise ValueError("image limits must be positive")
        if self.decode_wait_seconds < 0:
            raise ValueError("decode_wait_seconds must not be negative")
        if not 1 <= self.jpeg_quality <= 95:
            raise ValueError("jpeg_quality must be between 1 and 95")


@dataclass(frozen=True)
class HeaderInfo:
    """What a photo's header tells without decoding its pixels (see ``inspect_header``).

    ``width``/``height`` are after EXIF orientation. ``taken_at`` is the camera's
    DateTimeOriginal: timezone-aware when the camera recorded OffsetTimeOriginal
    (``taken_at_offset_known``), else naive local camera time.
    """

    format: ImageFormat
    mime: str
    size_bytes: int
    width: int
    height: int
    taken_at: dt.datetime | None
    taken_at_offset_known: bool
    gps: GeoPoint | None
    device: Device | None
    sha256: str

    @classmethod
    def of(
        cls,
        fmt: ImageFormat,
        size: int,
        oriented: tuple[int, int],
        meta: Metadata,
        sha256: str,
        **more: str,
    ) -> Self:
        """The description of a photo from its parts; ``more``, the fields a subclass adds."""
        return cls(
            format=fmt,
            mime=mime_of(fmt),
            size_bytes=size,
            width=oriented[0],
            height=oriented[1],
            taken_at=meta.taken_at,
            taken_at_offset_known=meta.taken_at is not None and meta.taken_at.tzinfo is not None,
            gps=meta.gps,
            device=meta.device,
            sha256=sha256,
            **more,
        )


def inspect_header(
    source: ImageSource, limits: ImageLimits | None = None, *, sha256: str | None = None
) -> HeaderInfo:
    """Check a photo from its header alone: format, size, pixel cap, compression ratio, EXIF.

    Reads the bytes once for their sha256, unless the caller hashed them as they arrived
    (``sha256``), and opens the image lazily (no pixel is decoded, a fraction of a
    millisecond): what only a decode proves (a truncated or corrupt body) is left to the
    photo job (``process_image``).

    Raises:
        ImageRejected: Its ``code`` says why the file is refused.
    """
    limits = limits or ImageLimits()
    with bounded(source, limits.max_bytes) as (stream, size):
        if sha256 is None:
            digest = hashlib.sha256()
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
            sha256 = digest.hexdigest()
            stream.seek(0)
        fmt = claimed_format(stream)
        try:
            with opened(stream, fmt, size, limits) as image:
                full = image.size
                meta = read_metadata(image)
                turned = quarter_turned(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("image-too-large", "the image has too many pixels") from exc
        except DECODE_ERRORS as exc:
            raise ImageRejected("image-corrupt", "the image cannot be decoded") from exc
        finally:
            stream.seek(0)
    return HeaderInfo.of(fmt, size, (full[1], full[0]) if turned else full, meta, sha256)


def mime_of(fmt: ImageFormat) -> str:
    """The media type a photo of this format is stored and served as."""
    return f"image/{fmt}"


def sniff_format(head: bytes) -> ImageFormat | None:
    """Name the accepted format the leading bytes belong to, whatever the file is called."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
        if brands & _HEIC_BRANDS:
            return "heic"
    return None


@contextmanager
def bounded(source: ImageSource, max_bytes: int) -> Iterator[tuple[IO[bytes], int]]:
    """Yield a seekable stream positioned at 0 and its size, refusing sizes over the limit."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            _check_size(size, max_bytes)
            yield file, size
        return
    if source.seekable() and source.tell() == 0:
        size = source.seek(0, os.SEEK_END)
        source.seek(0)
        _check_size(size, max_bytes)
        yield source, size
        return
    # A pipe or a stream of unknown length: copy at most one byte past the limit, to disk
    # once it grows, so a client cannot make the server hold an endless upload.
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        size = 0
        while chunk := source.read(min(CHUNK, max_bytes + 1 - size)):
            spool.write(chunk)
            size += len(chunk)
        _check_size(size, max_bytes)
        spool.seek(0)
        yield spool, size


def _check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise ImageRejected("empty-file", "the file is empty")
    if size > max_bytes:
        raise ImageRejected("payload-too-large", f"the file is larger than {max_bytes} bytes")


def claimed_format(stream: IO[bytes]) -> ImageFormat:
    """The accepted format the stream's leading bytes claim; the stream is left at 0.

    Read before ``opened`` and outside the handler that maps Pillow's errors, so a failing
    read of the server's own file is not taken for a corrupt image.
    """
    stream.seek(0)
    fmt = sniff_format(stream.read(SNIFF_BYTES))
    if fmt is None:
        raise ImageRejected("unsupported-media-type", "not a JPEG, PNG, WebP or HEIC image")
    stream.seek(0)
    return fmt


@contextmanager
def opened(
    stream: IO[bytes], fmt: ImageFormat, size: int, limits: ImageLimits
) -> Iterator[ImageFile.ImageFile]:
    """Open the image (``claimed_format``) with that format's decoder only, once its header
    shows decoding it would not cost too much (no pixel is decoded here).

    Pillow's own errors pass through: each caller names them (``DECODE_ERRORS``).
    """
    with Image.open(stream, formats=[_PILLOW_NAMES[fmt]]) as image:
        if _PILLOW_RESULTS.get(image.format or "") != fmt:
            raise ImageRejected("unsupported-media-type", f"the data is not {fmt.upper()}")
        check_cost(image.size, size, limits)
        yield image


def check_cost(full: tuple[int, int], size: int, limits: ImageLimits) -> None:
    """Refuse, from the header alone, an image whose decoding would cost too much memory."""
    pixels = full[0] * full[1]
    if pixels > limits.max_pixels:
        raise ImageRejected(
            "image-too-large",
            f"{full[0]}x{full[1]} pixels; at most {limits.max_pixels} are accepted",
        )
    if pixels > RATIO_FLOOR_PIXELS and pixels > size * limits.max_pixels_per_byte:
        raise ImageRejected(
            "image-too-compressed",
            f"{full[0]}x{full[1]} pixels in {size} bytes; a photo has at most "
            f"{limits.max_pixels_per_byte} pixels per byte",
        )
