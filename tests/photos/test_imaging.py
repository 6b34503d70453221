"""Photo imaging on real files made by Pillow: formats, refusals, EXIF, orientation, hashes."""

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageFile
from PIL.TiffImagePlugin import IFDRational

from service.photos import imaging
from service.photos.imaging import ImageLimits, ImageRejected
from tests.fixtures import images

UTC5 = dt.timezone(dt.timedelta(hours=5))
UTC_3_30 = dt.timezone(-dt.timedelta(hours=3, minutes=30))
SMALL = ImageLimits(max_bytes=10_000)


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[1] < 80 and pixel[2] < 80


@pytest.mark.parametrize(
    ("data", "name", "fmt"),
    [
        (images.photo("JPEG"), "evidence.png", "jpeg"),
        (images.photo("PNG"), "evidence.jpg", "png"),
        (images.photo("WEBP"), "evidence.heic", "webp"),
        (images.photo("HEIF"), "evidence.webp", "heic"),
        (images.encode(images.scene(3), "MPO"), "evidence.mpo", "jpeg"),
    ],
    ids=["jpeg", "png", "webp", "heic", "mpo"],
)
def test_format_comes_from_the_bytes_not_the_name(
    data: bytes, name: str, fmt: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(data)

    info = imaging.inspect_image(path)

    assert (info.format, info.mime) == (fmt, f"image/{fmt}")
    assert (info.width, info.height, info.size_bytes) == (640, 480, len(data))


REFUSALS = [
    ("text-named-jpg", b"Not a photo at all, just text.\n" * 3, None, "unsupported-media-type"),
    ("gif", images.encode(images.scene(1), "GIF"), None, "unsupported-media-type"),
    ("bmp", images.encode(images.scene(1), "BMP"), None, "unsupported-media-type"),
    ("avif-brand", images.heif_with_brand(b"avif"), None, "unsupported-media-type"),
    ("empty", b"", None, "empty-file"),
    ("over-max-bytes", images.photo("JPEG"), SMALL, "payload-too-large"),
    ("bomb-pillow-error", images.png_claiming(50_000, 50_000), None, "image-too-large"),
    ("bomb-pillow-warning", images.png_claiming(10_000, 10_000), None, "image-too-large"),
    ("over-max-pixels", images.png_claiming(8_000, 6_000), None, "image-too-large"),
    ("over-custom-pixels", images.photo("PNG"), ImageLimits(max_pixels=1000), "image-too-large"),
    ("truncated-jpeg", images.truncated(images.photo("JPEG")), None, "image-corrupt"),
    ("jpeg-without-end", images.photo("JPEG")[:-10], None, "image-corrupt"),
    ("truncated-png", images.truncated(images.photo("PNG")), None, "image-corrupt"),
    ("truncated-webp", images.truncated(images.photo("WEBP")), None, "image-corrupt"),
    ("truncated-heic", images.truncated(images.photo("HEIF")), None, "image-corrupt"),
    ("jpeg-magic-then-junk", b"\xff\xd8\xff" + b"\x00junk" * 50, None, "image-corrupt"),
]


@pytest.mark.parametrize(
    ("data", "limits", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
@pytest.mark.parametrize("entry", [imaging.inspect_image, imaging.make_variants])
def test_refusals_carry_a_stable_code(
    entry: Callable[..., object], data: bytes, limits: ImageLimits | None, code: str
) -> None:
    with pytest.raises(ImageRejected) as caught:
        entry(io.BytesIO(data), limits)

    assert caught.value.code == code


def test_a_stream_of_unknown_length_is_cut_at_the_limit() -> None:
    endless = images.EndlessStream()

    with pytest.raises(ImageRejected) as caught:
        imaging.inspect_image(endless, ImageLimits(max_bytes=2_000_000))

    assert caught.value.code == "payload-too-large"
    assert endless.produced == 2_000_001


def test_truncated_images_stay_refused_even_if_someone_flips_the_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        imaging.inspect_image(io.BytesIO(images.truncated(images.photo("JPEG"))))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_metadata_is_read_from_every_format(fmt: str) -> None:
    info = imaging.inspect_image(io.BytesIO(images.photo(fmt)))

    assert info.taken_at == dt.datetime(2026, 3, 18, 10, 15, 30, tzinfo=UTC5)
    assert info.taken_at_offset_known
    assert info.gps is not None
    assert (info.gps.latitude, info.gps.longitude) == pytest.approx(images.ASTANA, abs=1e-6)
    assert info.device == imaging.Device(make="Samsung", model="Galaxy A54")


def shot(us: int = 0, tz: dt.tzinfo | None = None) -> dt.datetime:
    return dt.datetime(2026, 3, 18, 10, 15, 30, us, tzinfo=tz)


@pytest.mark.parametrize(
    ("taken", "offset", "subsec", "expected"),
    [
        pytest.param(images.TAKEN, "+05:00", None, shot(tz=UTC5), id="offset"),
        pytest.param(images.TAKEN, None, None, shot(), id="naive"),
        pytest.param(images.TAKEN, "-03:30", "25", shot(250000, UTC_3_30), id="negative-subsec"),
        pytest.param(images.TAKEN, "bogus", None, shot(), id="bad-offset"),
        pytest.param(images.TAKEN, "+23:00", None, shot(), id="offset-too-big"),
        pytest.param("0000:00:00 00:00:00", "+05:00", None, None, id="zeros"),
        pytest.param("    :  :     :  :  ", None, None, None, id="blank"),
        pytest.param(None, "+05:00", None, None, id="none"),
    ],
)
def test_taken_at(
    taken: str | None, offset: str | None, subsec: str | None, expected: dt.datetime | None
) -> None:
    exif = images.exif(taken=taken, offset=offset, subsec=subsec)
    data = images.encode(images.scene(1), "JPEG", exif=exif)

    info = imaging.inspect_image(io.BytesIO(data))

    assert info.taken_at == expected
    assert info.taken_at_offset_known is (expected is not None and expected.tzinfo is not None)


LAT, LON = (images.rational_dms(dms) for dms in images.ASTANA_DMS)
ZERO, NAN, BIG = ((IFDRational(n, d),) * 3 for n, d in ((0, 1), (1, 0), (95, 1)))


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        pytest.param((LAT, "N", LON, "E"), images.ASTANA, id="north-east"),
        pytest.param((LAT, "S", LON, "W"), (-images.ASTANA[0], -images.ASTANA[1]), id="south-west"),
        pytest.param((LAT, b"N\x00", LON, "e"), images.ASTANA, id="bytes-lowercase-refs"),
        pytest.param((LAT, "X", LON, "E"), None, id="bad-ref"),
        pytest.param((LAT[:2], "N", LON, "E"), None, id="two-parts"),
        pytest.param((ZERO, "N", ZERO, "E"), None, id="no-fix-zeros"),
        pytest.param((NAN, "N", LON, "E"), None, id="zero-denominator"),
        pytest.param((BIG, "N", LON, "E"), None, id="out-of-range"),
        pytest.param(None, None, id="none"),
    ],
)
def test_gps(
    gps: tuple[object, str, object, str] | None, expected: tuple[float, float] | None
) -> None:
    data = images.encode(images.scene(1), "JPEG", exif=images.exif(gps=gps))

    info = imaging.inspect_image(io.BytesIO(data))

    found = None if info.gps is None else (info.gps.latitude, info.gps.longitude)
    assert found == (None if expected is None else pytest.approx(expected, abs=1e-6))


# Where the stored top-left red corner must appear once the orientation is applied.
ORIENTATIONS = [
    (1, (60, 40), "top-left"),
    (2, (60, 40), "top-right"),
    (3, (60, 40), "bottom-right"),
    (4, (60, 40), "bottom-left"),
    (5, (40, 60), "top-left"),
    (6, (40, 60), "top-right"),
    (7, (40, 60), "bottom-right"),
    (8, (40, 60), "bottom-left"),
]


@pytest.mark.parametrize(("orientation", "size", "corner"), ORIENTATIONS)
def test_exif_orientation_is_applied(orientation: int, size: tuple[int, int], corner: str) -> None:
    data = images.corner_marked(orientation)

    info = imaging.inspect_image(io.BytesIO(data))
    variants = imaging.make_variants(io.BytesIO(data))

    assert (info.width, info.height) == size
    for variant in variants.values():
        image = reopen(variant)
        assert image.size == size
        w, h = size
        points = {"top-left": (2, 2), "top-right": (w - 3, 2)}
        points |= {"bottom-left": (2, h - 3), "bottom-right": (w - 3, h - 3)}
        assert [name for name, xy in points.items() if is_red(image.getpixel(xy))] == [corner]


SOURCES = {
    "jpeg": images.photo("JPEG"),
    "png": images.photo("PNG"),
    "webp": images.photo("WEBP"),
    "heic": images.photo("HEIF"),
    "jpeg-everything": images.tagged_jpeg(),
    "rotated": images.corner_marked(6),
}


@pytest.mark.parametrize("data", SOURCES.values(), ids=SOURCES.keys())
def test_variants_carry_no_metadata(data: bytes) -> None:
    variants = imaging.make_variants(io.BytesIO(data))

    assert set(variants) == {"thumb", "display"}
    for variant in variants.values():
        image = reopen(variant)
        assert image.format == "JPEG"
        assert image.mode == "RGB"
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
        for marker in (b"Exif\x00\x00", b"xmpmeta", b"ICC_PROFILE", b"Samsung", b"shopper"):
            assert marker not in variant


@pytest.mark.parametrize(
    ("size", "limits", "display", "thumb"),
    [
        ((2400, 1800), ImageLimits(), (1600, 1200), (320, 240)),
        ((1800, 2400), ImageLimits(), (1200, 1600), (240, 320)),
        ((100, 80), ImageLimits(), (100, 80), (100, 80)),
        ((640, 480), ImageLimits(display_px=200, thumb_px=64), (200, 150), (64, 48)),
    ],
    ids=["landscape", "portrait", "small-not-upscaled", "custom"],
)
def test_variant_sizes_are_bounded(
    size: tuple[int, int], limits: ImageLimits, display: tuple[int, int], thumb: tuple[int, int]
) -> None:
    data = images.encode(images.scene(4, size), "JPEG")

    variants = imaging.make_variants(io.BytesIO(data), limits)

    assert reopen(variants["display"]).size == display
    assert reopen(variants["thumb"]).size == thumb


@pytest.mark.parametrize(
    ("data", "pixel"),
    [
        (images.alpha_png(), (255, 255, 255)),
        (images.palette_png(), (255, 255, 255)),
        (images.grey16_png(40000), (156, 156, 156)),
        (images.cmyk_jpeg(), (255, 0, 0)),
        (images.bilevel_png(), (255, 255, 255)),
    ],
    ids=["rgba-on-white", "palette-transparency", "16-bit", "cmyk", "1-bit"],
)
def test_modes_become_8_bit_rgb(data: bytes, pixel: tuple[int, int, int]) -> None:
    display = reopen(imaging.make_variants(io.BytesIO(data))["display"])

    assert display.mode == "RGB"
    assert display.getpixel((40, 30)) == pytest.approx(pixel, abs=6)


def test_processing_once_gives_the_same_as_inspecting_and_resizing() -> None:
    data = images.photo("JPEG")

    processed = imaging.process_image(io.BytesIO(data))

    assert processed.info == imaging.inspect_image(io.BytesIO(data))
    assert processed.variants == imaging.make_variants(io.BytesIO(data))


def test_hashes_are_stable_across_inputs(tmp_path: Path) -> None:
    data = images.encode(images.scene(1), "PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    sources = (path, io.BytesIO(data), images.OneWay(data))

    infos = [imaging.inspect_image(source) for source in sources]

    assert {info.sha256 for info in infos} == {hashlib.sha256(data).hexdigest()}
    # Pinned: a changed algorithm would silently orphan every stored hash.
    assert {info.phash for info in infos} == {"0800161624b4b0b8"}


NEAR = {
    "jpeg-quality-40": lambda im: images.encode(im, "JPEG", quality=40),
    "webp-quality-50": lambda im: images.encode(im, "WEBP", quality=50),
    "resized-90%": lambda im: images.encode(im.resize((576, 432)), "JPEG"),
    "resized-50%": lambda im: images.encode(im.resize((320, 240)), "PNG"),
    "cropped-edges": lambda im: images.encode(im.crop((8, 6, 632, 474)), "JPEG"),
}


@pytest.mark.parametrize("change", NEAR.values(), ids=NEAR.keys())
def test_near_identical_pictures_have_close_hashes(change: Callable[[Image.Image], bytes]) -> None:
    original = imaging.inspect_image(io.BytesIO(images.encode(images.scene(5), "PNG")))
    copy = imaging.inspect_image(io.BytesIO(change(images.scene(5))))

    assert copy.sha256 != original.sha256
    assert imaging.hamming(original.phash, copy.phash) <= 6


@pytest.mark.parametrize(("a", "b"), [(1, 2), (2, 3), (3, 4), (5, 6), (7, 8)])
def test_different_pictures_have_distant_hashes(a: int, b: int) -> None:
    first, second = (imaging.dhash(images.scene(seed)) for seed in (a, b))

    assert imaging.hamming(first, second) >= 20


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("0" * 16, "0" * 16, 0), ("f" * 16, "0" * 16, 64), ("8000000000000001", "0" * 16, 2)],
)
def test_hamming(a: str, b: str, distance: int) -> None:
    assert imaging.hamming(a, b) == distance


@pytest.mark.parametrize(
    "kwargs",
    [{"max_bytes": 0}, {"max_pixels": -1}, {"thumb_px": 0}, {"jpeg_quality": 100}],
)
def test_limits_refuse_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must"):
        ImageLimits(**kwargs)


def test_hamming_refuses_other_strings() -> None:
    with pytest.raises(ValueError, match="16 hex"):
        imaging.hamming("abc", "0" * 16)


def test_the_fixtures_really_carry_metadata() -> None:
    # A silent no-op metadata writer would make the stripping tests above vacuous.
    source = images.tagged_jpeg()
    exif = Image.open(io.BytesIO(source)).getexif()

    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == images.TAKEN
    for marker in (b"Exif\x00\x00", b"xmpmeta", b"ICC_PROFILE", b"Samsung", b"shopper"):
        assert marker in source
