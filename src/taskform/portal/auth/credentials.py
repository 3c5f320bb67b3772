"""Credentials: a fixed token or API key, or a user name and password exchanged for tokens.

Secrets are held in :class:`Secret`, whose ``repr``/``str`` never show the value. Every secret
a credential holds or is issued is registered with :mod:`taskform.redact` as it arrives, so
that no message, log line or file can show it.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from taskform import redact
from taskform.errors import AuthError, BadResponse, PortalError, TransientError

log = logging.getLogger("taskform.http")

#: Renew a generated token this many seconds before the portal says it expires.
RENEW_MARGIN = 60.0
#: Minutes a generated token is asked to last (the generateToken default).
TOKEN_MINUTES = 60

GenerateToken = Callable[[Mapping[str, str]], Mapping[str, Any]]


class Secret:
    """A credential value that never shows itself in a repr, str, log or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({redact.MASK!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("secrets cannot be pickled")


class Credentials(ABC):
    """Where the bearer token for ``X-Esri-Authorization`` comes from."""

    #: What the credential is, for messages ("token (ARCGIS_TOKEN)").
    label: str = "credentials"

    @abstractmethod
    def token(self) -> str:
        """A token to send now (signing in first if needed)."""

    @abstractmethod
    def renew(self, stale: str, request: str) -> str:
        """The portal refused ``stale`` as expired (498): get a new token or raise AuthError."""

    @abstractmethod
    def secrets(self) -> tuple[str, ...]:
        """Every secret value this credential holds or has handed out (all registered with
        :mod:`taskform.redact`)."""

    @property
    def username(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label})"


class StaticToken(Credentials):
    """A token or API key given by the user; it cannot be renewed."""

    def __init__(self, value: str, *, label: str = "token (ARCGIS_TOKEN)") -> None:
        if not value:
            raise AuthError(f"the {label} is empty")
        redact.register(value)
        self._value = Secret(value)
        self.label = label

    def token(self) -> str:
        return self._value.reveal()

    def renew(self, stale: str, request: str) -> str:
        raise AuthError(
            f"the portal refused the {self.label} as invalid or expired; "
            "get a new one, or sign in with ARCGIS_USERNAME and ARCGIS_PASSWORD "
            "so that taskform can renew its token",
            code=498,
            request=request,
        )

    def secrets(self) -> tuple[str, ...]:
        return (self._value.reveal(),)


class PasswordSignIn(Credentials):
    """A user name and password exchanged for a token with ``generateToken``.

    The token is renewed shortly before it expires and whenever the portal answers 498.
    Renewal is serialised by a lock: threads that saw the same stale token share one renewal.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        referer: str,
        generate: GenerateToken | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not username or not password:
            raise AuthError("both ARCGIS_USERNAME and ARCGIS_PASSWORD must be set and non-empty")
        if password != username:
            # A password equal to the user name (the emulator's admin/admin) is no secret, and
            # masking it would garble every owner name; the CLI follows the same rule.
            redact.register(password)
        self._username = username
        self._password = Secret(password)
        self._referer = referer
        self._generate = generate
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires: float | None = None  # epoch seconds
        self._issued: list[Secret] = []
        self.label = f"password of {username!r} (ARCGIS_USERNAME/ARCGIS_PASSWORD)"

    @property
    def username(self) -> str:
        return self._username

    def bind(self, generate: GenerateToken) -> None:
        """Set how to call ``generateToken`` (the transport, created after the credentials)."""
        self._generate = generate

    def token(self) -> str:
        with self._lock:
            current = self._token
            if current is None or self._expiring():
                current = self._sign_in("signing in" if current is None else "renewing the token")
            return current.reveal()

    def renew(self, stale: str, request: str) -> str:
        with self._lock:
            current = self._token
            if current is not None and current.reveal() != stale:
                return current.reveal()  # another thread renewed it already
            log.info("the portal says the token expired (%s); signing in again", request)
            return self._sign_in("renewing the token").reveal()

    def secrets(self) -> tuple[str, ...]:
        return (self._password.reveal(), *(s.reveal() for s in self._issued))

    def _expiring(self) -> bool:
        return self._expires is not None and self._clock() > self._expires - RENEW_MARGIN

    def _sign_in(self, doing: str) -> Secret:
        if self._generate is None:
            raise AuthError("cannot sign in: no connection to the portal")
        form = {
            "username": self._username,
            "password": self._password.reveal(),
            "client": "referer",
            "referer": self._referer,
            "expiration": str(TOKEN_MINUTES),
            "f": "json",
        }
        try:
            answer = self._generate(form)
        except PortalError as exc:
            if _refused(exc):
                self._fail(doing, exc)
            raise  # the portal could not be reached or answered oddly: not the credentials
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise AuthError(
                f"{doing} as {self._username!r}: generateToken answered without a token",
                request="POST generateToken",
            )
        redact.register(token)
        secret = Secret(token)
        expires = answer.get("expires")
        self._expires = expires / 1000.0 if isinstance(expires, (int, float)) else None
        self._token = secret
        self._issued.append(secret)
        del self._issued[:-8]
        log.debug("signed in as %s", self._username)
        return secret

    def _fail(self, doing: str, exc: PortalError) -> NoReturn:
        raise AuthError(
            f"{doing} as {self._username!r} failed: {exc.message.rstrip('. ')}; "
            "check ARCGIS_USERNAME and ARCGIS_PASSWORD",
            code=exc.code,
            details=exc.details,
            request=exc.request or "POST generateToken",
        ) from None


def _refused(exc: PortalError) -> bool:
    """Whether generateToken refused the credentials: its error envelope "Unable to generate
    token" (code 400), or an invalid-token code (498/499, 401). Connection failures, timeouts,
    TLS errors and answers that are not an error envelope are not a refusal."""
    if isinstance(exc, (TransientError, BadResponse)):
        return False
    if exc.code in (401, 498, 499):
        return True
    return exc.code == 400 and "unable to generate token" in exc.message.lower()


NO_CREDENTIALS = (
    "no credentials: set ARCGIS_TOKEN, or ARCGIS_API_KEY, or ARCGIS_USERNAME and ARCGIS_PASSWORD, "
    "or ARCGIS_CLIENT_ID and ARCGIS_REFRESH_TOKEN, or run 'taskform login'"
)


def make_credentials(
    portal: str,
    *,
    token: str | None = None,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> Credentials:
    """Exactly one kind of credentials, as given to the client."""
    given = [kind for kind, value in (("a token", token), ("an API key", api_key)) if value]
    if username or password:
        given.append("a user name and password")
    if len(given) > 1:
        raise AuthError(f"give only one kind of credentials, not {' and '.join(given)}")
    if token:
        return StaticToken(token, label="token (ARCGIS_TOKEN)")
    if api_key:
        return StaticToken(api_key, label="API key (ARCGIS_API_KEY)")
    if username or password:
        return PasswordSignIn(username or "", password or "", referer=portal)
    raise AuthError(NO_CREDENTIALS)
