"""An uploaded picture's bytes, read in memory only (optout/infra/uploads.py), or the
PictureProblem that tells the person what was wrong with the upload."""

from django.http import HttpRequest

from optout.infra.uploads import UploadRefused, upload_read
from optout.pictures.pdq import FORMAT_NAMES, MAX_UPLOAD_BYTES, PictureProblem, TooLarge

FIELD = "picture"


class NoPicture(PictureProblem):
    code = "missing"
    default = f"Choose a picture to upload: a {FORMAT_NAMES} file, up to 20 MB."


class UploadBroken(PictureProblem):
    code = "malformed"
    default = (
        "The upload could not be read to the end. Send the picture again, as a form "
        f"(multipart/form-data) with the file in a field named “{FIELD}”."
    )


def picture_upload_read(request: HttpRequest) -> bytes:
    """The bytes of the file in the `picture` field; call before anything reads the body."""
    try:
        return upload_read(request, field=FIELD, max_bytes=MAX_UPLOAD_BYTES)
    except UploadRefused as refused:
        problem: type[PictureProblem] = {
            "too_large": TooLarge,
            "missing": NoPicture,
            "malformed": UploadBroken,
        }[refused.kind]
        raise problem from None
