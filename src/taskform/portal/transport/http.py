"""One HTTP exchange with the Sharing API: auth header, error envelopes, retries and logging.

Every request is named by method and path relative to the REST root
(``GET community/users/jo/tasks``) in logs and errors; query strings and bodies never appear.
The token travels only in ``X-Esri-Authorization``; every message built from foreign text is
scrubbed by :func:`taskform.redact.scrub` (the credentials register their secrets there).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from taskform import __version__, redact
from taskform.errors import (
    AmbiguousWriteError,
    AuthError,
    BadResponse,
    NotFound,
    PermissionDenied,
    PortalError,
    TransientError,
)
from taskform.portal.auth.credentials import Credentials
from taskform.portal.transport import answers, deadline
from taskform.portal.transport.retry import Attempts, RetryPolicy, parse_retry_after
from taskform.portal.transport.throttle import Gate

log = logging.getLogger("taskform.http")

#: The largest answer taskform reads for one request (a page of 100 tasks is about 100 KB).
MAX_BODY = 32 * 1024 * 1024

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class ServerUnavailable(BadResponse, TransientError):
    """The portal (or a proxy in front of it) answered HTTP 5xx/429 without a JSON body."""


class _Failed(Exception):
    """One attempt failed in a way that may pass; ``error`` is raised if no retry follows.

    ``unprocessed`` is true when the portal certainly did not act on the request (HTTP 429,
    a refused connection), so even a non-idempotent request may be sent again.
    """

    def __init__(
        self,
        error: PortalError,
        reason: str,
        retry_after: float | None = None,
        unprocessed: bool = False,
        throttled: bool = False,
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.retry_after = retry_after
        self.unprocessed = unprocessed
        self.throttled = throttled  # HTTP 429: the portal wants fewer requests at once


class _Expired(Exception):
    """The portal answered 498: the token is invalid or expired. ``error`` is the portal's
    own message, raised when no token was sent (so none can be renewed)."""

    def __init__(self, error: AuthError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class _Environment:
    """What the environment says about requests to one host (:meth:`Transport._environment`)."""

    proxies: dict[str, str]
    verify: bool | str
    auth: tuple[str, str] | None


class Transport:
    """Sends requests under the REST root with retries; returns the JSON object answered."""

    def __init__(
        self,
        rest_root: str,
        *,
        credentials: Credentials | None,
        referer: str,
        verify: bool | str = True,
        timeout: float = 30.0,
        max_body: int = MAX_BODY,
        retry: RetryPolicy | None = None,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.root = rest_root.rstrip("/")
        self.credentials = credentials
        self.verify = verify
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.gate = (
            Gate()
        )  # fewer requests at once after a 429 (see taskform.portal.transport.throttle)
        self.session = requests.Session()
        # The environment (proxies, CA bundle, ~/.netrc) is read once per host by
        # :meth:`_environment`, not by requests at every request (a third of its CPU per
        # request: it scans os.environ twice).
        self.session.trust_env = False
        self._environments: dict[str, _Environment] = {}
        self.max_body = max_body
        adapter = deadline.DeadlineAdapter(
            pool_connections=4, pool_maxsize=max(pool_size, 16), max_retries=0
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "User-Agent": f"taskform/{__version__} {requests.utils.default_user_agent()}",
                "Accept": "application/json",
                "Referer": referer,
            }
        )

    def __repr__(self) -> str:
        return f"Transport({self.root!r}, credentials={self.credentials!r})"

    def close(self) -> None:
        self.session.close()

    # -- public --------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool = True,
        authenticated: bool = True,
        attempts: Attempts | None = None,
        owner: str | None = None,
    ) -> dict[str, Any]:
        """``method`` ``path`` (relative to the REST root); the answered JSON object.

        Idempotent requests are retried on connection errors, timeouts, HTTP 5xx and 429.
        Others are retried only when the portal certainly did not act (HTTP 429, connection
        refused); any other transient failure raises :class:`AmbiguousWriteError`.
        """
        url = f"{self.root}/{path.lstrip('/')}"
        name = f"{method} {unquote(path.lstrip('/'))}"
        return self.call_url(
            method,
            url,
            name=name,
            params=params,
            data=data,
            idempotent=idempotent,
            authenticated=authenticated,
            attempts=attempts,
            owner=owner,
        )

    def call_url(
        self,
        method: str,
        url: str,
        *,
        name: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool = True,
        authenticated: bool = True,
        attempts: Attempts | None = None,
        owner: str | None = None,
    ) -> dict[str, Any]:
        attempts = attempts or self.retry.start()
        renewed = False
        while True:
            token = self._token() if authenticated else None
            number = attempts.begin()
            ticket = 0
            try:
                with self.gate.slot() as ticket:
                    body = self._once(method, url, name, params, data, token, number, owner)
                self.gate.succeeded()
                return body
            except _Expired as expired:
                if self.credentials is None or token is None:
                    raise expired.error from None
                if renewed:
                    raise self._expired_error(name) from None
                self.credentials.renew(token, name)
                renewed = True
                attempts.refund()
            except _Failed as failure:
                if failure.throttled:
                    self.gate.throttled(ticket)
                if not idempotent and not failure.unprocessed:
                    raise AmbiguousWriteError(
                        f"no clear answer ({failure.reason}); the portal may or may not have "
                        "carried out the request",
                        request=name,
                        owner=owner,
                    ) from None
                delay = attempts.next_delay(failure.retry_after)
                if delay is None:
                    raise failure.error from None
                log.info(
                    "retrying %s after %s (attempt %d/%d, waiting %.1fs)",
                    name,
                    failure.reason,
                    attempts.count + 1,
                    self.retry.max_attempts,
                    delay,
                )
                self.sleep(delay)

    # -- one attempt ---------------------------------------------------------------------

    def _environment(self, url: str) -> _Environment:
        """What requests' ``trust_env`` would take from the environment for ``url``'s host:
        the proxies ``HTTP(S)_PROXY``/``ALL_PROXY`` name unless ``NO_PROXY`` exempts the host,
        ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when no CA bundle was given, and the host's
        ``~/.netrc`` login (``Session.merge_environment_settings``, ``prepare_request``).
        Read once per host: the environment does not change while taskform runs."""
        split = urlsplit(url)
        host = f"{split.scheme}://{split.netloc}"
        found = self._environments.get(host)
        if found is None:
            verify = self.verify
            if verify is True:
                verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                )
            found = _Environment(
                proxies=requests.utils.get_environ_proxies(url),
                verify=verify,
                auth=requests.utils.get_netrc_auth(url),
            )
            self._environments[host] = found
        return found

    def _token(self) -> str | None:
        return self.credentials.token() if self.credentials is not None else None

    def _once(
        self,
        method: str,
        url: str,
        name: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        token: str | None,
        number: int,
        owner: str | None,
    ) -> dict[str, Any]:
        headers = {"X-Esri-Authorization": f"Bearer {token}"} if token else {}
        environment = self._environment(url)
        started = time.monotonic()
        failure: tuple[str, bool, bool] | None = None
        with deadline.watch(self.timeout) as watch:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=(watch.remaining(), watch.remaining()),
                    verify=environment.verify,
                    proxies=environment.proxies,
                    auth=environment.auth,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    content = self._read_body(response, name, owner)
                finally:
                    # Detach before the connection goes back to the pool, where another
                    # thread may take it: a late cut must never reach that exchange.
                    watch.finish()
                    response.close()
            except requests.RequestException as exc:
                # Raised below, outside this block, so that no chained exception keeps the
                # request (and its auth header) reachable from the error taskform reports.
                failure = answers.describe_exception(exc, self.timeout)
                if watch.expired:
                    failure = (f"no complete answer within {self.timeout:g}s", False, True)
        if failure is not None:
            reason, unprocessed, retryable = failure
            elapsed = (time.monotonic() - started) * 1000
            log.debug("%s -> %s in %d ms (attempt %d)", name, reason, elapsed, number)
            text = redact.scrub(f"could not reach the portal: {reason}")
            if not retryable:
                raise PortalError(text, request=name, owner=owner)
            error = TransientError(text, request=name, owner=owner)
            raise _Failed(error, reason, None, unprocessed)
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s -> %d in %d ms (attempt %d)", name, response.status_code, elapsed, number)
        return self._interpret(response, content, name, owner)

    def _read_body(self, response: requests.Response, name: str, owner: str | None) -> bytes:
        """The whole answer, refused when it is larger than :attr:`max_body` (read in chunks,
        so memory stays proportional to what arrived)."""
        limit = self.max_body
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(name, owner)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > limit:
                raise self._too_large(name, owner)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, name: str, owner: str | None) -> BadResponse:
        return BadResponse(
            f"the answer is larger than {self.max_body // (1024 * 1024)} MiB, the most "
            "taskform reads for one request",
            request=name,
            owner=owner,
        )

    def _interpret(
        self, response: requests.Response, content: bytes, name: str, owner: str | None
    ) -> dict[str, Any]:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        body, problem = answers.decode(response, content)
        if isinstance(body, dict) and answers.error_of(body) is not None:
            self._raise_envelope(body, status, name, owner, retry_after)
        if status in RETRY_STATUS:
            what = f"HTTP {status}"
            if problem is not None:
                error: PortalError = ServerUnavailable(
                    f"the portal answered with {problem}, not JSON (HTTP {status})",
                    request=name,
                    owner=owner,
                )
            else:
                error = TransientError(
                    f"the portal answered HTTP {status}", request=name, owner=owner
                )
            raise _Failed(error, what, retry_after, status == 429, throttled=status == 429)
        if status in (301, 302, 303, 307, 308):
            where = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            raise BadResponse(
                f"the portal redirected to {where} (HTTP {status}); check the portal URL",
                request=name,
            )
        if problem is not None:
            raise BadResponse(
                f"the portal answered with {problem}, not JSON (HTTP {status})",
                request=name,
                owner=owner,
            )
        if status >= 400 or not isinstance(body, dict):
            shape = "a JSON object" if isinstance(body, dict) else f"JSON {answers.kind(body)}"
            raise BadResponse(
                f"the portal answered with {shape} where an object was expected (HTTP {status})",
                request=name,
                owner=owner,
            )
        return body

    def _raise_envelope(
        self,
        body: dict[str, Any],
        status: int,
        name: str,
        owner: str | None,
        retry_after: float | None,
    ) -> None:
        error = answers.error_of(body) or {}
        code = error.get("code")
        code = code if isinstance(code, int) else (status if status >= 400 else None)
        message = redact.scrub(str(error.get("message") or "the portal reported an error"))
        raw_details = error.get("details") or error.get("messages") or ()
        details = (
            [redact.scrub(str(d)) for d in raw_details] if isinstance(raw_details, list) else []
        )
        details = [d for d in details if d and d != message]
        if code == 498:
            raise _Expired(AuthError(message, code=code, details=details, request=name))
        if code == 499 or (code == 401):
            raise AuthError(
                f"{message.rstrip('. ')}; the portal wants a valid token",
                code=code,
                details=details,
                request=name,
            )
        if code == 403:
            what = f"not allowed to manage the tasks of {owner!r}" if owner else "not allowed"
            raise PermissionDenied(
                f"{what}: {message}",
                code=code,
                details=details,
                request=name,
                owner=owner,
            )
        if code == 404:
            raise NotFound(message, code=code, details=details, request=name, owner=owner)
        if code in RETRY_STATUS:
            exc = TransientError(message, code=code, details=details, request=name, owner=owner)
            raise _Failed(
                exc, f"error {code}: {message}", retry_after, code == 429, throttled=code == 429
            )
        raise PortalError(message, code=code, details=details, request=name, owner=owner)

    def _expired_error(self, name: str) -> AuthError:
        label = self.credentials.label if self.credentials else "request"
        return AuthError(
            f"the portal refused the token from the {label} as invalid or expired, "
            "even after signing in again",
            code=498,
            request=name,
        )
