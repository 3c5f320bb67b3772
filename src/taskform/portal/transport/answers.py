"""Reading an answer: the parsed body (or what it is instead of JSON), the error envelope, and
what a failed exchange means for the user (TLS, timeouts, refused connections)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import requests
import urllib3.exceptions


def error_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    error = body.get("error")
    if isinstance(error, Mapping):
        return error
    if body.get("status") == "error":  # admin-style envelope
        return {"code": body.get("code"), "message": "the portal reported an error", **body}
    return None


def decode(response: requests.Response, content: bytes) -> tuple[Any, str | None]:
    """The parsed body and, when it is not JSON, what it is instead."""
    text = content.decode(response.encoding or "utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        return None, "an empty body"
    try:
        return json.loads(stripped), None
    except ValueError:
        pass
    content_type = response.headers.get("Content-Type", "").lower()
    if "html" in content_type or stripped[:1] == "<":
        return None, "HTML"
    if stripped[:1] in "{[":
        return None, "truncated or invalid JSON"
    return None, "plain text"


def kind(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "null"}.get(type(value), "a value")


def tls_reason(text: str) -> str:
    """What a TLS failure means for the user, and which flag fixes it."""
    lowered = text.lower()
    if "wrong version number" in lowered or "record layer failure" in lowered:
        return (
            "the server does not speak TLS (it seems to answer in plain HTTP): "
            "check that the portal URL should start with https://"
        )
    if "certificate" in lowered:
        return (
            "TLS certificate verification failed; for a portal with a private CA, "
            "pass --ca-bundle FILE or set ARCGIS_CA_BUNDLE"
        )
    return (
        "the TLS handshake failed; check the portal URL, and for a private CA pass "
        "--ca-bundle FILE or set ARCGIS_CA_BUNDLE"
    )


PROXY_REFUSED = (
    "could not connect to the proxy that HTTP_PROXY/HTTPS_PROXY name (NO_PROXY lists the hosts "
    "reached directly)"
)


def describe_exception(exc: requests.RequestException, timeout: float) -> tuple[str, bool, bool]:
    """(reason, certainly unprocessed, worth retrying) for a failed exchange."""
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_reason(str(exc)), True, False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timed out while connecting", True, True
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g}s", False, True
    if isinstance(
        exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return "the answer was cut off", False, True
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return "invalid URL", True, False
    if isinstance(exc, requests.exceptions.ProxyError):
        # The proxy's URL is not shown: it may carry a user name and password.
        cause = exc.args[0] if exc.args else None
        inner = getattr(getattr(cause, "reason", cause), "original_error", None)
        if isinstance(inner, urllib3.exceptions.NewConnectionError):
            return PROXY_REFUSED, True, True
        tunnel = re.search(r"Tunnel connection failed: (\d{3})", str(inner or ""))
        if tunnel is not None:  # only the status is shown: the rest is the proxy's own text
            status = tunnel.group(1)
            wants = (
                ": it wants a user name and password in the proxy URL" if status == "407" else ""
            )
            return f"the proxy refused a tunnel to the portal (HTTP {status}{wants})", True, False
        return "the proxy (HTTP_PROXY/HTTPS_PROXY) failed the request", False, True
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", cause)
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            return f"cannot resolve the host name {reason.conn.host}", True, False
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return "could not connect (connection refused or unreachable)", True, True
        return "the connection was closed without an answer", False, True
    return f"{type(exc).__name__}", False, True
