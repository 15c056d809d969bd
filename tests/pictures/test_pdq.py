"""A picture's bytes to its PDQ hash: what matches, and every kind of bad input."""

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from devtools.pictures import picture_make
from optout.pictures import (
    MAX_DISTANCE,
    MIN_QUALITY,
    Damaged,
    EmptyFile,
    NotAPicture,
    PictureProblem,
    SvgDrawing,
    TooManyPixels,
    distance,
    picture_hash,
    picture_variants,
)
from tests.support.pictures import encoded


def nearest(data: bytes, original: bytes) -> int:
    return min(distance(variant, original) for variant in picture_variants(data=data).hashes)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return picture_make(7)


@pytest.fixture(scope="module")
def original(photo: Image.Image) -> bytes:
    return picture_hash(data=encoded(photo, "PNG")).pdq


def test_a_generated_photo_has_detail_enough_to_match(photo: Image.Image) -> None:
    assert picture_hash(data=encoded(photo, "PNG")).quality >= MIN_QUALITY
    assert len(picture_hash(data=encoded(photo, "PNG")).pdq) == 32


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda im: im, id="the same picture"),
        pytest.param(lambda im: im.resize((im.width // 2, im.height // 2)), id="half size"),
        pytest.param(lambda im: im.rotate(90, expand=True), id="turned"),
        pytest.param(lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), id="flipped"),
        pytest.param(lambda im: im.crop((8, 6, im.width - 8, im.height - 6)), id="cropped 1.3%"),
    ],
)
def test_a_re_saved_edited_copy_stays_within_the_match_distance(
    photo: Image.Image, original: bytes, edit: Callable[[Image.Image], Image.Image]
) -> None:
    edited = edit(photo)
    assert nearest(encoded(edited, "JPEG", quality=60), original) <= MAX_DISTANCE


def test_a_flip_or_a_turn_gives_one_of_the_eight_variants_to_a_few_bits(
    photo: Image.Image, original: bytes
) -> None:
    for turned in (
        photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        photo.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        photo.rotate(90, expand=True),
        photo.rotate(270, expand=True),
    ):
        assert nearest(encoded(turned, "PNG"), original) <= 4


def test_different_generated_photos_are_far_apart() -> None:
    hashes = [
        picture_hash(data=encoded(picture_make(seed, width=200, height=150), "PNG")).pdq
        for seed in range(30)
    ]
    closest = min(distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :])
    assert closest > 3 * MAX_DISTANCE


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "HEIF"])
def test_each_format_we_promise_is_read(photo: Image.Image, original: bytes, fmt: str) -> None:
    assert nearest(encoded(photo, fmt), original) <= MAX_DISTANCE


def test_a_gif_is_read_by_its_first_frame(photo: Image.Image, original: bytes) -> None:
    other = picture_make(8)
    animated = io.BytesIO()
    photo.save(animated, format="GIF", save_all=True, append_images=[other], duration=100)
    assert nearest(animated.getvalue(), original) <= MAX_DISTANCE


def test_transparency_is_read_on_white_and_16_bit_grey_is_not_clipped(photo: Image.Image) -> None:
    grey = np.asarray(photo.convert("L"), dtype=np.uint16) * 257
    sixteen = Image.fromarray(grey)
    eight = picture_hash(data=encoded(photo.convert("L"), "PNG")).pdq
    assert distance(picture_hash(data=encoded(sixteen, "PNG")).pdq, eight) <= 4
    rgba = photo.convert("RGBA")
    assert picture_hash(data=encoded(rgba, "PNG")).quality >= MIN_QUALITY


def test_a_flat_picture_is_too_flat_to_match() -> None:
    flat = Image.new("RGB", (400, 300), (120, 160, 200))
    assert picture_variants(data=encoded(flat, "PNG")).too_flat
    almost = flat.copy()
    ImageDraw.Draw(almost).text((10, 10), "hello", fill=(121, 161, 201))
    assert picture_variants(data=encoded(almost, "PNG")).quality < MIN_QUALITY


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height and carries a few bytes of pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)


@pytest.mark.parametrize(
    ("data", "problem", "says"),
    [
        pytest.param(b"", EmptyFile, "empty", id="empty"),
        pytest.param(b"holiday notes\n" * 50, NotAPicture, "not a picture", id="text"),
        pytest.param(b"%PDF-1.7\n" + b"\0" * 500, NotAPicture, "not a picture", id="pdf"),
        pytest.param(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"/>',
            SvgDrawing,
            "SVG drawing",
            id="svg",
        ),
        pytest.param(b'  <svg viewBox="0 0 1 1"></svg>', SvgDrawing, "SVG", id="bare svg"),
        pytest.param(_png_header(10_000, 6_000), TooManyPixels, "50 million", id="bomb"),
        pytest.param(_png_header(60_000, 60_000), TooManyPixels, "50 million", id="huge bomb"),
    ],
)
# As in production (optout/pictures/pdq.py): Pillow's warning is an error.
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_bad_input_gets_a_sentence_a_person_understands(
    data: bytes, problem: type[PictureProblem], says: str
) -> None:
    with pytest.raises(problem) as raised:
        picture_variants(data=data)
    assert says in raised.value.message
    assert raised.value.status == 400
    assert raised.value.message.endswith(".")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_is_refused_by_its_size_even_where_pillow_only_warns() -> None:
    with pytest.raises(TooManyPixels) as raised:
        picture_variants(data=_png_header(10_000, 6_000))
    assert "This picture has 60 million pixels; we read at most 50 million." in str(raised.value)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_picture_is_said_to_be_cut_short(photo: Image.Image, fmt: str) -> None:
    data = encoded(photo, fmt)
    with pytest.raises((Damaged, NotAPicture)) as raised:
        picture_variants(data=data[: len(data) // 2])
    assert raised.value.status == 400
    if fmt != "WEBP":  # WebP's header carries its length: a short file is no WebP at all
        assert isinstance(raised.value, Damaged)
        assert "cut short or damaged" in raised.value.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise_anything_but_our_own_error(data: bytes) -> None:
    try:
        picture_variants(data=data)
    except PictureProblem as problem:
        assert problem.message


@pytest.fixture(scope="module")
def small_files() -> list[bytes]:
    small = picture_make(3, width=48, height=36)
    return [encoded(small, fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP")]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, 3),
    cut=st.integers(0, 10_000),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
)
def test_damaged_real_pictures_never_raise_anything_but_our_own_error(
    small_files: list[bytes], which: int, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(small_files[which])
    for at, value in flips:
        data[at % len(data)] = value
    try:
        picture_variants(data=bytes(data[: max(1, len(data) - cut % len(data))]))
    except PictureProblem as problem:
        assert problem.message


def test_a_heic_is_read_from_its_embedded_thumbnail(photo: Image.Image, original: bytes) -> None:
    big = photo.resize((1280, 960))
    with_thumbnail = encoded(big, "HEIF", quality=60, thumbnails=[320])
    opened = Image.open(io.BytesIO(with_thumbnail))
    opened.draft(None, (128, 128))

    assert opened.size == (320, 240)  # what the hash decodes: a scaled copy, not 1.2 MP
    assert nearest(with_thumbnail, original) <= MAX_DISTANCE
    assert nearest(encoded(big, "HEIF", quality=60, thumbnails=[]), original) <= MAX_DISTANCE
