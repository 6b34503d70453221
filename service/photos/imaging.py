"""Photo evidence imaging: verify, orient, strip metadata, resize and hash (EXIF: ``exif``).

Pure: bytes or files in, values out; no web, database or storage imports. Pillow work is
CPU-bound, so callers run it off the event loop.
"""

import hashlib
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from PIL import Image, ImageFile, ImageOps

from service.photos.budget import BudgetTimeout, shared
from service.photos.exif import (
    DECODE_ERRORS,
    EXIF_ERRORS,
    Metadata,
    read_metadata,
)
from service.photos.header import (
    CHUNK,
    HeaderInfo,
    ImageFormat,
    ImageLimits,
    ImageRejected,
    ImageSource,
    bounded,
    claimed_format,
    opened,
)

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


@dataclass(frozen=True)
class ImageInfo(HeaderInfo):
    """What a photo says about itself: its header's description, and the decoded pixels' dHash."""

    phash: str


@dataclass(frozen=True)
class ProcessedImage:
    info: ImageInfo
    variants: dict[str, bytes] = field(repr=False)


def inspect_image(source: ImageSource, limits: ImageLimits | None = None) -> ImageInfo:
    """Verify a photo and read what it says about itself.

    Args:
        source: A file path, or a binary file object read from its current position.
        limits: Size and pixel limits; the defaults when omitted.

    Returns:
        Format, oriented size, EXIF time, GPS and device, sha256 of the bytes and a dHash.

    Raises:
        ImageRejected: Its ``code`` says why the file is refused.
    """
    return _process(source, limits or ImageLimits(), variants=False).info


def make_variants(source: ImageSource, limits: ImageLimits | None = None) -> dict[str, bytes]:
    """Return ``{"thumb": jpeg, "display": jpeg}``: oriented, bounded, without any metadata.

    Raises:
        ImageRejected: Its ``code`` says why the file is refused.
    """
    return _process(source, limits or ImageLimits(), variants=True).variants


def process_image(source: ImageSource, limits: ImageLimits | None = None) -> ProcessedImage:
    """Inspect a photo and make its variants with a single decode.

    Raises:
        ImageRejected: Its ``code`` says why the file is refused.
    """
    return _process(source, limits or ImageLimits(), variants=True)


def dhash(image: Image.Image) -> str:
    """Return a 64-bit difference hash as 16 hex digits; near-identical pictures differ little."""
    gray = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    px = gray.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            value = (value << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """Count the bits in which two hashes from :func:`dhash` differ (0 = same picture)."""
    if len(a) != 16 or len(b) != 16:
        raise ValueError("perceptual hashes are 16 hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def draft_box(size: tuple[int, int], longest: int) -> tuple[int, int] | None:
    """The smallest box a JPEG may be decoded to while its longest side keeps ``longest`` pixels.

    JPEG decoders scale by 1/2, 1/4 or 1/8 while decoding (``Image.draft``), so an image only
    shown at display size never needs its full pixels in memory; Pillow picks the largest
    reduction that keeps both sides at least this box. None: the full size is needed.
    """
    width, height = size
    scale = longest / max(width, height)
    if scale >= 0.5:  # no reduction of 1/2 or more would keep the longest side
        return None
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


@dataclass(frozen=True)
class _Decoded:
    format: ImageFormat
    rgb: Image.Image
    meta: Metadata
    size: tuple[int, int]  # the full size after orientation, whatever was decoded


def _process(source: ImageSource, limits: ImageLimits, *, variants: bool) -> ProcessedImage:
    with bounded(source, limits.max_bytes) as (stream, size):
        digest = hashlib.sha256()
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
        # One decode size whatever is asked for, so inspecting and processing agree on the hash.
        with _decoded(stream, size, limits, limits.display_px) as done:
            info = ImageInfo.of(
                done.format, size, done.size, done.meta, digest.hexdigest(), phash=dhash(done.rgb)
            )
            # Still inside the budget: the variants are made from the decoded pixels.
            return ProcessedImage(info, _variants(done.rgb, limits) if variants else {})


@contextmanager
def _decoded(stream: IO[bytes], size: int, limits: ImageLimits, needed: int) -> Iterator[_Decoded]:
    """Decode within the process's pixel budget, which is held until the block ends."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Another import flipped a process-wide switch; half a photo is not evidence.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    fmt = claimed_format(stream)
    budget = shared(limits.decode_budget_pixels)
    # Library messages are never passed on: they can carry reprs of server objects
    # (Pillow names the file object it could not identify), so each refusal has a fixed text.
    try:
        with opened(stream, fmt, size, limits) as image:
            full = image.size
            if fmt == "jpeg" and (box := draft_box(full, needed)) is not None:
                image.draft("RGB", box)
            with budget.reserve(image.width * image.height, timeout=limits.decode_wait_seconds):
                # Loading every pixel is the only proof the file is whole (a JPEG draft still
                # reads every coded block); PNG EXIF may sit after the image data, so metadata
                # is read once loading succeeded.
                image.load()
                meta = read_metadata(image)
                rgb = _to_clean_rgb(_oriented(image))
                turned = rgb.size != image.size
                yield _Decoded(fmt, rgb, meta, (full[1], full[0]) if turned else full)
    except BudgetTimeout as exc:
        raise ImageRejected(
            "image-decoder-busy", "the server is busy decoding other photos; retry shortly"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own fence (MAX_IMAGE_PIXELS, ~89 MP) sits above any allowed max_pixels, so
        # only an image over our cap meets it; with warnings as errors its warning lands here.
        raise ImageRejected("image-too-large", "the image has too many pixels") from exc
    except DECODE_ERRORS as exc:
        raise ImageRejected("image-corrupt", "the image cannot be decoded") from exc


def _oriented(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except EXIF_ERRORS:  # a malformed EXIF block must not fail an otherwise sound photo
        return image


def _to_clean_rgb(image: Image.Image) -> Image.Image:
    """Return 8-bit RGB pixels in a fresh image, so no EXIF, XMP, ICC or text travels along."""
    if image.mode in _SIXTEEN_BIT_MODES:
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in {"RGBA", "LA", "PA", "La", "RGBa"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image.alpha_composite(rgba)
    rgb = image.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _variants(rgb: Image.Image, limits: ImageLimits) -> dict[str, bytes]:
    # Bicubic, not Lanczos: a reviewer sees no difference at display size, and the resize of
    # a 12 MP photo is the job's largest cost (about 15% less CPU per photo).
    # Each copy is made by the resize itself, not copied first and then resized in place as
    # ``thumbnail`` needs: 40 instead of 54 ms for a 4 MP photo.
    display = _fit(rgb, limits.display_px)
    thumb = _fit(display, limits.thumb_px)
    return {"thumb": _jpeg(thumb, limits), "display": _jpeg(display, limits)}


def _fit(image: Image.Image, longest: int) -> Image.Image:
    """A new image whose longest side is at most ``longest``, the aspect ratio kept."""
    width, height = image.size
    scale = longest / max(width, height)
    if scale >= 1:
        return image.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap: a large step is first reduced by whole factors (fast, and the result looks
    # the same as ``thumbnail``'s, which does the same).
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _jpeg(image: Image.Image, limits: ImageLimits) -> bytes:
    # No optimize pass: it tripled the encoder's time (34 vs 11 ms at 1600 px) to save a few
    # per cent of a copy that is read over a LAN by reviewers.
    out = io.BytesIO()
    image.save(out, "JPEG", quality=limits.jpeg_quality)
    return out.getvalue()
