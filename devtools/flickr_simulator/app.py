"""A Flickr stand-in as a plain WSGI app: OAuth 1.0a endpoints and the REST methods we call.

Shaped like www.flickr.com/services/oauth/* and api.flickr.com/services/rest,
with the answers (and the failures) Flickr gives, so our client is tested
against the far side rather than against mocks of itself. No Django here: it
runs in a thread inside tests and as its own process (manage.py flickr_simulator).
"""

import html
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from wsgiref.util import request_uri

from oauthlib.common import add_params_to_uri
from oauthlib.oauth1 import AccessTokenEndpoint, AuthorizationEndpoint, RequestTokenEndpoint
from oauthlib.oauth1.rfc5849 import errors

from devtools.flickr_simulator.directory import (
    NSID_RE,
    Account,
    Directory,
    MemoryDirectory,
    SimPhoto,
    minted_nsid,
)
from devtools.flickr_simulator.switches import Switches
from devtools.flickr_simulator.validator import SimulatorValidator

log = logging.getLogger("devtools.flickr_simulator")

StartResponse = Callable[..., Any]
FAULTS = ("timeout", "500", "unavailable", "ratelimit", "malformed")
# Faults that can stay on (`fault_mode`) until switched off: every REST call fails
# that way. "down" closes the connection unanswered (served by RunningSimulator or
# serve_forever); "slow" answers after `slow_seconds`.
FAULT_MODES = ("", "down", "slow", *FAULTS)
MAX_PER_PAGE = 500
PHOTO_ID_RE = re.compile(r"^[0-9]{1,19}$")
PROFILE_URL_RE = re.compile(
    r"^https?://(?:www\.)?flickr\.com/(?:photos|people)/(?P<alias>[^/?#]+)/?", re.IGNORECASE
)


@dataclass
class Fault:
    kind: str
    path: str


