"""What a photo's EXIF block says, read from real JPEGs written with that block."""

import io

import pytest
from PIL import ExifTags, Image

from service.photos import exif


def jpeg_with(orientation: int | None) -> Image.Image:
    """A JPEG written with ``orientation`` in its EXIF block (None: no block), opened again."""
    block = Image.Exif()
    if orientation is not None:
        block[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "teal").save(out, "JPEG", exif=block.tobytes())
    return Image.open(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize(
    ("orientation", "turned"),
    [(None, False), (1, False), (2, False), (3, False), (4, False)]
    + [(5, True), (6, True), (7, True), (8, True), (9, False)],
)
def test_a_quarter_turn_is_orientations_five_to_eight(
    orientation: int | None, turned: bool
) -> None:
    with jpeg_with(orientation) as image:
        assert exif.quarter_turned(image) is turned


def test_a_block_without_time_place_or_camera_reads_as_none_of_them() -> None:
    with jpeg_with(6) as image:
        assert exif.read_metadata(image) == exif.Metadata()
