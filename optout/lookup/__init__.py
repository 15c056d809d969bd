"""The public look-up: what a person types (parse), turned into an answer (answer).

`parse` and `links` need no database, and importing this package does not load `answer`
(and the models) until one of its names is asked for: the importers' reading process,
which has no apps registry, reads photo links with `photo_link_parse` (links).
"""

from typing import TYPE_CHECKING, Any

from optout.lookup.links import PhotoLink, photo_link_parse
from optout.lookup.parse import (
    BASE58_ALPHABET,
    MAX_NAME_LENGTH,
    MAX_PHOTO_ID,
    MAX_QUERY_LENGTH,
    NSID_RE,
    LookupProblem,
    OwnerAmbiguous,
    OwnerNotFound,
    OwnerQuery,
    PhotoQuery,
    QueryInvalid,
    ResolverUnavailable,
    base58_decode,
    base58_encode,
    query_parse,
)

if TYPE_CHECKING:
    from optout.lookup.answer import (
        DatasetCount,
        DatasetPhotoState,
        OwnerAnswer,
        PhotoAnswer,
        lookup_answer,
    )

_FROM_ANSWER = frozenset(
    {"DatasetCount", "DatasetPhotoState", "OwnerAnswer", "PhotoAnswer", "lookup_answer"}
)


def __getattr__(name: str) -> Any:
    if name in _FROM_ANSWER:
        from optout.lookup import answer  # noqa: PLC0415 (lazy on purpose: see above)

        return getattr(answer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BASE58_ALPHABET",
    "MAX_NAME_LENGTH",
    "MAX_PHOTO_ID",
    "MAX_QUERY_LENGTH",
    "NSID_RE",
    "DatasetCount",
    "DatasetPhotoState",
    "LookupProblem",
    "OwnerAmbiguous",
    "OwnerAnswer",
    "OwnerNotFound",
    "OwnerQuery",
    "PhotoAnswer",
    "PhotoLink",
    "PhotoQuery",
    "QueryInvalid",
    "ResolverUnavailable",
    "base58_decode",
    "base58_encode",
    "lookup_answer",
    "photo_link_parse",
    "query_parse",
]