class FlickrSimulator:
    """The WSGI app. Construct with accounts (and photos) or with any Directory.

    `fail_next(kind)` makes the next matching request fail the way Flickr can:
    "timeout" (no answer until the client gives up), "500", "unavailable"
    (code 105 on REST, HTTP 503 on OAuth), "ratelimit" (HTTP 429) or "malformed"
    (a 200 whose body is not JSON). `slow_seconds` delays every answer;
    `fault_mode` makes every REST call fail one way until it is set back to "".
    `switches` are what owners did on Flickr (tags, licences, private, deleted).
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        accounts: Iterable[Account] = (),
        photos: Iterable[tuple[int, str, str]] = (),
        directory: Directory | None = None,
        switches: Switches | None = None,
    ) -> None:
        self.directory: Directory = directory or MemoryDirectory(tuple(accounts), tuple(photos))
        self.switches = switches or Switches()
        self.fault_mode = ""
        self.validator = SimulatorValidator(api_key=api_key, api_secret=api_secret)
        self._request_token_endpoint = RequestTokenEndpoint(self.validator)
        self._authorization_endpoint = AuthorizationEndpoint(self.validator)
        self._access_token_endpoint = AccessTokenEndpoint(self.validator)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._minted: dict[str, Account] = {}
        # Set on reset/stop so a request parked by a "timeout" fault ends at once.
        self._wake = threading.Event()
        self.slow_seconds = 0.0
        self.timeout_seconds = 30.0
        # (path, REST method or "") of every request, for tests that count calls.
        self.calls: list[tuple[str, str]] = []

    # -- test controls ---------------------------------------------------------
    @property
    def api_key(self) -> str:
        return self.validator.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.validator.api_key = value

    @property
    def api_secret(self) -> str:
        return self.validator.api_secret

    @api_secret.setter
    def api_secret(self, value: str) -> None:
        self.validator.api_secret = value

    def fail_next(self, kind: str, *, path: str = "/services/", times: int = 1) -> None:
        if kind not in FAULTS:
            raise ValueError(f"Unknown fault {kind!r}; choose one of {', '.join(FAULTS)}.")
        with self._lock:
            self._faults.extend(Fault(kind, path) for _ in range(times))

    def set_fault_mode(self, mode: str) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(
                f"Unknown fault mode {mode!r}; choose one of {', '.join(FAULT_MODES)}."
            )
        self.fault_mode = mode
        if mode == "slow" and not self.slow_seconds:
            self.slow_seconds = 3.0
        if mode != "timeout":
            self.release()

    @property
    def down(self) -> bool:
        return self.fault_mode == "down"

    def reset(self) -> None:
        """Forget faults, delays, call log, tokens and switches; release parked requests."""
        self._wake.set()
        with self._lock:
            self._faults.clear()
            self.calls.clear()
            self._minted.clear()
            self._wake = threading.Event()
        self.slow_seconds = 0.0
        self.fault_mode = ""
        self.switches = Switches()
        with self.validator.lock:
            self.validator.request_tokens.clear()
            self.validator.access_tokens.clear()
            self.validator.nonces.clear()

    def release(self) -> None:
        self._wake.set()

    def rest_calls(self) -> list[str]:
        with self._lock:
            return [method for path, method in self.calls if path == "/services/rest"]

    # -- WSGI ---------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        body = _read_body(environ)
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body, keep_blank_values=True))
        if path.startswith("/simulator"):
            return self._control(method, params, start_response)
        with self._lock:
            self.calls.append((path, params.get("method", "")))
            fault = next((f for f in self._faults if path.startswith(f.path)), None)
            if fault:
                self._faults.remove(fault)
            wake = self._wake
        mode = self.fault_mode if path.startswith("/services/rest") else ""
        if self.slow_seconds:
            wake.wait(self.slow_seconds)
        if fault:
            return self._fault(fault.kind, path, wake, start_response)
        if mode and mode not in ("slow", "down"):
            return self._fault(mode, path, wake, start_response)

        routes = {
            "/services/oauth/request_token": self._request_token,
            "/services/oauth/authorize": self._authorize,
            "/services/oauth/access_token": self._access_token,
            "/services/rest": self._rest,
            "/services/rest/": self._rest,
        }
        handler = routes.get(path)
        if handler is None and path.startswith("/static/"):
            return _thumbnail(start_response, path)
        if handler is None:
            return _respond(start_response, 404, "text/plain", "Not found")
        return handler(environ, method, body, params, start_response)

    def _fault(
        self, kind: str, path: str, wake: threading.Event, start_response: StartResponse
    ) -> list[bytes]:
        if kind == "timeout":
            # Hold the request until the client has given up (or the test resets).
            wake.wait(self.timeout_seconds)
            return _respond(start_response, 504, "text/plain", "Gateway Timeout")
        if kind == "500":
            return _respond(start_response, 500, "text/html", "<h1>500 Internal Server Error</h1>")
        if kind == "malformed":
            return _respond(start_response, 200, "application/json", '{"stat": "ok", "photo')
        if kind == "ratelimit":
            return _respond(
                start_response,
                429,
                "text/plain",
                "Too Many Requests",
                extra_headers=[("Retry-After", "120")],
            )
        # "unavailable": Flickr's REST API says so in a 200 with code 105.
        if path.startswith("/services/rest"):
            return _json(start_response, _fail(105, "Service currently unavailable"))
        return _respond(start_response, 503, "text/plain", "oauth_problem=service_unavailable")

    # -- the switches page (make run) -------------------------------------------------
    def _control(
        self, method: str, params: dict[str, str], start_response: StartResponse
    ) -> list[bytes]:
        """/simulator/: what owners did on Flickr, and Flickr's fault modes, by hand."""
        message = ""
        if method == "POST":
            try:
                message = self._switch(params)
            except ValueError as problem:
                message = str(problem)
        on = self.switches.describe()
        modes = "".join(
            f'<option value="{m}"{" selected" if m == self.fault_mode else ""}>'
            f"{m or 'none: answer normally'}</option>"
            for m in FAULT_MODES
        )
        body = f"""
<p class="note">What owners did on Flickr since the datasets were made. The site's
background re-check (and <code>manage.py recheck_flickr</code>) finds these.</p>
{f'<p class="error" role="status">{html.escape(message)}</p>' if message else ""}
<h2>Switches on</h2>
<ul>{"".join(f"<li>{html.escape(line)}</li>" for line in on) or "<li>None.</li>"}</ul>
<form method="post" action="/simulator/">
  <fieldset><legend>A photo</legend>
  <label for="photo_id">Photo id</label> <input id="photo_id" name="photo_id" type="text">
  <label for="value">Tag or licence id</label>
  <input id="value" name="value" type="text" value="no_cv">
  <p><button name="action" value="tag">Add the tag</button>
  <button name="action" value="relicense">Change the licence</button>
  <button name="action" value="private">Make it private</button>
  <button name="action" value="delete">Delete it</button></p></fieldset>
</form>
<form method="post" action="/simulator/">
  <fieldset><legend>An account</legend>
  <label for="nsid">NSID</label> <input id="nsid" name="nsid" type="text">
  <button name="action" value="delete_account">Delete the account</button></fieldset>
</form>
<form method="post" action="/simulator/">
  <fieldset><legend>Flickr's health</legend>
  <label for="mode">Every REST call</label> <select id="mode" name="mode">{modes}</select>
  <button name="action" value="fault">Set</button></fieldset>
</form>
<form method="post" action="/simulator/">
  <button name="action" value="clear">Switch everything off</button>
</form>"""
        return _page(start_response, 200, "Flickr simulator: switches", body)

    def _switch(self, params: dict[str, str]) -> str:
        action = params.get("action", "")
        value = params.get("value", "").strip()
        if action == "clear":
            self.switches.clear()
            self.set_fault_mode("")
            return "Every switch is off."
        if action == "fault":
            if params.get("mode", "") != "slow":
                self.slow_seconds = 0.0
            self.set_fault_mode(params.get("mode", ""))
            return f"Fault mode: {self.fault_mode or 'none'}."
        if action == "delete_account":
            nsid = params.get("nsid", "").strip()
            if not NSID_RE.match(nsid):
                raise ValueError(f"{nsid!r} is not an NSID (like 12345678@N01).")
            self.switches.delete_account(nsid)
            return f"Account {nsid} deleted."
        photo_id = params.get("photo_id", "").strip()
        if not PHOTO_ID_RE.match(photo_id):
            raise ValueError(f"{photo_id!r} is not a photo id (all digits).")
        number = int(photo_id)
        if action == "tag":
            self.switches.tag(number, value or "no_cv")
        elif action == "relicense":
            if not value.isdigit():
                raise ValueError("A licence is Flickr's number for it (0: All Rights Reserved).")
            self.switches.relicense(number, int(value))
        elif action == "private":
            self.switches.make_private(number)
        elif action == "delete":
            self.switches.delete_photo(number)
        else:
            raise ValueError(f"Unknown action {action!r}.")
        return f"Photo {number}: {action} done."

    # -- OAuth ----------------------------------------------------------------------
    def _request_token(
        self,
        environ: dict[str, Any],
        method: str,
        body: str,
        params: dict[str, str],
        start_response: StartResponse,
    ) -> list[bytes]:
        _headers, answer, status = self._request_token_endpoint.create_request_token_response(
            request_uri(environ), method, body, _oauth_headers(environ)
        )
        return _oauth_answer(start_response, status, answer)

    def _access_token(
        self,
        environ: dict[str, Any],
        method: str,
        body: str,
        params: dict[str, str],
        start_response: StartResponse,
    ) -> list[bytes]:
        _headers, answer, status = self._access_token_endpoint.create_access_token_response(
            request_uri(environ), method, body, _oauth_headers(environ)
        )
        if status == 200 and answer:
            # Flickr's order and escaping: sorted keys, user_nsid as 12345678%40N01.
            answer = urlencode(sorted(parse_qsl(answer, keep_blank_values=True)))
        return _oauth_answer(start_response, status, answer)

    def _authorize(
        self,
        environ: dict[str, Any],
        method: str,
        body: str,
        params: dict[str, str],
        start_response: StartResponse,
    ) -> list[bytes]:
        token = params.get("oauth_token", "")
        with self.validator.lock:
            pending = self.validator.request_tokens.get(token)
            usable = pending is not None and self.validator.verify_request_token(token, None)
        if not usable or pending is None:
            return _page(
                start_response,
                400,
                "Oops! Flickr can't find a valid callback URL.",
                "<p>This sign-in link is not valid or has expired. Go back to the site "
                "that sent you here and start again.</p>",
            )
        perms = params.get("perms", "")
        if perms not in ("read", "write", "delete"):
            return _page(
                start_response,
                400,
                "Missing permissions",
                "<p>The application did not say which permission (perms) it asks for.</p>",
            )

        if params.get("action") == "cancel" or "cancel" in params:
            with self.validator.lock:
                pending.denied = True
            # Back to the application, with no verifier: the sign-in did not happen.
            location = add_params_to_uri(pending.callback, [("oauth_token", token)])
            return _redirect(start_response, location)

        # A typed name wins over the list: it is the more deliberate choice.
        wanted = (
            params.get("approve_as") or params.get("username", "").strip() or params.get("account")
        )
        if not wanted:
            return self._authorize_form(start_response, token, perms, "")
        account = self._account_for(wanted.strip())
        if account is None:
            return self._authorize_form(
                start_response, token, perms, f"There is no Flickr account {wanted!r} here."
            )
        with self.validator.lock:
            pending.account = account
            pending.perms = perms
        try:
            headers, _, _status = self._authorization_endpoint.create_authorization_response(
                request_uri(environ), method, body, _oauth_headers(environ)
            )
        except errors.OAuth1Error as exc:
            with self.validator.lock:
                pending.account = None
            description = f"<p>{html.escape(exc.description or exc.error)}</p>"
            return _page(start_response, exc.status_code, "Authorization failed", description)
        log.info("Simulated Flickr: %s authorized as %s", token[:6], account.nsid)
        return _redirect(start_response, headers["Location"])

    def _account_for(self, wanted: str) -> Account | None:
        if NSID_RE.match(wanted):
            return self.directory.account_by_nsid(wanted)
        found = self.directory.account_by_username(wanted) or self._minted_account(username=wanted)
        if found is None and wanted:
            # Anyone may "sign in" under a new username, e.g. to see a look-up
            # for an owner who has no photos in any dataset.
            found = Account(nsid=minted_nsid(wanted), username=wanted)
            with self._lock:
                self._minted[wanted.casefold()] = found
        return found

    def _minted_account(self, *, nsid: str = "", username: str = "") -> Account | None:
        with self._lock:
            for account in self._minted.values():
                if account.nsid == nsid or account.username.casefold() == username.casefold():
                    return account
        return None

    def _authorize_form(
        self, start_response: StartResponse, token: str, perms: str, error: str
    ) -> list[bytes]:
        accounts = self.directory.accounts(limit=50)
        choices = "".join(
            f'<li><label><input type="radio" name="account" value="{html.escape(a.nsid)}"'
            f"> {html.escape(a.username)}"
            f"{' (' + html.escape(a.fullname) + ')' if a.fullname else ''}"
            f" <small>{html.escape(a.nsid)}</small></label></li>"
            for a in accounts
        )
        body = f"""
<p>The application <strong>optout</strong> asks for <strong>{html.escape(perms)}</strong>
access to your Flickr account.</p>
<p class="note">This is a local Flickr simulator: no real Flickr account is involved.</p>
{f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""}
<form method="post" action="/services/oauth/authorize">
  <input type="hidden" name="oauth_token" value="{html.escape(token)}">
  <input type="hidden" name="perms" value="{html.escape(perms)}">
  <fieldset><legend>Sign in as</legend>
  <label for="username">Type a Flickr username or NSID</label>
  <input id="username" name="username" type="text" autocomplete="off">
  <p>or pick one of the demo accounts:</p>
  <ul>{choices or "<li>No accounts yet.</li>"}</ul></fieldset>
  <button type="submit" name="action" value="authorize">OK, I'll authorize it</button>
  <button type="submit" name="action" value="cancel">Cancel</button>
</form>"""
        return _page(start_response, 200, "Flickr: authorize optout", body)

    # -- REST ---------------------------------------------------------------------
    def _rest(
        self,
        environ: dict[str, Any],
        method: str,
        body: str,
        params: dict[str, str],
        start_response: StartResponse,
    ) -> list[bytes]:
        answer = self._rest_answer(params)
        if params.get("format") != "json":
            answer = _fail(111, f'Format "{params.get("format", "rest")}" not supported here')
        if params.get("nojsoncallback") == "1":
            return _json(start_response, answer)
        text = f"jsonFlickrApi({json.dumps(answer)})"
        return _respond(start_response, 200, "text/javascript", text)

    def _rest_answer(self, params: dict[str, str]) -> dict[str, Any]:
        api_key = params.get("api_key", "")
        if not api_key:
            return _fail(100, "Invalid API Key (Key has invalid format)")
        if api_key != self.validator.api_key:
            return _fail(100, "Invalid API Key (Key not found)")
        name = params.get("method", "")
        if name == "flickr.urls.lookupUser":
            return self._lookup_user(params.get("url", ""))
        if name == "flickr.people.findByUsername":
            return self._find_by_username(params.get("username", ""))
        if name == "flickr.photos.getInfo":
            return self._get_info(params.get("photo_id", ""))
        if name == "flickr.people.getInfo":
            return self._people_info(params.get("user_id", ""))
        if name == "flickr.people.getPublicPhotos":
            return self._public_photos(params)
        return _fail(112, f'Method "{name}" not found')

    def _account_alive(self, nsid: str) -> Account | None:
        if not NSID_RE.match(nsid) or self.switches.account_gone(nsid):
            return None
        found = self.directory.account_by_nsid(nsid) or self._minted_account(nsid=nsid)
        if found is None and self.directory.photos_of(nsid):
            found = Account(nsid=nsid, username="")
        return found

    def _people_info(self, nsid: str) -> dict[str, Any]:
        account = self._account_alive(nsid.strip())
        if account is None:
            return _fail(1, "User not found")
        count = sum(1 for p in self._photos_now(account.nsid) if p.public)
        return {
            "person": {
                "id": account.nsid,
                "nsid": account.nsid,
                "ispro": 0,
                "path_alias": account.path_alias or None,
                "username": {"_content": account.username},
                "realname": {"_content": account.fullname},
                "photos": {"count": {"_content": count}},
            },
            "stat": "ok",
        }

    def _photos_now(self, nsid: str) -> list[SimPhoto]:
        now = (self.switches.apply(p) for p in self.directory.photos_of(nsid))
        return [p for p in now if p is not None]

    def _public_photos(self, params: dict[str, str]) -> dict[str, Any]:
        nsid = params.get("user_id", "").strip()
        account = self._account_alive(nsid)
        if account is None:
            return _fail(1, "User not found")
        try:
            per_page = min(max(int(params.get("per_page") or 100), 1), MAX_PER_PAGE)
            page = max(int(params.get("page") or 1), 1)
        except ValueError:
            return _fail(3, "Invalid page or per_page")
        extras = {e.strip() for e in params.get("extras", "").split(",") if e.strip()}
        public = [p for p in self._photos_now(nsid) if p.public]
        pages = (len(public) + per_page - 1) // per_page
        chosen = public[(page - 1) * per_page : page * per_page]
        photos = []
        for photo in chosen:
            item: dict[str, Any] = {
                "id": str(photo.id),
                "owner": nsid,
                "secret": photo.secret,
                "server": photo.server,
                "farm": 66,
                "title": photo.title,
                "ispublic": 1,
                "isfriend": 0,
                "isfamily": 0,
            }
            if "license" in extras:
                item["license"] = str(photo.license)
            if "tags" in extras:
                # Listings give tags in Flickr's clean form only.
                item["tags"] = " ".join(clean_tag(t) for t in photo.tags)
            photos.append(item)
        return {
            "photos": {
                "page": page,
                "pages": pages,
                "perpage": per_page,
                "total": len(public),
                "photo": photos,
            },
            "stat": "ok",
        }

    def _lookup_user(self, url: str) -> dict[str, Any]:
        match = PROFILE_URL_RE.match(url.strip())
        if not match:
            return _fail(1, "User not found")
        alias = match.group("alias")
        account = (
            self.directory.account_by_nsid(alias)
            if NSID_RE.match(alias)
            else self.directory.account_by_path_alias(alias)
        ) or (self._minted_account(nsid=alias) if NSID_RE.match(alias) else None)
        if account is None:
            return _fail(1, "User not found")
        return {
            "user": {"id": account.nsid, "username": {"_content": account.username}},
            "stat": "ok",
        }

    def _find_by_username(self, username: str) -> dict[str, Any]:
        username = username.strip()
        account = self.directory.account_by_username(username) if username else None
        account = account or (self._minted_account(username=username) if username else None)
        if account is None:
            return _fail(1, "User not found")
        return {
            "user": {
                "id": account.nsid,
                "nsid": account.nsid,
                "username": {"_content": account.username},
            },
            "stat": "ok",
        }

    def _get_info(self, photo_id: str) -> dict[str, Any]:
        photo = self.directory.photo(int(photo_id)) if PHOTO_ID_RE.match(photo_id) else None
        photo = self.switches.apply(photo)
        # With a key only, Flickr says the same of a private photo as of a deleted one.
        if photo is None or not photo.public:
            return _fail(1, f'Photo "{photo_id}" not found (invalid ID)')
        owner_path = photo.owner_path_alias or photo.owner_nsid
        tags = [
            {
                "id": f"{photo.owner_nsid}-{photo.id}-{n}",
                "author": photo.owner_nsid,
                "authorname": photo.owner_username,
                "raw": raw,
                "_content": clean_tag(raw),
                "machine_tag": 0,
            }
            for n, raw in enumerate(photo.tags)
        ]
        return {
            "photo": {
                "id": str(photo.id),
                "secret": photo.secret,
                "server": photo.server,
                "farm": 66,
                "license": str(photo.license),
                "media": "photo",
                "owner": {
                    "nsid": photo.owner_nsid,
                    "username": photo.owner_username,
                    "realname": photo.owner_fullname,
                    "location": "",
                    "path_alias": photo.owner_path_alias or None,
                },
                "title": {"_content": photo.title},
                "description": {"_content": ""},
                "visibility": {"ispublic": 1, "isfriend": 0, "isfamily": 0},
                "tags": {"tag": tags},
                "urls": {
                    "url": [
                        {
                            "type": "photopage",
                            "_content": f"https://www.flickr.com/photos/{owner_path}/{photo.id}/",
                        }
                    ]
                },
            },
            "stat": "ok",
        }


