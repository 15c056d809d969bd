"""The keyed hash that stands in for an owner's NSID on the suppression list.

Who asked to be kept out of future releases, and whose photos were removed, is
itself personal data: a list of NSIDs in clear would say exactly who objected.
So `Suppression.owner_key` holds HMAC-SHA256(OWNER_KEY_SECRET, NSID) instead.
NSIDs are few enough to enumerate, so the secret, not the hash alone, is what
keeps the list unreadable; an import still matches an owner by hashing the
NSIDs it reads. Changing the secret would make every stored key unmatchable
(and nothing can recompute them), so it is set once per deployment.
"""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings


def owner_key(nsid: str, *, secret: str | None = None) -> str:
    """The 64-hex-digit key of an NSID exactly as Flickr writes it ("12345678@N01").

    `secret`: instead of settings.OWNER_KEY_SECRET, for a script with no Django
    settings (bench/lookup_bench.py fills a database the app then reads)."""
    key = settings.OWNER_KEY_SECRET if secret is None else secret
    return hmac.new(key.encode(), nsid.strip().encode(), hashlib.sha256).hexdigest()


def owner_keys(nsids: Iterable[str]) -> dict[str, str]:
    """key -> NSID for each non-empty NSID."""
    return {owner_key(nsid): nsid for nsid in nsids if nsid}
