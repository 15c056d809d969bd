"""Secrets, hosts, HTTPS, security headers and the Content-Security-Policy."""

from urllib.parse import urlsplit

from django.utils.csp import CSP

from config.settings.base import DEBUG, env, required
from config.settings.flickr import FLICKR_OAUTH_URL, FLICKR_STATIC_URL

SECRET_KEY = required("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
# The HMAC key of suppressed owners' NSIDs (optout/infra/owner_keys.py). Separate from
# SECRET_KEY, which may be rotated: this one must never change, or imports stop
# recognising the owners who asked to be left out.
OWNER_KEY_SECRET = required("OWNER_KEY_SECRET", "insecure-local-owner-key-do-not-use-in-production")
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])


# Behind a TLS-terminating proxy in production.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer's health check speaks plain HTTP to the app.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# An expired form says so in the reader's language (Django's page is for developers).
CSRF_FAILURE_VIEW = "optout.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Status links are secrets: the Referer must never carry them to another site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# How many proxies of ours put their address in X-Forwarded-For (0: none, use
# the socket's address). Read by optout.infra.ratelimit.client_ip.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_config(*, static_url: str, oauth_url: str) -> dict[str, list[str]]:
    """The Content-Security-Policy: our own files, nonce'd inline blocks, Flickr's thumbnails.

    form-action names Flickr's sign-in host because browsers apply it to the
    redirect that follows our "Sign in with Flickr" form. Nothing inline runs or
    styles without the nonce: no `style` attributes either (the admin dashboard
    draws its bars as SVG, whose heights are plain attributes).
    """
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF, CSP.NONCE],
        "img-src": [CSP.SELF, "data:", origin(static_url)],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF, origin(oauth_url)],
    }


SECURE_CSP = csp_config(static_url=FLICKR_STATIC_URL, oauth_url=FLICKR_OAUTH_URL)