# -- helpers -----------------------------------------------------------------------
def clean_tag(raw: str) -> str:
    """A tag as Flickr lists it: lower case, without spaces or punctuation."""
    return "".join(char for char in raw.lower() if char.isalnum())


def _read_body(environ: dict[str, Any]) -> str:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return ""
    return environ["wsgi.input"].read(min(length, 1_000_000)).decode("utf-8", "replace")


def _oauth_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers


def _fail(code: int, message: str) -> dict[str, Any]:
    return {"stat": "fail", "code": code, "message": message}


def _respond(
    start_response: StartResponse,
    status: int,
    content_type: str,
    text: str,
    extra_headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = text.encode("utf-8")
    reasons = {
        200: "OK",
        302: "Found",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    headers = [
        ("Content-Type", f"{content_type}; charset=utf-8"),
        ("Content-Length", str(len(data))),
        *(extra_headers or []),
    ]
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [data]


def _json(start_response: StartResponse, answer: dict[str, Any]) -> list[bytes]:
    return _respond(start_response, 200, "application/json", json.dumps(answer))


def _oauth_answer(start_response: StartResponse, status: int, answer: str | None) -> list[bytes]:
    if status == 401 and not answer:
        # oauthlib does not say which check failed (client, token, verifier,
        # signature, nonce), so neither do we.
        answer = "oauth_problem=request_rejected"
    return _respond(start_response, status, "text/plain", answer or "")


def _redirect(start_response: StartResponse, location: str) -> list[bytes]:
    if urlsplit(location).scheme not in ("http", "https"):
        return _page(
            start_response, 400, "Bad callback", "<p>The callback URL is not a web URL.</p>"
        )
    return _respond(start_response, 302, "text/plain", "", extra_headers=[("Location", location)])


def _page(start_response: StartResponse, status: int, title: str, body: str) -> list[bytes]:
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.5; color: #1b1f23; }}
ul {{ list-style: none; padding: 0; }} li {{ margin: .25rem 0; }}
fieldset {{ border: 1px solid #d0d7de; margin: 1rem 0; }}
input[type=text] {{ font-size: 1rem; padding: .4rem; width: 100%; max-width: 20rem; }}
button {{ font-size: 1rem; padding: .5rem 1rem; margin: .25rem .5rem .25rem 0; }}
small, .note {{ color: #4a525a; }} .error {{ color: #a3161a; font-weight: 600; }}
:focus-visible {{ outline: 3px solid #f0a400; outline-offset: 2px; }}
</style></head>
<body><h1>{html.escape(title)}</h1>{body}</body></html>"""
    return _respond(start_response, status, "text/html", text)


def _thumbnail(start_response: StartResponse, path: str) -> list[bytes]:
    """A stand-in for live.staticflickr.com: a tinted square per photo, labelled with its id."""
    name = path.rsplit("/", 1)[-1]
    photo_id = name.split("_", 1)[0]
    hue = sum(map(ord, photo_id)) * 37 % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150" viewBox="0 0 150 150">'
        f'<rect width="150" height="150" fill="hsl({hue},45%,78%)"/>'
        f'<circle cx="75" cy="62" r="28" fill="hsl({hue},35%,55%)"/>'
        f'<rect x="35" y="98" width="80" height="40" rx="20" fill="hsl({hue},35%,55%)"/>'
        '<text x="75" y="144" font-size="11" text-anchor="middle" fill="#222">'
        f"{html.escape(photo_id)}</text>"
        "</svg>"
    )
    return _respond(start_response, 200, "image/svg+xml", svg)
