"""A picture's bytes to its PDQ hash: decoding in memory, with limits, and hashing.

PDQ (Meta's perceptual hash) turns a picture into 256 bits that stay nearly
the same when the picture is re-encoded, resized, lightly cropped, and, with
its eight rotations and flips (`variants`), turned or mirrored. It looks at
brightness at 64 x 64 pixels and nothing else: no face is found or measured.

Every picture, a dataset's file or an upload, takes the same way: Pillow reads
it (a JPEG at a reduced size straight from its compressed data, a HEIC from its
embedded thumbnail when it has one: most of the speed), composites transparency
on white, and shrinks it to 64 x 64 by averaging, which PDQ then hashes as is.
PDQ's own downsampling picks single pixels, so a mirrored picture hashed
differently (distance 6 to 24); an average is symmetric, and a flip or a turn
now gives one of the eight variants to within a few bits (the rounding of
blocks of a fractional size).

Anything that is not a picture we read ends in PictureProblem, whose message is
for the person who chose the file.
"""

import io
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
import pdqhash
import pillow_heif
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, UnidentifiedImageError

# HEIC/HEIF (iPhone photos) through libheif, registered as Pillow's "HEIF" format.
pillow_heif.register_heif_opener()

MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024
MAX_PIXELS: Final = 50_000_000
# Pillow refuses twice this with DecompressionBombError and warns above it; the
# warning is an error here (once, for the whole process: the filter must not be
# swapped per call under a threaded server), and `_decoded` checks the size too.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF", "HEIF")
# Lazy: the "or" is in the asker's language when a message is made.
FORMAT_NAMES: Final = gettext_lazy("JPEG, PNG, WebP, GIF or HEIC")
# What the problems' sentences name; the upload's field is "picture" (upload.py).
LIMITS: Final = {
    "formats": FORMAT_NAMES,
    "most": MAX_PIXELS // 1_000_000,
    "megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
    "field": "picture",
}
# PDQ's quality, 0-100: under this the picture has too little detail to match anything.
MIN_QUALITY: Final = 50
# A match: at most this many of the 256 bits differ (PDQ's usual threshold).
MAX_DISTANCE: Final = 31
SIDE: Final = 64  # what PDQ hashes
# A JPEG is decoded at the smallest of 1/1, 1/2, 1/4, 1/8 that keeps this many pixels a side.
DRAFT_SIDE: Final = 256
# A HEIC is read from its embedded thumbnail when one is a scaled copy of the picture at
# least this large (a phone's is 320 x 240): decoding the full 12 megapixels of HEVC costs
# far more (docs/pictures.md has both figures).
HEIF_THUMBNAIL_SIDE: Final = 128
HASH_BYTES: Final = 32


class PictureProblem(Exception):
    """A file we cannot hash; `message` says why, for the person; `status` is the HTTP one.

    A new instance per raise: one kept at module level would keep the traceback of
    its last raise, and with it the frames that held the upload.
    """

    status = 400
    code = "unreadable"
    # Translated when raised, in the asker's language; the %(…)s come from LIMITS.
    default: str | Promise = gettext_lazy(
        "This file is not a picture we can read. Choose a %(formats)s file."
    )

    def __init__(self, message: str = "") -> None:
        self.message = message or str(self.default) % LIMITS
        super().__init__(self.message)


class EmptyFile(PictureProblem):
    code = "empty"
    default = gettext_lazy(
        "The file you chose is empty. Choose the picture itself: a %(formats)s file."
    )


class SvgDrawing(PictureProblem):
    code = "svg"
    default = gettext_lazy(
        "This is an SVG drawing, not a photo. Choose the photo itself: a %(formats)s file."
    )


class NotAPicture(PictureProblem):
    code = "not_a_picture"


class Damaged(PictureProblem):
    code = "damaged"
    default = gettext_lazy(
        "This picture is cut short or damaged, so it cannot be read to the end "
        "(an interrupted download or copy?). Choose a complete copy of it."
    )


class TooManyPixels(PictureProblem):
    code = "too_many_pixels"
    default = gettext_lazy(
        "This picture has too many pixels: we read at most %(most)s million. "
        "Choose a smaller copy of it: a resized copy is still found."
    )

    @classmethod
    def counted(cls, pixels: int) -> "TooManyPixels":
        return cls(
            gettext(
                "This picture has %(pixels)s million pixels; we read at most %(most)s "
                "million. Choose a smaller copy of it: a resized copy is still found."
            )
            % {**LIMITS, "pixels": number_format(round(pixels / 1e6), force_grouping=True)}
        )


class TooLarge(PictureProblem):
    status = 413
    code = "too_large"
    default = gettext_lazy(
        "This file is larger than %(megabytes)s MB. Choose a smaller "
        "copy of the picture: a resized copy is still found."
    )


@dataclass(frozen=True, slots=True)
class Hashed:
    pdq: bytes  # HASH_BYTES
    quality: int


@dataclass(frozen=True, slots=True)
class Variants:
    """The hashes of a picture's eight rotations and flips (the first is the picture as is)."""

    hashes: tuple[bytes, ...]
    quality: int

    @property
    def too_flat(self) -> bool:
        return self.quality < MIN_QUALITY


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in head


def _decoded(data: bytes) -> Image.Image:
    if not data:
        raise EmptyFile
    if _looks_like_svg(data):
        raise SvgDrawing
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise TooManyPixels from bomb
    except UnidentifiedImageError as unknown:
        raise NotAPicture from unknown
    except Exception as broken:
        # A header parser fed arbitrary bytes fails in many ways (struct.error,
        # SyntaxError, ValueError…): all of them mean the same to the person.
        raise NotAPicture from broken
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        raise TooManyPixels.counted(pixels)
    if pixels == 0:
        raise NotAPicture
    try:
        if image.format == "JPEG":
            image.draft("RGB", (DRAFT_SIDE, DRAFT_SIDE))
        elif image.format == "HEIF":
            image.draft(None, (HEIF_THUMBNAIL_SIDE, HEIF_THUMBNAIL_SIDE))
        image.load()  # a GIF's first frame, a HEIC's primary image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise TooManyPixels.counted(pixels) from bomb
    except Exception as broken:
        # Truncated data ("image file is truncated"), a bad checksum, a broken stream.
        raise Damaged from broken
    return image


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: convert() would clip it to white; scale it to 8 bits instead.
        levels = np.asarray(image, dtype=np.float32) / 257
        image = Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert("RGB")


def _pixels(data: bytes) -> np.ndarray:
    """The picture as PDQ hashes it: 64 x 64 RGB, each pixel the mean of its block."""
    image = _decoded(data)
    try:
        small = _rgb(image).resize((SIDE, SIDE), Image.Resampling.BOX, reducing_gap=None)
    except Exception as broken:
        raise Damaged from broken
    return np.asarray(small, dtype=np.uint8)


def _packed(bits: np.ndarray) -> bytes:
    return np.packbits(bits.astype(np.uint8)).tobytes()


def picture_hash(*, data: bytes) -> Hashed:
    """The PDQ hash and quality of the picture in `data`; PictureProblem if none."""
    bits, quality = pdqhash.compute(_pixels(data))
    return Hashed(_packed(bits), int(quality))


def picture_variants(*, data: bytes) -> Variants:
    """The hashes of the picture in `data` turned and flipped eight ways, and its quality."""
    hashes, quality = pdqhash.compute_dihedral(_pixels(data))
    return Variants(tuple(_packed(bits) for bits in hashes), int(quality))


def distance(a: bytes, b: bytes) -> int:
    """How many of the 256 bits differ."""
    return int(np.bitwise_count(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())
