"""``taskform logout``: forget the refresh token ``taskform login`` stored for a portal."""

from __future__ import annotations

import os

import click

from taskform.cli.options import common_options, out, portal_options
from taskform.portal.oauth import TokenFile, default_token_file
from taskform.portal.urls import parse_portal_url
from taskform.workflow.connect import PortalOptions, portal_url


@click.command()
@portal_options
@common_options
def logout(portal: PortalOptions) -> int:
    """Remove the stored sign-in (refresh token) for the portal."""
    url = parse_portal_url(portal_url(portal, None))
    store = TokenFile(default_token_file(os.environ))
    if store.remove(url.portal):
        out(f"Signed out of {url.portal}: removed its refresh token from {store.path}.")
    else:
        out(f"No stored sign-in for {url.portal} (in {store.path}).")
    return 0
