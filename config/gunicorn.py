"""gunicorn's settings for the web process: `gunicorn optout.wsgi -c config/gunicorn.py`
(Procfile, Procfile.dev). Everything else stays on the command line.

The access log would otherwise carry every status link's token, in the request
line and in the Referer: RedactingLogger logs them as /r/[redacted]/
(optout/infra/logredact.py says which paths carry secrets).
"""

import datetime
from typing import Any

from gunicorn.glogging import Logger

from optout.infra.logredact import RedactSecrets, redact


class RedactingLogger(Logger):
    """gunicorn's logger, with secret links redacted from every access-log atom
    (request line, path, query, Referer, headers) and from its error log."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        # "Error handling request /r/<token>/" and the like.
        self.error_log.addFilter(RedactSecrets())

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }


logger_class = RedactingLogger
