"""Our own pages must not become training data, and browsers get a tight set of headers.

- Every response says "no AI training" in the three ways crawlers read it: the
  X-Robots-Tag values some of them honour, TDMRep's `tdm-reservation` header,
  which is the machine-readable reservation of EU DSM Article 4, and the IETF
  AI Preferences `Content-Usage` header (draft-ietf-aipref-attach-05 with the
  `train-ai` label of draft-ietf-aipref-vocab; docs/security.md).
- /.well-known/tdmrep.json reserves text-and-data mining for the whole site.
- /robots.txt turns the AI crawlers away from everything, states the same
  `Content-Usage` preference for everyone else, and keeps search engines off
  the private pages (status links, confirmation links, the
  signed-in pages, the admin, the API).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# The crawlers that gather training data, by the user-agent token each one
# documents for robots.txt. Search engines' ordinary crawlers are not here:
# being found is how a person learns this service exists.
AI_CRAWLERS = (
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "CCBot",
    "Google-Extended",
    "GoogleOther",
    "ClaudeBot",
    "Claude-Web",
    "anthropic-ai",
    "PerplexityBot",
    "Perplexity-User",
    "Bytespider",
    "Applebot-Extended",
    "meta-externalagent",
    "meta-externalfetcher",
    "FacebookBot",
    "Amazonbot",
    "cohere-ai",
    "cohere-training-data-crawler",
    "Diffbot",
    "ImagesiftBot",
    "omgili",
    "Timpibot",
    "YouBot",
    "AI2Bot",
    "Ai2Bot-Dolma",
    "DuckAssistBot",
)
# Private by construction (secret links, sessions) or of no use in a search index.
PRIVATE_PATHS = ("/r/", "/confirm/", "/me/", "/admin/", "/api/", "/signin/", "/anymail/")

NO_AI_ROBOTS_TAG = "noai, noimageai"
# A Structured Fields dictionary (RFC 9651): the aipref vocabulary's category
# label, `n` to disallow. Search is left unstated: being found is the point.
CONTENT_USAGE = "train-ai=n"
# One policy for the whole site; browsers ignore what they do not know.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


class NoTrainingMiddleware:
    """Adds the no-training and permissions headers to every response, errors included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("X-Robots-Tag", NO_AI_ROBOTS_TAG)
        response.headers.setdefault("tdm-reservation", "1")
        response.headers.setdefault("tdm-policy", tdm_policy_url())
        response.headers.setdefault("Content-Usage", CONTENT_USAGE)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def tdm_policy_url() -> str:
    # TDMRep wants an absolute URL for the policy.
    return f"{settings.SITE_URL.rstrip('/')}/.well-known/tdm-policy.json"


def robots_lines() -> list[str]:
    lines = [f"User-agent: {bot}" for bot in AI_CRAWLERS]
    lines += ["Disallow: /", ""]
    lines += ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in PRIVATE_PATHS]
    lines += ["Allow: /", f"Content-Usage: {CONTENT_USAGE}", ""]
    return lines


@require_safe
@cache_control(public=True, max_age=86400)
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("\n".join(robots_lines()), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=86400)
def tdmrep_json(request: HttpRequest) -> JsonResponse:
    """The TDMRep rule file (W3C TDMRep, "TDM File on the Origin Server")."""
    rules = [{"location": "/", "tdm-reservation": 1, "tdm-policy": tdm_policy_url()}]
    return JsonResponse(rules, safe=False)


@require_safe
@cache_control(public=True, max_age=86400)
def tdm_policy(request: HttpRequest) -> JsonResponse:
    """The TDM policy the reservation points to: an ODRL offer with nothing offered.

    Nobody may mine this site; the people whose photos it lists came here to
    get out of training sets, so there is no licence to ask for either.
    """
    site = settings.SITE_URL.rstrip("/")
    policy = {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"tdm": "http://www.w3.org/ns/tdmrep#"}],
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": tdm_policy_url(),
        "assigner": {"uid": site, "vcard:fn": "optout"},
        "prohibition": [{"target": f"{site}/", "action": "tdm:mine"}],
    }
    return JsonResponse(policy, content_type="application/ld+json")


# A minus sign on our blue: "take out". SVG, which browsers decode whatever the name.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0b5cad"/>'
    '<path d="M4 8h8" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/></svg>'
)


@require_safe
@cache_control(public=True, max_age=604800)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site, the admin included, for /favicon.ico: an icon
    rather than a 404 in every page's console and every access log."""
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")
