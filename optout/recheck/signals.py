"""What counts as an owner's signal on Flickr, from what Flickr answered. No calls here.

The signals (docs/recheck.md): the tag `no_cv` (Flickr lists tags in their clean form,
`nocv`; a photo's details give the raw form too, and both are matched); a licence
that is now All Rights Reserved or NoDerivs and not the one the dataset recorded (a
photo the dataset took under BY-ND and still under it said nothing new; a dataset of
links records no licence, so there any such licence counts); a photo Flickr no longer
shows us (private or deleted: error 1 to photos.getInfo); an account that is gone
("User not found" to people.getInfo). Anything else Flickr says, or fails to say, is
none.
"""

from dataclasses import dataclass

from optout import flickr
from optout.models import FlickrSignal

K = FlickrSignal.Kind
# All Rights Reserved, and every NoDerivs licence Flickr offers (2.0 and 4.0).
RESTRICTIVE = frozenset({0, 3, 6, 13, 16})
NO_CV_CLEAN = "nocv"
NO_CV_RAW = "no_cv"
# Manifests name licences as Flickr's pages did (YFCC100M, FFHQ); the label we show.
_LICENSE_NAMES = {
    "all rights reserved": 0,
    "attribution-noncommercial-sharealike license": 1,
    "attribution-noncommercial license": 2,
    "attribution-noncommercial-noderivs license": 3,
    "attribution license": 4,
    "attribution-sharealike license": 5,
    "attribution-noderivs license": 6,
    "no known copyright restrictions": 7,
    "united states government work": 8,
    "public domain dedication (cc0)": 9,
    "public domain mark": 10,
}
_LICENSE_URL_PARTS = (
    ("/by-nc-nd/4", 16), ("/by-nc-sa/4", 15), ("/by-nc/4", 14), ("/by-nd/4", 13),
    ("/by-sa/4", 12), ("/by/4", 11), ("/by-nc-nd/", 3), ("/by-nc-sa/", 1), ("/by-nc/", 2),
    ("/by-nd/", 6), ("/by-sa/", 5), ("/by/", 4), ("/zero/", 9), ("/mark/", 10),
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One signal: a photo's (flickr_id set) or the account's (flickr_id None)."""

    kind: str
    flickr_id: int | None
    detail: str


def license_number(text: str) -> int | None:
    """Flickr's licence id for what a manifest says (a name, a URL, or the number)."""
    value = text.strip().lower()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    if value in _LICENSE_NAMES:
        return _LICENSE_NAMES[value]
    return next((number for part, number in _LICENSE_URL_PARTS if part in value), None)


def license_label(text: str) -> str:
    number = license_number(text)
    return flickr.LICENSES.get(number, text.strip()) if number is not None else text.strip()


def _license_signal(now: int | None, recorded: str) -> bool:
    return now is not None and now in RESTRICTIVE and license_number(recorded) != now


# The sentences below are stored in English (the maintainers' record) and shown in
# the reader's language by optout/notifications/wording.py: keep the two the same.


def license_finding(photo_id: int, now: int, recorded: str) -> Finding:
    to = flickr.LICENSES.get(now, f"licence {now}")
    before = license_label(recorded)
    if before and license_number(recorded) != now:
        detail = f"Photo {photo_id}: licence changed from {before} to {to} on Flickr."
    else:
        detail = f"Photo {photo_id}: its licence on Flickr is {to}."
    return Finding(K.LICENSE, photo_id, detail)


def no_cv_finding(photo_id: int) -> Finding:
    return Finding(K.NO_CV, photo_id, f"Photo {photo_id} tagged no_cv on Flickr.")


def listed_finding(photo: flickr.ListedPhoto, recorded_license: str) -> Finding | None:
    """A photo as the owner's public list shows it (tags in their clean form only)."""
    if NO_CV_CLEAN in photo.tags:
        return no_cv_finding(photo.id)
    if photo.license is not None and _license_signal(photo.license, recorded_license):
        return license_finding(photo.id, photo.license, recorded_license)
    return None


def info_finding(info: flickr.PhotoInfo, recorded_license: str) -> Finding | None:
    """A photo as its details show it (raw and clean tags, licence, visibility)."""
    if any(
        tag.clean == NO_CV_CLEAN or tag.raw.strip().casefold() == NO_CV_RAW for tag in info.tags
    ):
        return no_cv_finding(info.id)
    if info.license is not None and _license_signal(info.license, recorded_license):
        return license_finding(info.id, info.license, recorded_license)
    if not info.public:
        return Finding(K.GONE, info.id, f"Photo {info.id} made private on Flickr.")
    return None


def gone_finding(photo_id: int) -> Finding:
    """Flickr answered photos.getInfo with error 1: the photo is private or deleted."""
    return Finding(K.GONE, photo_id, f"Photo {photo_id} made private or deleted on Flickr.")


def account_finding() -> Finding:
    return Finding(K.ACCOUNT, None, "The Flickr account was deleted.")
