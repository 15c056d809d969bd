"""An uploaded picture's bytes, read in memory only (optout/infra/uploads.py), or the
PictureProblem that tells the person what was wrong with the upload."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from optout.infra.uploads import UploadRefused, upload_read
from optout.pictures.pdq import MAX_UPLOAD_BYTES, PictureProblem, TooLarge

FIELD = "picture"


class NoPicture(PictureProblem):
    code = "missing"
    default = gettext_lazy(
        "Choose a picture to upload: a %(formats)s file, up to %(megabytes)s MB."
    )


class UploadBroken(PictureProblem):
    code = "malformed"
    default = gettext_lazy(
        "The upload could not be read to the end. Send the picture again, as a form "
        "(multipart/form-data) with the file in a field named “%(field)s”."
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
