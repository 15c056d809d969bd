"""Links from outside (a dataset's manifest) that end up in an href or an img src.

Only http and https: a `javascript:` or `data:` link in a manifest would otherwise
run in a maintainer's browser from the admin's photo grid. The importers drop any
other link (`optout.importers.rows.web_link`), and Photo's link properties check
again, for rows imported before the rule.
"""

from typing import Final

WEB_SCHEMES: Final = ("http://", "https://")


def is_web_link(url: str) -> bool:
    """Whether `url` is an http(s) link (scheme in any case, nothing before it)."""
    return url[:8].lower().startswith(WEB_SCHEMES)
