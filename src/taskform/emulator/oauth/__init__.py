"""OAuth 2.0 as the portal does it: ``oauth2/authorize``, ``oauth2/signin``, ``oauth2/token``.

The flow Esri's own client drives (arcgis 2.4.4 ``auth/_auth/_pkce.py``):

1. ``GET oauth2/authorize?client_id&response_type=code&redirect_uri&code_challenge
   &code_challenge_method=S256[&state][&expiration]``: an HTML sign-in page whose script holds
   ``"oauth_state":"<state>"`` and whose form posts it to ``oauth2/signin``;
2. ``POST oauth2/signin`` ``oauth_state``, ``username``, ``password``: a 302 to
   ``redirect_uri?code=<code>[&state=<state>]`` (a wrong password shows the page again);
3. ``POST oauth2/token``:
   - ``grant_type=authorization_code`` with ``client_id``, ``code``, ``redirect_uri``,
     ``code_verifier`` -> ``access_token``, ``expires_in`` (s), ``refresh_token``,
     ``refresh_token_expires_in`` (s), ``username``;
   - ``grant_type=refresh_token`` with ``client_id``, ``refresh_token`` -> ``access_token``,
     ``expires_in``, ``username``;
   - ``grant_type=exchange_refresh_token`` with ``client_id``, ``redirect_uri``,
     ``refresh_token`` -> a new ``refresh_token`` (the old one stops working) and an access
     token;
4. ``POST oauth2/revokeToken`` ``client_id``, ``auth_token``, ``token_type_hint``: the refresh
   token stops working (``taskform logout``).

Apps are registered with ``taskform emulator --oauth-client ID`` (default: one app,
``taskform``); redirect URIs must be loopback (``http://127.0.0.1:<any port>/...``,
``localhost``, ``[::1]``), as for a native app. Codes live 5 minutes and work once; refresh
tokens last ``--refresh-token-minutes`` (default 20160, two weeks, as ArcGIS Online). Access
tokens are ordinary emulator tokens (they expire, count toward ``token_ttl_requests``).
OAuth state is kept in memory only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from ..server.errors import PortalError, encode
from ..server.store import Store
from ..sharing.auth import Accounts, issue_token

CODE_SECONDS = 300
ACCESS_MINUTES = 30
DEFAULT_REFRESH_MINUTES = 20160
DEFAULT_CLIENTS = ("taskform",)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class _Pending:
    client_id: str
    redirect_uri: str
    challenge: str
    state: str | None
    expires: float


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    username: str
    expires: float


@dataclass
class _Refresh:
    client_id: str
    username: str
    expires: float


class OAuth:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        clients: tuple[str, ...] = DEFAULT_CLIENTS,
        refresh_minutes: int = DEFAULT_REFRESH_MINUTES,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.clients = frozenset(clients)
        self.refresh_seconds = refresh_minutes * 60
        self.lock = threading.Lock()
        self.pending: dict[str, _Pending] = {}
        self.codes: dict[str, _Code] = {}
        self.refresh: dict[str, _Refresh] = {}

    def handle(self, request: Request, endpoint: str) -> Response:
        try:
            if endpoint == "authorize":
                return self._authorize(request.values)
            if request.method != "POST":
                raise PortalError(405, "Method not supported.", ["Use HTTP POST."])
            if endpoint == "signin":
                return self._signin(request.values)
            if endpoint == "revokeToken":
                return encode(self._revoke(request.values), request.values.get("f") or "json")
            return encode(self._token(request.values), request.values.get("f") or "json")
        except PortalError as exc:
            return encode(exc.envelope(), request.values.get("f") or "json")

    # -- authorize / sign in -------------------------------------------------------------------

    def _authorize(self, values: Mapping[str, str]) -> Response:
        client_id = values.get("client_id") or ""
        redirect_uri = values.get("redirect_uri") or ""
        self._check_client(client_id, redirect_uri)
        if values.get("response_type") != "code":
            raise PortalError(400, "Invalid response_type.", ["response_type must be code."])
        challenge = values.get("code_challenge") or ""
        if not challenge or values.get("code_challenge_method", "S256") != "S256":
            raise PortalError(400, "Invalid code_challenge.", ["PKCE with S256 is required."])
        state = secrets.token_urlsafe(24)
        with self.lock:
            self.pending[state] = _Pending(
                client_id, redirect_uri, challenge, values.get("state"), time.time() + 600
            )
        return _page(state, "")

    def _signin(self, values: Mapping[str, str]) -> Response:
        oauth_state = values.get("oauth_state") or ""
        with self.lock:
            pending = self.pending.get(oauth_state)
        if pending is None or pending.expires < time.time():
            raise PortalError(400, "Invalid oauth_state.", ["Start again at oauth2/authorize."])
        account = self.accounts.check_password(
            values.get("username") or "", values.get("password") or ""
        )
        if account is None:
            return _page(oauth_state, "Invalid username or password.")
        code = secrets.token_urlsafe(32)
        with self.lock:
            del self.pending[oauth_state]
            self.codes[code] = _Code(
                pending.client_id,
                pending.redirect_uri,
                pending.challenge,
                account.name,
                time.time() + CODE_SECONDS,
            )
        query = {"code": code, **({"state": pending.state} if pending.state else {})}
        sep = "&" if "?" in pending.redirect_uri else "?"
        response = Response("", status=302)
        response.headers["Location"] = pending.redirect_uri + sep + urlencode(query)
        return response

    # -- token ---------------------------------------------------------------------------------

    def _token(self, values: Mapping[str, str]) -> dict[str, Any]:
        grant = values.get("grant_type") or ""
        client_id = values.get("client_id") or ""
        if client_id not in self.clients:
            raise PortalError(400, "Invalid client_id", [f"Unknown client_id '{client_id}'."])
        if grant == "authorization_code":
            return self._from_code(values, client_id)
        if grant in ("refresh_token", "exchange_refresh_token"):
            refresh = values.get("refresh_token") or ""
            with self.lock:
                record = self.refresh.get(refresh)
                if record is None or record.expires < time.time() or record.client_id != client_id:
                    raise PortalError(498, "Invalid refresh_token", ["Sign in again."])
                if grant == "exchange_refresh_token":
                    self._check_client(client_id, values.get("redirect_uri") or "")
                    del self.refresh[refresh]
            if grant == "refresh_token":
                return self._access(record.username)
            return {
                **self._access(record.username),
                **self._new_refresh(client_id, record.username),
            }
        raise PortalError(
            400, "Unsupported grant_type", [f"grant_type '{grant}' is not supported."]
        )

    def _revoke(self, values: Mapping[str, str]) -> dict[str, Any]:
        """``oauth2/revokeToken`` (``client_id``, ``auth_token``, ``token_type_hint``): the
        refresh token stops working; an unknown one is no error (as RFC 7009 says)."""
        with self.lock:
            record = self.refresh.get(values.get("auth_token") or "")
            if record is not None and record.client_id == (values.get("client_id") or ""):
                del self.refresh[values.get("auth_token") or ""]
        return {"success": True}

    def _from_code(self, values: Mapping[str, str], client_id: str) -> dict[str, Any]:
        with self.lock:
            code = self.codes.pop(values.get("code") or "", None)  # a code works once
        if code is None or code.expires < time.time() or code.client_id != client_id:
            raise PortalError(400, "Invalid authorization code", ["Sign in again."])
        if (values.get("redirect_uri") or "") != code.redirect_uri:
            raise PortalError(400, "Invalid redirect_uri", ["It must match the authorize call."])
        verifier = values.get("code_verifier") or ""
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        if base64.urlsafe_b64encode(digest).decode().rstrip("=") != code.challenge:
            raise PortalError(400, "Invalid code_verifier", ["PKCE verification failed."])
        return {**self._access(code.username), **self._new_refresh(client_id, code.username)}

    def _access(self, username: str) -> dict[str, Any]:
        issued = issue_token(self.store, self.accounts, username, ACCESS_MINUTES)
        return {
            "access_token": issued["token"],
            "expires_in": ACCESS_MINUTES * 60,
            "username": username,
            "ssl": False,
        }

    def _new_refresh(self, client_id: str, username: str) -> dict[str, Any]:
        token = secrets.token_urlsafe(48)
        with self.lock:
            self.refresh[token] = _Refresh(client_id, username, time.time() + self.refresh_seconds)
        return {"refresh_token": token, "refresh_token_expires_in": self.refresh_seconds}

    def _check_client(self, client_id: str, redirect_uri: str) -> None:
        if client_id not in self.clients:
            raise PortalError(400, "Invalid client_id", [f"Unknown client_id '{client_id}'."])
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise PortalError(
                400, "Invalid redirect_uri", ["Use a loopback http://127.0.0.1:PORT/ address."]
            )


def _page(oauth_state: str, problem: str) -> Response:
    """The sign-in page: a form, and the state in a script as the portal's page has it."""
    state = html.escape(oauth_state, quote=True)
    script = json.dumps({"oauth_state": oauth_state}, separators=(",", ":"))
    error = f'<p class="error">{html.escape(problem)}</p>' if problem else ""
    body = f"""<!DOCTYPE html>
<html><head><title>Sign in</title>
<script>var oAuthInfo = {script};</script></head>
<body><h1>Sign in to the taskform emulator</h1>{error}
<form method="post" action="signin">
<input type="hidden" name="oauth_state" value="{state}">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form></body></html>
"""
    return Response(body, status=200, mimetype="text/html")
