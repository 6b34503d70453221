"""What a photo's EXIF block says: when, where and with what it was taken.

Pure: a Pillow image in, values out. Metadata is optional, so a malformed block reads as
no metadata, never as a rejected photo.
"""

import datetime as dt
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PIL import ExifTags, Image

# What Pillow raises on a malformed file, whether it reads pixels or metadata.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)
# ... and what its EXIF accessors add on malformed tags.
EXIF_ERRORS = (*DECODE_ERRORS, TypeError, KeyError, ZeroDivisionError, OverflowError)
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_T = TypeVar("_T")


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Device:
    make: str | None
    model: str | None


@dataclass(frozen=True)
class Metadata:
    """When, where and with what a photo was taken, as far as its EXIF block says."""

    taken_at: dt.datetime | None = None
    gps: GeoPoint | None = None
    device: Device | None = None


def read_metadata(image: Image.Image) -> Metadata:
    """Read time, place and camera; metadata is optional, so bad EXIF is no EXIF."""
    try:
        exif = image.getexif()
    except EXIF_ERRORS:
        return Metadata()
    return Metadata(
        taken_at=_guard(_taken_at, exif),
        gps=_guard(_gps, exif),
        device=_guard(_device, exif),
    )


def quarter_turned(image: Image.Image) -> bool:
    """Whether the EXIF orientation turns the picture a quarter (its width and height swap)."""
    try:
        return image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
    except EXIF_ERRORS:
        return False


def _guard(read: Callable[[Image.Exif], _T | None], exif: Image.Exif) -> _T | None:
    try:
        return read(exif)
    except EXIF_ERRORS:
        return None


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    text = _text(ifd.get(ExifTags.Base.DateTimeOriginal))
    if text is None:
        return None
    try:
        taken = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # cameras without a clock write "0000:00:00 00:00:00" or blanks
        return None
    subsec = _text(ifd.get(ExifTags.Base.SubsecTimeOriginal))
    if subsec and subsec.isdigit():
        taken = taken.replace(microsecond=int(subsec[:6].ljust(6, "0")))
    offset = _OFFSET.fullmatch(_text(ifd.get(ExifTags.Base.OffsetTimeOriginal)) or "")
    if offset is None:
        return taken
    sign = -1 if offset[1] == "-" else 1
    delta = dt.timedelta(hours=int(offset[2]), minutes=int(offset[3]))
    if delta > dt.timedelta(hours=14):
        return taken
    return taken.replace(tzinfo=dt.timezone(sign * delta))


def _gps(exif: Image.Exif) -> GeoPoint | None:
    ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(ifd.get(ExifTags.GPS.GPSLatitude), ifd.get(ExifTags.GPS.GPSLatitudeRef), "NS")
    lon = _degrees(ifd.get(ExifTags.GPS.GPSLongitude), ifd.get(ExifTags.GPS.GPSLongitudeRef), "EW")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    # Phones without a fix write zeros; nobody photographs a public-service office at 0,0.
    if lat == 0 and lon == 0:
        return None
    return GeoPoint(latitude=round(lat, 7), longitude=round(lon, 7))


def _degrees(value: Any, ref: Any, hemispheres: str) -> float | None:
    """Degrees from a (degrees, minutes, seconds) tuple of rationals and a hemisphere letter."""
    hemisphere = _text(ref)
    if not isinstance(value, tuple | list) or len(value) != 3 or not hemisphere:
        return None
    # Pillow gives IFDRational, whose float() of a zero denominator is NaN, caught below.
    deg, minutes, seconds = (float(part) for part in value)
    total = deg + minutes / 60 + seconds / 3600
    if not math.isfinite(total) or hemisphere[0].upper() not in hemispheres:
        return None
    return -total if hemisphere[0].upper() == hemispheres[1] else total


def _device(exif: Image.Exif) -> Device | None:
    make, model = _text(exif.get(ExifTags.Base.Make)), _text(exif.get(ExifTags.Base.Model))
    if make is None and model is None:
        return None
    return Device(make=make and make[:64], model=model and model[:64])


def _text(value: Any) -> str | None:
    """EXIF ASCII as str: NUL-padded bytes or str, blank meaning absent."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None
