"""``taskform logout``: forget the refresh token ``taskform login`` stored for a portal."""

from __future__ import annotations

import os

import click

from taskform.cli.options import common_options, out, portal_options
from taskform.errors import PortalError
from taskform.portal.auth.oauth import TokenFile, default_token_file
from taskform.portal.transport.http import Transport
from taskform.portal.urls import parse_portal_url
from taskform.workflow.connect import PortalOptions, portal_url


@click.command()
@portal_options
@common_options
def logout(portal: PortalOptions) -> int:
    """Revoke the stored refresh token of the portal and remove it from the file."""
    url = parse_portal_url(portal_url(portal, None))
    store = TokenFile(default_token_file(os.environ))
    entry = store.get(url.portal)
    if entry is None:
        out(f"No stored sign-in for {url.portal} (in {store.path}).")
        return 0
    revoked = _revoke(url.rest, url.portal, entry, portal)
    store.remove(url.portal)
    out(f"Signed out of {url.portal}: removed its refresh token from {store.path}.")
    if revoked is not None:
        out(f"Warning: the portal could not revoke it ({revoked}); it expires by itself.", err=True)
    return 0


def _revoke(rest: str, referer: str, entry: dict[str, object], portal: PortalOptions) -> str | None:
    """Ask the portal to revoke the refresh token (``oauth2/revokeToken``); the reason when it
    could not."""
    transport = Transport(
        rest,
        credentials=None,
        referer=referer,
        verify=portal.ca_bundle or True,
        timeout=portal.request_timeout,
        retry=portal.retry(),
    )
    form = {
        "client_id": str(entry.get("client_id") or ""),
        "auth_token": str(entry.get("refresh_token") or ""),
        "token_type_hint": "refresh_token",
        "f": "json",
    }
    try:
        transport.call("POST", "oauth2/revokeToken", data=form, authenticated=False)
    except PortalError as exc:
        return exc.message
    finally:
        transport.close()
    return None
