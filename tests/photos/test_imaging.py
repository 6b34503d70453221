"""Photo imaging on real files made by Pillow: formats, refusals, EXIF, orientation, hashes."""

import datetime as dt
import hashlib
import io
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageFile
from PIL.TiffImagePlugin import IFDRational

from service.photos import budget, exif, header, imaging
from service.photos.header import ImageLimits, ImageRejected
from tests.fixtures import images, memory

UTC5 = dt.timezone(dt.timedelta(hours=5))
UTC_3_30 = dt.timezone(-dt.timedelta(hours=3, minutes=30))
SMALL = ImageLimits(max_bytes=10_000)


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_red(pixel: float | tuple[int, ...] | None) -> bool:
    assert isinstance(pixel, tuple)  # an RGB image's pixel
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
    ("over-max-pixels", images.png_claiming(8_000, 7_000), None, "image-too-large"),
    ("1-bit-bomb-ratio", images.png_claiming(6_324, 6_324), None, "image-too-compressed"),
    ("48mp-in-8kb", images.png_claiming(8_000, 6_000), None, "image-too-compressed"),
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
        imaging.inspect_image(images.as_binary(endless), ImageLimits(max_bytes=2_000_000))

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
    assert info.device == exif.Device(make="Samsung", model="Galaxy A54")


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
    sources = (path, io.BytesIO(data), images.as_binary(images.OneWay(data)))

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


# --- what decoding costs: pixel cap, compression ratio, draft decoding, budget ---------------


@pytest.fixture(scope="module")
def jpeg_48mp() -> bytes:
    """An 8000x6000 JPEG, as a 48 MP phone writes (a gradient at low quality: ~0.8 MB)."""
    picture = Image.linear_gradient("L").resize((8000, 6000)).convert("RGB")
    return images.encode(picture, "JPEG", quality=30)


def one_bit_bomb() -> bytes:
    """A real 6324x6324 (40 MP) 1-bit PNG of ~5 KB: ~1 GB when decoded the usual way."""
    return images.encode(Image.new("1", (6324, 6324)), "PNG")


def test_a_one_bit_png_bomb_is_refused_from_its_header() -> None:
    data = one_bit_bomb()
    assert len(data) < 20_000
    reset = memory.reset_peak()
    before = memory.peak() if reset else memory.rss()

    with pytest.raises(ImageRejected) as caught:
        imaging.process_image(io.BytesIO(data))

    assert caught.value.code == "image-too-compressed"
    assert "6324x6324 pixels" in caught.value.detail
    grown = (memory.peak() if reset else memory.rss()) - before
    assert grown < 50 * memory.MB, f"refusing the bomb grew RSS by {grown / memory.MB:.0f} MB"


def test_a_48_megapixel_phone_jpeg_is_accepted_and_decoded_at_display_size(
    jpeg_48mp: bytes,
) -> None:
    reset = memory.reset_peak()
    before = memory.peak() if reset else memory.rss()

    done = imaging.process_image(io.BytesIO(jpeg_48mp))

    grown = (memory.peak() if reset else memory.rss()) - before
    assert (done.info.width, done.info.height, done.info.format) == (8000, 6000, "jpeg")
    assert reopen(done.variants["display"]).size == (1600, 1200)
    assert reopen(done.variants["thumb"]).size == (320, 240)
    # A full decode holds 144 MB of RGB before any copy; the 1/4 draft holds 9 MB.
    assert grown < 80 * memory.MB, f"processing grew RSS by {grown / memory.MB:.0f} MB"


@pytest.mark.parametrize(
    ("size", "longest", "box"),
    [
        ((8000, 6000), 1600, (1600, 1200)),  # Pillow then decodes 1/4: 2000x1500
        ((6000, 8000), 1600, (1200, 1600)),
        ((4032, 3024), 1600, (1600, 1200)),  # 12 MP: 1/2, 2016x1512
        ((3000, 2000), 1600, None),  # halving would fall under the display size
        ((640, 480), 1600, None),
        ((8000, 100), 320, (320, 4)),
    ],
)
def test_draft_box(size: tuple[int, int], longest: int, box: tuple[int, int] | None) -> None:
    assert imaging.draft_box(size, longest) == box


def test_the_hash_of_a_drafted_jpeg_matches_its_full_decode() -> None:
    big = images.scene(5, size=(3600, 2700))
    data = images.encode(big, "JPEG", quality=90)

    drafted = imaging.inspect_image(io.BytesIO(data))

    assert imaging.hamming(drafted.phash, imaging.dhash(big.convert("RGB"))) <= 2


def test_a_decode_waits_for_the_budget_and_gives_up_with_its_own_code() -> None:
    limits = ImageLimits(decode_budget_pixels=300_001, decode_wait_seconds=0.2)
    held = budget.shared(300_001)

    with held.reserve(300_001, timeout=1):
        with pytest.raises(ImageRejected) as caught:
            imaging.process_image(io.BytesIO(images.photo("JPEG")), limits)

    assert caught.value.code == "image-decoder-busy"
    assert held.in_use == 0
    assert imaging.process_image(io.BytesIO(images.photo("JPEG")), limits).info.width == 640


def test_a_budget_admits_decodes_up_to_its_pixels_and_clamps_larger_ones() -> None:
    pool = budget.DecodeBudget(100)
    with pool.reserve(60, timeout=0) as first:
        assert first == 60
        with pytest.raises(budget.BudgetTimeout):
            with pool.reserve(50, timeout=0.05):
                pass
        with pool.reserve(40, timeout=0):
            assert pool.in_use == 100
    with pool.reserve(10_000, timeout=0) as whole:
        assert whole == 100
    assert pool.in_use == 0


def test_a_waiting_decode_runs_once_the_budget_frees() -> None:
    pool = budget.DecodeBudget(10)
    started = threading.Event()

    def hold() -> None:
        with pool.reserve(10, timeout=0):
            started.set()
            time.sleep(0.2)

    worker = threading.Thread(target=hold)
    worker.start()
    started.wait(5)
    t0 = time.monotonic()
    with pool.reserve(5, timeout=5):
        waited = time.monotonic() - t0
    worker.join()
    assert 0.1 < waited < 2


def test_library_messages_with_object_reprs_never_reach_the_detail() -> None:
    fake_heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heicmif1" + b"\xde\xad\xbe\xef" * 64
    with tempfile.SpooledTemporaryFile() as spooled:
        spooled.write(fake_heic)
        spooled.seek(0)
        with pytest.raises(ImageRejected) as caught:
            imaging.process_image(spooled)

    assert caught.value.code == "image-corrupt"
    assert caught.value.detail == "the image cannot be decoded"
    assert " object at 0x" not in str(caught.value)


class _FailingRead(io.BytesIO):
    """A stream of the server's own whose reads fail, as a broken disk's would."""

    def read(self, size: int | None = -1, /) -> bytes:
        raise OSError("input/output error")


@pytest.mark.parametrize(
    "check",
    [
        lambda s: header.inspect_header(s, sha256="0" * 64),  # hashed as it arrived
        lambda s: imaging.inspect_image(s),
    ],
    ids=["header", "decode"],
)
def test_a_failing_read_is_the_servers_error_not_a_corrupt_image(
    check: Callable[[io.BytesIO], object],
) -> None:
    # A refusal would tell the phone its photo is broken and, in the job, reject it for
    # good; the server's own failure must surface as one (a 500, or the job's retry).
    with pytest.raises(OSError, match="input/output error"):
        check(_FailingRead(images.photo("JPEG")))
