"""The public look-up: what a person types (parse), turned into an answer (answer)."""

from optout.lookup.answer import (
    DatasetCount,
    DatasetPhotoState,
    OwnerAnswer,
    PhotoAnswer,
    lookup_answer,
)
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
    "PhotoQuery",
    "QueryInvalid",
    "ResolverUnavailable",
    "base58_decode",
    "base58_encode",
    "lookup_answer",
    "query_parse",
]
