"""The simulator's OAuth 1.0a bookkeeping, checked by oauthlib's server side.

oauthlib does the protocol (signature base strings, HMAC-SHA1, timestamps,
mandatory parameters); this validator only answers its questions from an
in-memory store: which consumer, which tokens and secrets, which nonces were
already seen, which verifier belongs to which request token.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from oauthlib.common import Request, safe_string_equals
from oauthlib.oauth1 import RequestValidator
from oauthlib.oauth1.rfc5849 import errors

from devtools.flickr_simulator.directory import Account

# Flickr's request tokens live for a short while; an hour is generous.
REQUEST_TOKEN_LIFETIME = 3600


@dataclass
class PendingToken:
    secret: str
    client_key: str
    callback: str
    created: float = field(default_factory=time.time)
    verifier: str = ""
    account: Account | None = None
    perms: str = ""
    denied: bool = False


@dataclass
class IssuedToken:
    secret: str
    client_key: str
    account: Account


class SimulatorValidator(RequestValidator):
    def __init__(self, *, api_key: str, api_secret: str) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.api_key = api_key
        self.api_secret = api_secret
        self.request_tokens: dict[str, PendingToken] = {}
        self.access_tokens: dict[str, IssuedToken] = {}
        self.nonces: dict[tuple[str, str, str, str], float] = {}

    # -- formats -------------------------------------------------------------
    @property
    def enforce_ssl(self) -> bool:
        # The simulator speaks plain HTTP on 127.0.0.1.
        return False

    @property
    def client_key_length(self) -> tuple[int, int]:
        # Flickr's keys are 32 hex characters; leave room for test keys.
        return 16, 64

    @property
    def dummy_client(self) -> str:
        return "dummyclientkeynevervalid0000000"

    @property
    def dummy_request_token(self) -> str:
        return "dummyrequesttokennevervalid000"

    @property
    def dummy_access_token(self) -> str:
        return "dummyaccesstokennevervalid0000"

    # -- consumer --------------------------------------------------------------
    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return safe_string_equals(client_key, self.api_key)

    def get_client_secret(self, client_key: str, request: Request) -> str:
        # A dummy secret for unknown clients keeps the timing uniform, as oauthlib asks.
        if safe_string_equals(client_key, self.api_key):
            return self.api_secret
        return "dummy-secret-that-matches-nothing"

    def get_default_realms(self, client_key: str, request: Request) -> list[str]:
        return []

    def validate_requested_realms(
        self, client_key: str, realms: list[str], request: Request
    ) -> bool:
        return True

    def get_realms(self, token: str, request: Request) -> list[str]:
        return []

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Request) -> bool:
        # Like Flickr: any http(s) callback, or "oob".
        return redirect_uri == "oob" or redirect_uri.startswith(("http://", "https://"))

    # -- nonces ------------------------------------------------------------------
    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        key = (client_key, timestamp, nonce, request_token or access_token or "")
        now = time.time()
        with self.lock:
            # oauthlib already refuses timestamps older than timestamp_lifetime,
            # so older nonces can be forgotten.
            for seen, at in list(self.nonces.items()):
                if now - at > self.timestamp_lifetime * 2:
                    del self.nonces[seen]
            if key in self.nonces:
                return False
            self.nonces[key] = now
            return True

    # -- request tokens ------------------------------------------------------------
    def save_request_token(self, token: dict[str, Any], request: Request) -> None:
        with self.lock:
            self.request_tokens[token["oauth_token"]] = PendingToken(
                secret=token["oauth_token_secret"],
                client_key=request.client_key,
                callback=request.redirect_uri,
            )

    def _pending(self, token: str) -> PendingToken | None:
        with self.lock:
            pending = self.request_tokens.get(token)
            if pending and time.time() - pending.created > REQUEST_TOKEN_LIFETIME:
                del self.request_tokens[token]
                return None
            return pending

    def verify_request_token(self, token: str, request: Request) -> bool:
        pending = self._pending(token)
        return pending is not None and not pending.denied and not pending.verifier

    def validate_request_token(self, client_key: str, token: str, request: Request) -> bool:
        pending = self._pending(token)
        return pending is not None and safe_string_equals(pending.client_key, client_key)

    def get_request_token_secret(self, client_key: str, token: str, request: Request) -> str:
        pending = self._pending(token)
        return pending.secret if pending else "dummy-request-token-secret"

    def get_redirect_uri(self, token: str, request: Request) -> str:
        pending = self._pending(token)
        return pending.callback if pending else "oob"

    def save_verifier(self, token: str, verifier: dict[str, str], request: Request) -> None:
        with self.lock:
            self.request_tokens[token].verifier = verifier["oauth_verifier"]

    def validate_verifier(
        self, client_key: str, token: str, verifier: str, request: Request
    ) -> bool:
        pending = self._pending(token)
        return (
            pending is not None
            and bool(pending.verifier)
            and pending.account is not None
            and safe_string_equals(pending.verifier, verifier)
        )

    def invalidate_request_token(
        self, client_key: str, request_token: str, request: Request
    ) -> None:
        # save_access_token already took it; this covers any other path.
        with self.lock:
            self.request_tokens.pop(request_token, None)

    # -- access tokens -------------------------------------------------------------
    def save_access_token(self, token: dict[str, Any], request: Request) -> None:
        with self.lock:
            # Popping here, under the lock, is what makes a verifier single use
            # even when two exchanges race past validate_verifier together.
            pending = self.request_tokens.pop(request.resource_owner_key, None)
            if pending is None or pending.account is None:
                raise errors.InvalidClientError(description="Request token already used.")
            account = pending.account
            self.access_tokens[token["oauth_token"]] = IssuedToken(
                secret=token["oauth_token_secret"],
                client_key=request.client_key,
                account=account,
            )
        # oauthlib serialises this very dict after saving it: this is how the
        # answer gets Flickr's identity fields (and loses the OAuth 2 style
        # realms field Flickr never sends).
        token.pop("oauth_authorized_realms", None)
        token.update(fullname=account.fullname, user_nsid=account.nsid, username=account.username)

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        with self.lock:
            issued = self.access_tokens.get(token)
        return issued is not None and safe_string_equals(issued.client_key, client_key)

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        with self.lock:
            issued = self.access_tokens.get(token)
        return issued.secret if issued else "dummy-access-token-secret"

    def validate_realms(
        self,
        client_key: str,
        token: str,
        request: Request,
        uri: str | None = None,
        realms: list[str] | None = None,
    ) -> bool:
        return True
