"""Feed cursors: opaque to the licensee, checkable by us.

A cursor names a position in one dataset's feed, for one licensee, and carries an
HMAC of both under the site's secret key. We sign only positions we hand out (the
end of a feed page, a webhook's event), so a cursor that fails the check, or was
handed to another licensee or for another dataset, was never handed out: a 400.
Positions are plain numbers underneath (optout.deletion.downstream numbers them),
but a client must only store them and send them back.
"""

import base64
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "optout.licensees.cursor"
MAC_BYTES = 16
# One message for every way a cursor can be wrong: it tells nothing of other licensees.
NOT_OURS = "This is not a cursor we handed out to this token for this dataset."


class CursorInvalid(Exception):
    """Malformed, forged, or handed out for another licensee or dataset."""


@dataclass(frozen=True)
class Position:
    licensee_id: int
    dataset_id: int
    seq: int


def _mac(payload: str, secret: str) -> bytes:
    return salted_hmac(SALT, payload, secret=secret, algorithm="sha256").digest()[:MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cursor_encode(*, licensee_id: int, dataset_id: int, seq: int) -> str:
    payload = f"{licensee_id}.{dataset_id}.{seq}"
    return f"{_b64(payload.encode())}.{_b64(_mac(payload, settings.SECRET_KEY))}"


def cursor_decode(cursor: str, *, licensee_id: int, dataset_id: int) -> int:
    """The position `cursor` names in this licensee's feed of this dataset; CursorInvalid
    for anything else. Cursors signed under a retired key (SECRET_KEY_FALLBACKS) still hold."""
    try:
        body, mac = cursor.split(".")
        payload = _unb64(body).decode("ascii")
        given = _unb64(mac)
        owner, dataset, seq = (int(part) for part in payload.split("."))
    except (ValueError, UnicodeError) as error:
        raise CursorInvalid(NOT_OURS) from error
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(given, _mac(payload, key)) for key in keys):
        raise CursorInvalid(NOT_OURS)
    if (owner, dataset) != (licensee_id, dataset_id) or seq < 0:
        raise CursorInvalid(NOT_OURS)
    return seq
