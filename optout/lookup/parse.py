"""Turning what a person types into an owner (NSID or name) or a photo id.

`query_parse` reads whatever a person has at hand (a username, an NSID, a
profile or photo link, a flic.kr short link, a static image URL) and says
whether it names an owner or a photo. No database here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Flickr's own base58 for flic.kr/p/ links: no 0, O, I or l, and lower case
# before upper case (unlike Bitcoin's alphabet).
BASE58_ALPHABET = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_BASE58_VALUES = {char: value for value, char in enumerate(BASE58_ALPHABET)}

# Long enough for any Flickr link with tracking parameters; a wall of text is
# not a look-up, and the number keeps the error message honest.
MAX_QUERY_LENGTH = 500
MAX_NAME_LENGTH = 100
# Photo.flickr_id is a signed 64-bit column.
MAX_PHOTO_ID = 2**63 - 1

NSID_RE = re.compile(r"(\d{1,20})@[Nn](\d{2})")
_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
# "flickr.com/photos/x" typed without a scheme: a host name, then a slash.
_BARE_HOST_RE = re.compile(r"[\w-]+(\.[\w-]+)+(/|$)")
_FLICKR_HOSTS = {"flickr.com", "www.flickr.com", "m.flickr.com", "secure.flickr.com"}
_SHORT_HOSTS = {"flic.kr", "www.flic.kr"}
_STATIC_HOST_RE = re.compile(
    r"(live|farm\d+|c\d+)\.staticflickr\.com|staticflickr\.com|farm\d+\.static\.flickr\.com"
)
_STATIC_FILE_RE = re.compile(r"(\d+)_[0-9a-zA-Z]+(?:_[0-9a-zA-Z]+)?\.(?:jpe?g|png|gif)", re.I)
# /photos/<these>/ are Flickr's own pages, not somebody's photostream.
_RESERVED_OWNERS = {"tags", "friends", "search", "upload", "organize", "explore"}

EXAMPLES_HINT = gettext_lazy(
    "Paste a link to one of your photos, or your NSID (it looks like 12345678@N01)."
)


def _hinted(message: str) -> str:
    return f"{message} {EXAMPLES_HINT}"


class LookupProblem(Exception):
    """A look-up that has no answer; `message` is for the person, `status` for HTTP."""

    status = 400
    # True once answering it took Flickr's word (asked now, or remembered from
    # earlier): such a look-up costs the client more against its rate limit.
    needed_flickr = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QueryInvalid(LookupProblem):
    status = 400


class OwnerNotFound(LookupProblem):
    status = 404


class OwnerAmbiguous(LookupProblem):
    status = 409


class ResolverUnavailable(LookupProblem):
    status = 503

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        # Seconds after which asking again makes sense, when Flickr told us.
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class OwnerQuery:
    """An NSID, or a name to resolve: a username, or a profile link's path alias."""

    nsid: str = ""
    name: str = ""
    # A profile link's /photos/<x>/ is a path alias, which need not be the username.
    is_alias: bool = False


@dataclass(frozen=True, slots=True)
class PhotoQuery:
    photo_id: int


def base58_decode(text: str) -> int:
    value = 0
    for char in text:
        if char not in _BASE58_VALUES:
            raise QueryInvalid(
                _(
                    "“%(text)s” is not a flic.kr short link code: it has a “%(char)s”, which "
                    "Flickr's short links never use."
                )
                % {"text": text, "char": char}
            )
        value = value * 58 + _BASE58_VALUES[char]
    return value


def base58_encode(number: int) -> str:
    if number < 1:
        raise ValueError("Flickr photo ids start at 1")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    return "".join(reversed(digits))


