"""The timeline's reasons and a rejection's reason, in the reader's language.

The reasons are stored as written, in English: the maintainers' record, the same
whoever reads it. The status page and the emails show them in their own language:
the fixed sentences by their text, the few that carry a value by their pattern, a
rejection's standard sentence before the maintainer's own words (which stay as the
maintainer wrote them). Anything else is shown as stored.
"""

import re
from collections.abc import Callable

from django.utils.translation import gettext, gettext_noop, ngettext

# Each is written by the code named beside it; the English must stay the same there.
FIXED = frozenset(
    {
        gettext_noop("Email address confirmed."),  # requests/confirmation.py
        gettext_noop("Email address confirmed; waiting for a maintainer's review."),
        gettext_noop("Retried by a maintainer."),  # requests/review.py
        gettext_noop("Approved by a maintainer."),
        gettext_noop("Approved automatically: the owner proved the photos are theirs."),
        gettext_noop("Waiting for a maintainer: automatic approval is off."),  # filing.py
        gettext_noop("Cancelled by the requester."),
        gettext_noop("Filed by a person shown in the photos; waiting for email confirmation."),
        gettext_noop("Deletion started."),  # deletion/runner.py
        gettext_noop(  # deletion/jobs.py FAILED_WHY
            "The removal hit a problem on our side. The maintainers have been told and "
            "will retry it."
        ),
        # RejectReason's standard sentences (models/requests.py).
        gettext_noop("The photos are not in any dataset we maintain."),
        gettext_noop("We could not see you in the photos you named."),
        gettext_noop("We could not verify the request from what you told us."),
        gettext_noop("These photos are already in another request."),
        # The owners' own signals on Flickr (recheck/signals.py), on the timeline and
        # in the flickr_signal email.
        gettext_noop("The Flickr account was deleted."),
    }
)


def _filed(match: re.Match[str]) -> str:
    return gettext("Filed after signing in with Flickr as %(name)s.") % match.groupdict()


def _removed(match: re.Match[str]) -> str:
    n = int(match["n"])
    return ngettext(
        "%(count)s photo removed and checked gone.",
        "%(count)s photos removed and checked gone.",
        n,
    ) % {"count": n}


def _joined(match: re.Match[str]) -> str:
    n = int(match["n"])
    return ngettext(
        "%(count)s more photo added to this request.",
        "%(count)s more photos added to this request.",
        n,
    ) % {"count": n}


def _by_picture(match: re.Match[str]) -> str:
    n = int(match["n"])
    found = ngettext(
        "%(count)s of the photos was found by the picture they uploaded.",
        "%(count)s of the photos were found by the picture they uploaded.",
        n,
    ) % {"count": n}
    return f"{why_in_language(match['first'])} {found}"


def _signal(message: str) -> Callable[[re.Match[str]], str]:
    """A signal's sentence (recheck/signals.py) with the photo id and licence names as
    found (a licence's name is Flickr's own, in English)."""

    def render(match: re.Match[str]) -> str:
        return gettext(message) % match.groupdict()

    return render


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"Photo (?P<id>\d+) tagged no_cv on Flickr\."),
        _signal(gettext_noop("Photo %(id)s tagged no_cv on Flickr.")),
    ),
    (
        re.compile(
            r"Photo (?P<id>\d+): licence changed from (?P<before>.+) to (?P<to>.+) on Flickr\."
        ),
        _signal(gettext_noop("Photo %(id)s: licence changed from %(before)s to %(to)s on Flickr.")),
    ),
    (
        re.compile(r"Photo (?P<id>\d+): its licence on Flickr is (?P<to>.+)\."),
        _signal(gettext_noop("Photo %(id)s: its licence on Flickr is %(to)s.")),
    ),
    (
        re.compile(r"Photo (?P<id>\d+) made private on Flickr\."),
        _signal(gettext_noop("Photo %(id)s made private on Flickr.")),
    ),
    (
        re.compile(r"Photo (?P<id>\d+) made private or deleted on Flickr\."),
        _signal(gettext_noop("Photo %(id)s made private or deleted on Flickr.")),
    ),
    (re.compile(r"Filed after signing in with Flickr as (?P<name>.+)\."), _filed),
    (re.compile(r"(?P<n>\d+) photos? removed and checked gone\."), _removed),
    (re.compile(r"(?P<n>\d+) more photos? added to this request\."), _joined),
    (
        re.compile(
            r"(?P<first>.+\.) (?P<n>\d+) of the photos were found by the picture they uploaded\."
        ),
        _by_picture,
    ),
]


def why_in_language(text: str) -> str:
    """A stored reason in the current language, as well as we know it."""
    if text in FIXED:
        return gettext(text)
    for pattern, render in PATTERNS:
        if match := pattern.fullmatch(text):
            return render(match)
    return reason_in_language(text)


def reason_in_language(text: str) -> str:
    """A rejection's reason: its standard sentence translated, the maintainer's words kept."""
    for sentence in FIXED:
        if text.startswith(sentence + " ") or text == sentence:
            return (gettext(sentence) + text[len(sentence) :]).strip()
    return text
