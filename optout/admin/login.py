"""The maintainers' login, throttled: failures are counted per address and per
username, and past the limit the login refuses before it checks the password.

Each wrong password costs a PBKDF2 hash and is a guess at a maintainer's
account. The counts live in the cache (optout.infra.ratelimit strikes): failures
add up while each comes within ADMIN_LOGIN_LOCKOUT_SECONDS of the one before, and
at ADMIN_LOGIN_FAILURES_PER_USERNAME (from any address: a guessed account) or
ADMIN_LOGIN_FAILURES_PER_ADDRESS (any usernames: one client sweeping many) the
login waits until ADMIN_LOGIN_LOCKOUT_SECONDS after the last failure. A success
does not wipe earlier failures, so guesses cannot hide between a maintainer's
own logins.
"""

import hashlib
import math
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import ngettext

from optout.infra.ratelimit import address_id, strikes_add, strikes_wait

SCOPE = "admin-login"


def _subjects(request: HttpRequest, username: str) -> dict[str, int]:
    """Counter key part -> limit, for this address and this username."""
    # Hashed: what a visitor types into the username box never reaches a cache key as is.
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return {
        f"address:{address_id(request)}": settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS,
        f"username:{name}": settings.ADMIN_LOGIN_FAILURES_PER_USERNAME,
    }


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    again = datetime.fromtimestamp(time.time() + seconds, tz=UTC)
    return ngettext(
        "Too many failed logins. Try again in %(count)s minute (at %(time)s UTC). Forgot your "
        "password? Ask another maintainer to run `manage.py createmaintainer` with your email "
        "for a new set-password link.",
        "Too many failed logins. Try again in %(count)s minutes (at %(time)s UTC). Forgot your "
        "password? Ask another maintainer to run `manage.py createmaintainer` with your email "
        "for a new set-password link.",
        minutes,
    ) % {"count": minutes, "time": f"{again:%H:%M}"}


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin's login form; `locked_for` is set (seconds) when it refused to check."""

    locked_for = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not (self.request and username and password):
            return super().clean()
        subjects = _subjects(self.request, username)
        self.locked_for = strikes_wait(scope=SCOPE, limits=subjects)
        if self.locked_for:
            raise ValidationError(locked_message(self.locked_for), code="throttled")
        try:
            return super().clean()
        except ValidationError:
            seconds = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
            strikes_add(scope=SCOPE, subjects=subjects, seconds=seconds)
            raise
