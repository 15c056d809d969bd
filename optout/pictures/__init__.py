"""The look-up by picture: perceptual hashes (PDQ) of the datasets' stored pictures,
and an uploaded picture matched against them in memory. No face is found or measured,
and nothing of an upload is kept.

- pdq: a picture's bytes to its hash, with the limits and the messages for bad input.
- hashing: the datasets' stored pictures to PictureHash rows (hash_pictures, the task).
- index: the hashes in each process's memory, searched by XOR and popcount.
- search: the answer per dataset, and the opaque reference for the report form.
- upload: an uploaded picture's bytes, in memory only.
"""

from optout.pictures.hashing import (
    DatasetUnknown,
    HashRun,
    dataset_pictures_hash,
    first_picture_key,
    pictures_due,
    pictures_hash,
)
from optout.pictures.index import Match, PictureIndex, picture_index
from optout.pictures.pdq import (
    FORMAT_NAMES,
    MAX_DISTANCE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    MIN_QUALITY,
    Damaged,
    EmptyFile,
    Hashed,
    NotAPicture,
    PictureProblem,
    SvgDrawing,
    TooLarge,
    TooManyPixels,
    Variants,
    distance,
    picture_hash,
    picture_variants,
)
from optout.pictures.search import (
    REF_SECONDS,
    DatasetMatch,
    PictureAnswer,
    TooFlat,
    picture_search,
    ref_forget,
    ref_mint,
    ref_photos,
)
from optout.pictures.upload import NoPicture, UploadBroken, picture_upload_read

__all__ = [
    "FORMAT_NAMES",
    "MAX_DISTANCE",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MIN_QUALITY",
    "REF_SECONDS",
    "Damaged",
    "DatasetMatch",
    "DatasetUnknown",
    "EmptyFile",
    "HashRun",
    "Hashed",
    "Match",
    "NoPicture",
    "NotAPicture",
    "PictureAnswer",
    "PictureIndex",
    "PictureProblem",
    "SvgDrawing",
    "TooFlat",
    "TooLarge",
    "TooManyPixels",
    "UploadBroken",
    "Variants",
    "dataset_pictures_hash",
    "distance",
    "first_picture_key",
    "picture_hash",
    "picture_index",
    "picture_search",
    "picture_upload_read",
    "picture_variants",
    "pictures_due",
    "pictures_hash",
    "ref_forget",
    "ref_mint",
    "ref_photos",
]
