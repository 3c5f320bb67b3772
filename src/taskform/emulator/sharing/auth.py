"""Users, API keys, generated tokens and how a request proves who it is.

A request may carry its token (a generated token or an API key) in, first found wins:
``X-Esri-Authorization: Bearer <t>``, ``Authorization: Bearer <t>``, or the legacy ``token``
query/form parameter (docs/design.md §A9). No token on a protected resource is error 499; an unknown
or expired one is 498 on every resource (the portal rejects a bad token even where anonymous
access would do). Generated tokens expire in wall time, never on the emulator clock; API keys
never expire.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers

from ..server.errors import forbidden, invalid_token
from ..server.store import Store

ORG_ID = "tfEmulatorOrg0001"
DEFAULT_EXPIRATION_MINUTES = 60
DEFAULT_EXPIRATION_MAX_MINUTES = 20160  # two weeks: the usual portal maximum

USER_PRIVILEGES = (
    "portal:user:createGroup",
    "portal:user:createItem",
    "portal:user:joinGroup",
    "portal:user:shareToGroup",
    "portal:user:shareToOrg",
    "portal:user:viewOrgItems",
    "portal:user:viewOrgUsers",
    "premium:user:createNotebooks",
    "premium:user:scheduleNotebooks",
)
ADMIN_PRIVILEGES = (
    "portal:admin:deleteItems",
    "portal:admin:updateItems",
    "portal:admin:updateUsers",
    "portal:admin:viewItems",
    "portal:admin:viewUsers",
    *USER_PRIVILEGES,
)


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    admin: bool = False


@dataclass
class Accounts:
    """The configured users (from --user/--admin) and API keys (key -> username)."""

    users: dict[str, Account]
    api_keys: dict[str, str] = field(default_factory=dict)
    expiration_max_minutes: int = DEFAULT_EXPIRATION_MAX_MINUTES

    def get(self, name: str) -> Account | None:
        """The account named ``name`` in any case: the portal matches usernames without regard
        to case (URLs, generateToken, userFilter); answers carry the account's own spelling."""
        account = self.users.get(name)
        if account is not None:
            return account
        folded = name.casefold()
        return next((a for n, a in self.users.items() if n.casefold() == folded), None)

    def check_password(self, name: str, password: str) -> Account | None:
        account = self.get(name)
        # compare_digest takes str only when both are ASCII: compare the UTF-8 bytes, so a
        # non-ASCII password is refused or accepted like any other, never an HTTP 500.
        given, expected = password.encode("utf-8"), (account.password if account else "")
        if account is None or not secrets.compare_digest(expected.encode("utf-8"), given):
            return None
        return account


def bearer(headers: Headers, values: Mapping[str, str]) -> str | None:
    """The token a request carries, or None."""
    for header in ("X-Esri-Authorization", "Authorization"):
        value = headers.get(header, "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return values.get("token") or None


def issue_token(store: Store, accounts: Accounts, name: str, minutes: int) -> dict[str, Any]:
    """Create a generated token for ``name`` valid ``minutes`` (clamped to the maximum)."""
    minutes = min(minutes, accounts.expiration_max_minutes)
    token = secrets.token_urlsafe(48)
    expires = int(time.time() * 1000) + minutes * 60_000
    with store.lock:
        store.tokens[token] = {"username": name, "expires": expires}
        _drop_expired(store)
        store.save()
    return {"token": token, "expires": expires, "ssl": False}


def _drop_expired(store: Store) -> None:
    now = int(time.time() * 1000)
    for token in [t for t, rec in store.tokens.items() if rec["expires"] <= now]:
        del store.tokens[token]
        store.token_uses.pop(token, None)


def resolve(store: Store, accounts: Accounts, token: str, ttl_requests: int) -> Account:
    """The account behind ``token``; raise 498 for unknown, expired or used-up tokens."""
    api_user = accounts.api_keys.get(token)
    if api_user is not None:
        account = accounts.get(api_user)
        if account is None:
            raise invalid_token()
        return account
    with store.lock:
        record = store.tokens.get(token)
        if record is None or record["expires"] <= int(time.time() * 1000):
            raise invalid_token()
        uses = store.token_uses.get(token, 0) + 1
        store.token_uses[token] = uses
    if ttl_requests and uses > ttl_requests:
        raise invalid_token()
    account = accounts.get(record["username"])
    if account is None:
        raise invalid_token()
    return account


def user_record(account: Account, *, created: int) -> dict[str, Any]:
    """community/users/NAME as the portal returns it (the fields clients read)."""
    return {
        "username": account.name,
        "fullName": account.name,
        "firstName": account.name,
        "lastName": "",
        "email": f"{account.name}@example.invalid",
        "orgId": ORG_ID,
        "role": "org_admin" if account.admin else "org_user",
        "roleId": "org_admin" if account.admin else "org_user",
        "privileges": list(ADMIN_PRIVILEGES if account.admin else USER_PRIVILEGES),
        "level": "2",
        "userLicenseTypeId": "creatorUT",
        "userType": "both",
        "access": "org",
        "provider": "arcgis",
        "disabled": False,
        "created": created,
        "modified": created,
        "groups": [],
        "units": "metric",
        "culture": "en",
        "region": "WO",
    }


def require_admin(account: Account) -> None:
    if not account.admin:
        raise forbidden()