def query_parse(*, text: str) -> OwnerQuery | PhotoQuery:
    """Read what a person typed; raise QueryInvalid with a message for them otherwise."""
    text = text.strip()
    if not text:
        raise QueryInvalid(
            _(
                "Enter your Flickr username, your NSID, or a link to your Flickr profile "
                "or to one of your photos."
            )
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryInvalid(
            _(
                "That is too long to be a Flickr username or link (%(length)s characters; "
                "at most %(most)s). Paste just one username or link."
            )
            % {"length": number_format(len(text), force_grouping=True), "most": MAX_QUERY_LENGTH}
        )
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise QueryInvalid(
            _(
                "That contains a line break, a tab or another control character. "
                "Paste just one username or link."
            )
        )
    if nsid := _nsid_or_none(text):
        return OwnerQuery(nsid=nsid)
    lowered = text.lower()
    if (
        _SCHEME_RE.match(text)
        or (_BARE_HOST_RE.match(text) and "/" in text)
        or lowered.rstrip("/") in _FLICKR_HOSTS | _SHORT_HOSTS
    ):
        return _url_parse(text)
    if "/" in text:
        raise QueryInvalid(
            _hinted(_("“%(text)s” is neither a Flickr username nor a link.") % {"text": text})
        )
    if len(text) > MAX_NAME_LENGTH:
        raise QueryInvalid(
            _("That is too long to be a Flickr username (at most %(most)s characters).")
            % {"most": MAX_NAME_LENGTH}
        )
    # "@jdoe", as other sites write handles; Flickr usernames never start with "@".
    name = text[1:].strip() if text.startswith("@") and len(text) > 1 else text
    return OwnerQuery(name=name)


def _nsid_or_none(text: str) -> str:
    match = NSID_RE.fullmatch(text)
    # Flickr writes the N in upper case; people copying by hand do not always.
    return f"{match[1]}@N{match[2]}" if match else ""


def _url_parse(text: str) -> OwnerQuery | PhotoQuery:
    if not _SCHEME_RE.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
    except ValueError as exc:
        raise QueryInvalid(_hinted(_("That does not look like a link we can read."))) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise QueryInvalid(
            _("Only web links (https://…) can be looked up, not “%(scheme)s:” links.")
            % {"scheme": parts.scheme}
        )
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    if host in _FLICKR_HOSTS:
        return _flickr_path_parse(segments, parts.query)
    if host in _SHORT_HOSTS:
        if len(segments) == 2 and segments[0] == "p":
            return _photo_query(base58_decode(segments[1]))
        raise QueryInvalid(
            _(
                "That flic.kr link does not point to a photo. Short links to photos look "
                "like https://flic.kr/p/7Afjsu."
            )
        )
    if _STATIC_HOST_RE.fullmatch(host):
        match = _STATIC_FILE_RE.fullmatch(segments[-1]) if segments else None
        if match and 2 <= len(segments) <= 3 and all(s.isdigit() for s in segments[:-1]):
            return _photo_query(int(match[1]))
        raise QueryInvalid(
            _(
                "That Flickr image link is not one we can read. Image links look like "
                "https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg."
            )
        )
    if not host:
        raise QueryInvalid(_hinted(_("That link has no site name in it.")))
    raise QueryInvalid(
        _(
            "That is a link to %(host)s, not to Flickr. Paste a link to your Flickr profile "
            "or to one of your Flickr photos."
        )
        % {"host": host}
    )


def _flickr_path_parse(segments: list[str], query: str) -> OwnerQuery | PhotoQuery:
    head = segments[0].lower() if segments else ""
    if head in ("photos", "people") and len(segments) >= 2:
        owner = segments[1]
        if owner.lower() == "me":
            raise QueryInvalid(
                _(
                    "Links with /me/ only work while you are signed in to Flickr. Open the "
                    "link, then paste the address your browser shows."
                )
            )
        if head == "photos" and len(segments) >= 3 and _ascii_digits(segments[2]):
            return _photo_query(int(segments[2]))
        if owner.lower() not in _RESERVED_OWNERS:
            nsid = _nsid_or_none(owner)
            return OwnerQuery(nsid=nsid) if nsid else OwnerQuery(name=owner, is_alias=True)
    if head == "photo.gne":
        # The old www.flickr.com/photo.gne?id=<photo id> links still work on Flickr.
        ids = parse_qs(query).get("id", [])
        if ids and _ascii_digits(ids[0]):
            return _photo_query(int(ids[0]))
    raise QueryInvalid(
        _(
            "That Flickr link does not name a person or a photo. Paste the link to your "
            "photostream (https://www.flickr.com/photos/your-name/) or to one of your photos."
        )
    )


def _ascii_digits(text: str) -> bool:
    # str.isdigit() is also true for "²" and other digits int() refuses.
    return text.isascii() and text.isdigit()


def _photo_query(photo_id: int) -> PhotoQuery:
    if not 1 <= photo_id <= MAX_PHOTO_ID:
        raise QueryInvalid(_("That number is too large to be a Flickr photo id."))
    return PhotoQuery(photo_id=photo_id)
