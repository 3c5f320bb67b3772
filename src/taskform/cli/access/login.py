"""``taskform login``: sign in through the browser (OAuth 2.0, authorization code with PKCE) and
store the refresh token for later commands; for organisations that sign in with SAML or MFA."""

from __future__ import annotations

import os
import secrets
import sys
import time
import webbrowser

import click

from taskform.cli.options import common_options, out, portal_options
from taskform.errors import AuthError, BadResponse
from taskform.portal.auth.oauth import (
    LoopbackReceiver,
    TokenFile,
    authorization_url,
    default_token_file,
    entry_for,
    pkce_pair,
)
from taskform.portal.transport.http import Transport
from taskform.portal.urls import parse_portal_url
from taskform.workflow.connect import PortalOptions, portal_url


@click.command()
@portal_options
@click.option(
    "--client-id",
    envvar="ARCGIS_CLIENT_ID",
    help="Client id of an OAuth app registered in the portal, with redirect URI "
    "http://127.0.0.1 (also $ARCGIS_CLIENT_ID). The emulator knows 'taskform'.",
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL; do not open a browser.")
@click.option(
    "--timeout",
    "wait",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds to wait for the sign-in in the browser.",
)
@common_options
def login(client_id: str | None, no_browser: bool, wait: float, portal: PortalOptions) -> int:
    """Sign in through the browser and store the refresh token (mode 0600).

    Later commands use it when the environment holds no credential."""
    if not client_id:
        raise AuthError(
            "pass --client-id (or set ARCGIS_CLIENT_ID): the client id of an app registered in "
            "the portal whose redirect URIs include http://127.0.0.1"
        )
    url = parse_portal_url(portal_url(portal, None))
    state = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    receiver = LoopbackReceiver(state)
    try:
        address = authorization_url(url.rest, client_id, receiver.redirect_uri, challenge, state)
        out(f"Sign in to {url.portal} in your browser:\n{address}")
        sys.stdout.flush()
        if not no_browser:
            webbrowser.open(address)
        code = receiver.wait(wait)
    finally:
        receiver.close()
    transport = Transport(
        url.rest,
        credentials=None,
        referer=url.portal,
        verify=portal.ca_bundle or True,
        timeout=portal.request_timeout,
        retry=portal.retry(),
    )
    try:
        form = {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": receiver.redirect_uri,
            "code_verifier": verifier,
            "f": "json",
        }
        answer = transport.call("POST", "oauth2/token", data=form, authenticated=False)
    finally:
        transport.close()
    if not isinstance(answer.get("refresh_token"), str):
        raise BadResponse(
            "oauth2/token answered without a refresh_token", request="POST oauth2/token"
        )
    store = TokenFile(default_token_file(os.environ))
    store.put(url.portal, entry_for(answer, client_id, receiver.redirect_uri, time.time()))
    who = answer.get("username")
    as_whom = f" as {who}" if isinstance(who, str) else ""
    out(
        f"Signed in to {url.portal}{as_whom}. The refresh token is stored in {store.path} "
        "(readable by you only); taskform uses it when no credential is in the environment. "
        "'taskform logout' removes it."
    )
    return 0
