"""OAuth 2.0 sign-in for organisations that use SAML or MFA (where generateToken cannot work).

- :class:`RefreshTokenSignIn`: credentials from an app's client id and a refresh token
  (``ARCGIS_CLIENT_ID`` + ``ARCGIS_REFRESH_TOKEN``, or the file ``taskform login`` writes).
  Access tokens come from ``oauth2/token`` with ``grant_type=refresh_token`` and are renewed
  before they expire and on error 498. A refresh token from the file is exchanged
  (``grant_type=exchange_refresh_token``) for a new one once less than
  :data:`EXCHANGE_BEFORE` of its life is left, as ArcGIS documents, and the file rewritten.
- :class:`TokenFile`: the stored refresh tokens, one per portal, in a JSON file only its user
  may read (mode 0600, in a 0700 directory), written atomically.
- :func:`authorization_url` / :class:`LoopbackReceiver` / :func:`pkce_pair`: the pieces of
  ``taskform login``: the authorization-code flow with PKCE (S256) through the browser and a
  loopback redirect (RFC 8252), the same flow Esri's client drives (arcgis 2.4.4
  ``auth/_auth/_pkce.py``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from taskform import redact
from taskform.errors import AuthError, BadResponse, PortalError, TransientError
from taskform.portal.auth.credentials import RENEW_MARGIN, Credentials, Secret

log = logging.getLogger("taskform.http")

#: Exchange a stored refresh token for a new one once less than this share of its life is left.
EXCHANGE_BEFORE = 0.5
#: How long taskform asks a refresh token to last (minutes; ArcGIS's usual maximum, 2 weeks).
REFRESH_MINUTES = 20160
TOKEN_FILE_ENV = "TASKFORM_TOKEN_FILE"

PostToken = Callable[[Mapping[str, str]], Mapping[str, Any]]


def default_token_file(env: Mapping[str, str] = os.environ) -> Path:
    """``$TASKFORM_TOKEN_FILE``, else ``$XDG_CONFIG_HOME/taskform/credentials.json`` (default
    ``~/.config``)."""
    if env.get(TOKEN_FILE_ENV):
        return Path(env[TOKEN_FILE_ENV])
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "taskform" / "credentials.json"


class TokenFile:
    """Refresh tokens by portal URL: ``{"portals": {URL: {"client_id", "refresh_token",
    "refresh_token_expires" (epoch s), "lifetime" (s), "redirect_uri", "username"}}}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def get(self, portal: str) -> dict[str, Any] | None:
        entry = self._read().get(portal)
        if entry is not None and isinstance(entry.get("refresh_token"), str):
            redact.register(entry["refresh_token"])
            return entry
        return None

    def put(self, portal: str, entry: Mapping[str, Any]) -> None:
        with self._lock:
            portals = self._read()
            portals[portal] = dict(entry)
            self._write(portals)

    def remove(self, portal: str) -> bool:
        with self._lock:
            portals = self._read()
            if portal not in portals:
                return False
            del portals[portal]
            if portals:
                self._write(portals)
            else:
                self.path.unlink(missing_ok=True)
            return True

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AuthError(f"cannot read the stored sign-in {self.path}: {exc}") from None
        portals = data.get("portals") if isinstance(data, dict) else None
        return {k: v for k, v in (portals or {}).items() if isinstance(v, dict)}

    def _write(self, portals: Mapping[str, Any]) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps({"portals": portals}, indent=2, sort_keys=True).encode()
        fd, tmp = tempfile.mkstemp(prefix=".credentials.", dir=directory)  # mode 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class RefreshTokenSignIn(Credentials):
    """Access tokens from a refresh token (``grant_type=refresh_token``)."""

    def __init__(
        self,
        client_id: str,
        refresh_token: str,
        *,
        portal: str,
        store: TokenFile | None = None,
        entry: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id or not refresh_token:
            raise AuthError("both ARCGIS_CLIENT_ID and ARCGIS_REFRESH_TOKEN must be set")
        redact.register(refresh_token)
        self._client_id = client_id
        self._refresh = Secret(refresh_token)
        self._portal = portal
        self._store = store
        self._entry = dict(entry or {})
        self._clock = clock
        self._post: PostToken | None = None
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires: float | None = None
        self._issued: list[Secret] = []
        self._user = self._entry.get("username") if isinstance(self._entry, dict) else None
        where = f"taskform login ({store.path})" if store is not None else "ARCGIS_REFRESH_TOKEN"
        self.label = f"OAuth refresh token of app {client_id!r} from {where}"

    @property
    def username(self) -> str | None:
        return self._user if isinstance(self._user, str) else None

    def bind(self, post: PostToken) -> None:
        self._post = post

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._expiring():
                self._sign_in()
            assert self._token is not None
            return self._token.reveal()

    def renew(self, stale: str, request: str) -> str:
        with self._lock:
            if self._token is not None and self._token.reveal() != stale:
                return self._token.reveal()
            log.info("the portal says the token expired (%s); renewing it", request)
            self._sign_in()
            assert self._token is not None
            return self._token.reveal()

    def secrets(self) -> tuple[str, ...]:
        return (self._refresh.reveal(), *(s.reveal() for s in self._issued))

    def _expiring(self) -> bool:
        return self._expires is not None and self._clock() > self._expires - RENEW_MARGIN

    def _sign_in(self) -> None:
        if self._store is not None and self._refresh_ageing():
            self._exchange()
            return
        answer = self._call(
            {
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "refresh_token": self._refresh.reveal(),
                "f": "json",
            }
        )
        self._take_access(answer)

    def _refresh_ageing(self) -> bool:
        expires, lifetime = self._entry.get("refresh_token_expires"), self._entry.get("lifetime")
        if not isinstance(expires, (int, float)) or not isinstance(lifetime, (int, float)):
            return False
        return expires - self._clock() < EXCHANGE_BEFORE * lifetime

    def _exchange(self) -> None:
        """A new refresh token for the old one (ArcGIS: before the old one expires)."""
        assert self._store is not None
        answer = self._call(
            {
                "grant_type": "exchange_refresh_token",
                "client_id": self._client_id,
                "redirect_uri": str(self._entry.get("redirect_uri") or ""),
                "refresh_token": self._refresh.reveal(),
                "f": "json",
            }
        )
        new = answer.get("refresh_token")
        if not isinstance(new, str) or not new:
            raise AuthError(
                "oauth2/token answered the exchange without a refresh_token",
                request="POST oauth2/token",
            )
        redact.register(new)
        self._refresh = Secret(new)
        self._entry.update(
            entry_for(answer, self._client_id, self._entry.get("redirect_uri"), self._clock())
        )
        self._store.put(self._portal, self._entry)
        log.info("exchanged the stored refresh token for a new one (%s)", self._store.path)
        if isinstance(answer.get("access_token"), str):
            self._take_access(answer)
        else:
            self._sign_in()

    def _take_access(self, answer: Mapping[str, Any]) -> None:
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthError(
                "oauth2/token answered without an access_token", request="POST oauth2/token"
            )
        redact.register(token)
        self._token = Secret(token)
        self._issued.append(self._token)
        del self._issued[:-8]
        expires_in = answer.get("expires_in")
        self._expires = self._clock() + expires_in if isinstance(expires_in, (int, float)) else None
        if isinstance(answer.get("username"), str):
            self._user = answer["username"]

    def _call(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        if self._post is None:
            raise AuthError("cannot sign in: no connection to the portal")
        try:
            return self._post(form)
        except PortalError as exc:
            if isinstance(exc, (TransientError, BadResponse)):
                raise
            raise AuthError(
                f"the portal refused the {self.label}: {exc.message.rstrip('. ')}; "
                "run 'taskform login' again (or renew ARCGIS_REFRESH_TOKEN)",
                code=exc.code,
                request="POST oauth2/token",
            ) from None


def entry_for(
    answer: Mapping[str, Any], client_id: str, redirect_uri: Any, now: float
) -> dict[str, Any]:
    """What the token file keeps from an oauth2/token answer with a refresh token."""
    lifetime = answer.get("refresh_token_expires_in")
    entry: dict[str, Any] = {
        "client_id": client_id,
        "refresh_token": answer.get("refresh_token"),
        "redirect_uri": redirect_uri,
    }
    if isinstance(lifetime, (int, float)) and lifetime > 0:
        entry.update(lifetime=lifetime, refresh_token_expires=now + lifetime)
    if isinstance(answer.get("username"), str):
        entry["username"] = answer["username"]
    return entry


# -- taskform login ----------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorization_url(
    rest: str, client_id: str, redirect_uri: str, challenge: str, state: str
) -> str:
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "expiration": str(REFRESH_MINUTES),
    }
    return f"{rest}/oauth2/authorize?{urlencode(query)}"


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 (a free port) that receives the redirect with the
    authorization code. Only loopback: nothing else can reach it."""

    PATH = "/taskform-login"

    def __init__(self, state: str) -> None:
        self._state = state
        self._done = threading.Event()
        self.code: str | None = None
        self.error: str | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != LoopbackReceiver.PATH:
                    self.send_error(404)
                    return
                query = parse_qs(parts.query)
                receiver._receive(query)
                ok = receiver.code is not None
                text = "Signed in; you can close this page." if ok else "Sign-in failed."
                body = f"<html><body><p>taskform: {text}</p></body></html>".encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the query string holds the code: never log it

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_port}{self.PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _receive(self, query: Mapping[str, list[str]]) -> None:
        if self._done.is_set():
            return
        if query.get("state", [""])[0] != self._state:
            self.error = "the redirect's state does not match (a stale or foreign sign-in)"
        elif "code" in query:
            self.code = query["code"][0]
            redact.register(self.code)
        else:
            self.error = query.get("error_description", query.get("error", ["no code"]))[0]
        self._done.set()

    def wait(self, timeout: float) -> str:
        if not self._done.wait(timeout):
            raise AuthError(f"no sign-in within {timeout:.0f} s; run 'taskform login' again")
        if self.code is None:
            raise AuthError(f"sign-in failed: {self.error}")
        return self.code

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
