"""Pure: reasons to look twice at a photo. Flags inform the review; they never reject."""

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

EARTH_RADIUS_M = 6_371_000


class Flag(StrEnum):
    no_exif = "no-exif"
    taken_outside_window = "taken-outside-window"
    taken_far_from_claim = "taken-far-from-claimed-time"
    far_from_office = "far-from-office"
    reused_image = "reused-image"


@dataclass(frozen=True)
class PhotoFacts:
    exif_taken_at: dt.datetime | None
    exif_offset_known: bool
    claimed_taken_at: dt.datetime
    gps: tuple[float, float] | None
    has_exif: bool


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def flags_for(
    facts: PhotoFacts,
    *,
    window: tuple[dt.datetime, dt.datetime],
    office: tuple[float, float] | None,
    tolerance: dt.timedelta,
    radius_m: float,
    local_offset: dt.timezone,
) -> list[Flag]:
    """The flags a photo earns against its visit's window and office."""
    found = []
    if not facts.has_exif:
        found.append(Flag.no_exif)
    taken = facts.exif_taken_at
    if taken is not None:
        # Cameras without an offset record local time; read it on the visit's clock.
        moment = taken if facts.exif_offset_known else taken.replace(tzinfo=local_offset)
        start, end = window
        if not start - tolerance <= moment <= end + tolerance:
            found.append(Flag.taken_outside_window)
        if abs(moment - facts.claimed_taken_at) > tolerance:
            found.append(Flag.taken_far_from_claim)
    if facts.gps is not None and office is not None and distance_m(facts.gps, office) > radius_m:
        found.append(Flag.far_from_office)
    return found


def bands(phash: str) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a 64-bit hex hash."""
    value = int(phash, 16)
    return (value >> 48 & 0xFFFF, value >> 32 & 0xFFFF, value >> 16 & 0xFFFF, value & 0xFFFF)
