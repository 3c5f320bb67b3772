"""Portal URLs as people type them, and the REST root derived from them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from taskform.errors import AuthError, PortalError

REST_SUFFIX = "/sharing/rest"


class InsecureURLError(AuthError):
    """Credentials would be sent over plain http:// to a host that is not this machine."""


@dataclass(frozen=True)
class PortalURL:
    """``portal`` is the URL as a person would type it, without a trailing slash
    (``https://gis.example.com/portal``); ``rest`` is its Sharing API root."""

    portal: str
    rest: str
    scheme: str
    netloc: str

    def same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme.lower(), parts.netloc.lower()) == (self.scheme, self.netloc)


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``, and nothing else (not
    ``*.localhost``, which a resolver may send elsewhere)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_portal_url(url: str) -> PortalURL:
    """Normalise a portal URL and derive the REST root (URL + ``/sharing/rest``).

    A URL without a scheme gets ``https://``. A URL already ending in ``/sharing`` or
    ``/sharing/rest`` is kept as the REST root. Plain ``http://`` is refused unless the host
    is loopback, because the token would travel in clear text.
    """
    text = (url or "").strip()
    if not text:
        raise PortalError(
            "no portal URL given (use --portal, ARCGIS_URL or the config key 'portal')"
        )
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise PortalError(f"{url!r} is not a portal URL (expected https://HOST[/PATH])")
    if parts.username is not None or parts.password is not None:
        raise AuthError(
            "the portal URL must not contain a user name or password; "
            "set ARCGIS_USERNAME and ARCGIS_PASSWORD instead"
        )
    if parts.query or parts.fragment:
        raise PortalError(f"the portal URL must not have a query or fragment: {parts.hostname}")
    if scheme == "http" and not is_loopback(parts.hostname):
        raise InsecureURLError(
            f"refusing plain http:// for {parts.hostname}: credentials would travel unencrypted; "
            "use https:// (plain http is allowed only for loopback hosts: "
            "127.0.0.0/8, localhost, ::1)"
        )
    path = parts.path.rstrip("/")
    lowered = path.lower()
    if lowered.endswith(REST_SUFFIX):
        portal_path, rest_path = path[: -len(REST_SUFFIX)], path
    elif lowered.endswith("/sharing"):
        portal_path, rest_path = path[: -len("/sharing")], path + "/rest"
    else:
        portal_path, rest_path = path, path + REST_SUFFIX
    netloc = parts.netloc.lower()
    return PortalURL(
        portal=urlunsplit((scheme, netloc, portal_path, "", "")),
        rest=urlunsplit((scheme, netloc, rest_path, "", "")),
        scheme=scheme,
        netloc=netloc,
    )
