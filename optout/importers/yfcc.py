"""The YFCC100M metadata layout, for reading it and for writing demo and bench files."""

from typing import Any, Final
from urllib.parse import quote_plus

# Yahoo Webscope's 23 tab-separated columns. The 25-column files (the Multimedia
# Commons copy) add a line number in front and the photo hash after the photo id.
YFCC_23: Final = (
    "photo_id", "user_nsid", "user_nickname", "date_taken", "date_uploaded",
    "capture_device", "title", "description", "user_tags", "machine_tags",
    "longitude", "latitude", "accuracy", "page_url", "download_url",
    "license_name", "license_url", "server_id", "farm_id", "secret",
    "secret_original", "original_extension", "marker",
)  # fmt: skip
YFCC_25: Final = ("line_number", "photo_id", "photo_hash", *YFCC_23[1:])
# Columns YFCC URL-encodes (`+` for a space, %XX for the rest).
ENCODED: Final = frozenset(
    {"user_nickname", "date_taken", "capture_device", "title", "description", "user_tags"}
    | {"machine_tags", "license_name"}
)
# YFCC100M's names and URLs for the Creative Commons licenses its photos carry.
LICENSES: Final = (
    ("Attribution License", "http://creativecommons.org/licenses/by/2.0/"),
    ("Attribution-ShareAlike License", "http://creativecommons.org/licenses/by-sa/2.0/"),
    ("Attribution-NoDerivs License", "http://creativecommons.org/licenses/by-nd/2.0/"),
    ("Attribution-NonCommercial License", "http://creativecommons.org/licenses/by-nc/2.0/"),
    (
        "Attribution-NonCommercial-ShareAlike License",
        "http://creativecommons.org/licenses/by-nc-sa/2.0/",
    ),
    (
        "Attribution-NonCommercial-NoDerivs License",
        "http://creativecommons.org/licenses/by-nc-nd/2.0/",
    ),
)


def yfcc_line(values: dict[str, Any], columns: int = 25) -> str:
    """One metadata row (no newline); missing columns are left empty."""
    names = YFCC_25 if columns == 25 else YFCC_23
    return "\t".join(
        quote_plus(str(values.get(name, "")), safe=",:")
        if name in ENCODED
        else str(values.get(name, ""))
        for name in names
    )
