"""Secret links out of the logs: status and confirmation tokens, and the set-password link.

A status link (/r/<token>/) is the requester's only key to their request, and a
confirmation link proves their email address: anyone who reads the logs must
not be able to use them. Django logs the path of every 4xx/5xx ("Not Found:
/r/<token>/"), and gunicorn's access log the request line and the Referer
(which, same-origin, is the page's full URL). `redact` replaces the secret
segments; `RedactSecrets` applies it to log records (config/settings/base.py
LOGGING), and config/gunicorn.py to gunicorn's access and error logs.

The paths (config/urls.py): /r/<token>/… (status, cancel, receipt),
/confirm/<token>/, and /admin/set-password/<uidb64>/<token>/ (createmaintainer's
link; everything after /set-password/ goes). tests/infra/test_logredact.py walks
the URLconf for any other path with a secret parameter.
"""

import logging
import re

REDACTED = "[redacted]"
_SECRET_SEGMENT = re.compile(r"(/(?:r|confirm)/)[^/\s?#\"']+|(/set-password/)[^\s?#\"']+")
# Cheap checks first: nearly every line has none of these, and is returned as is.
_MARKERS = ("/r/", "/confirm/", "/set-password/")


def _replace(match: re.Match[str]) -> str:
    return (match[1] or match[2]) + REDACTED


def redact(text: str) -> str:
    """`text` with every secret link segment replaced by [redacted]."""
    if not any(marker in text for marker in _MARKERS):
        return text
    return _SECRET_SEGMENT.sub(_replace, text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message without its secret links; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, as it would anyway
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
