"""Connecting to a portal: the portal options, which URL wins, and what is registered as secret.

No click here: the CLI turns its flags into one :class:`PortalOptions` and calls
:func:`connect`. The URL is taken from, in order, ``--portal``, ``$ARCGIS_URL`` and the
configuration's ``portal:`` (README, "Connecting to a portal"). Credentials come from the
environment (:meth:`PortalClient.from_env`); every credential value, and every ``${secret:}``
value of a loaded configuration, is registered with :mod:`taskform.redact` so no output shows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from taskform import redact, secrets
from taskform.config.loader import Config
from taskform.errors import TaskformError

if TYPE_CHECKING:  # imported when connecting: validate never loads requests nor retries
    from taskform.portal.client import PortalClient
    from taskform.portal.transport.retry import RetryPolicy

#: Environment variables that hold credentials (scrubbed from all output).
CREDENTIAL_VARS = ("ARCGIS_TOKEN", "ARCGIS_API_KEY", "ARCGIS_PASSWORD", "ARCGIS_REFRESH_TOKEN")

NO_URL = "no portal URL: pass --portal URL, set ARCGIS_URL, or add 'portal:' to the config"


@dataclass(frozen=True)
class PortalOptions:
    """How to reach the portal, as given on the command line (or ``TASKFORM_*``)."""

    #: ``--portal``; None: ``$ARCGIS_URL``, else the configuration's ``portal:``.
    url: str | None = None
    #: ``--ca-bundle``: a CA bundle file for TLS verification; None: the system's.
    ca_bundle: str | None = None
    #: ``--retries``: attempts per request on connection errors, HTTP 5xx and 429.
    retries: int = 5
    #: ``--retry-max-time``: seconds one request may spend retrying in all.
    retry_max_time: float = 120.0
    #: ``--request-timeout``: seconds each HTTP request may take in total (not per read).
    request_timeout: float = 30.0

    def retry(self) -> RetryPolicy:
        from taskform.portal.transport.retry import RetryPolicy

        return RetryPolicy(max_attempts=self.retries, max_total=self.retry_max_time)


def portal_url(
    options: PortalOptions, config: Config | None, env: Mapping[str, str] = os.environ
) -> str:
    """The portal URL by precedence (without a trailing slash), or a TaskformError."""
    url = options.url or env.get("ARCGIS_URL") or (config.portal if config else None)
    if not url:
        raise TaskformError(NO_URL)
    return url.rstrip("/")


def connect(
    options: PortalOptions, config: Config | None, env: Mapping[str, str] = os.environ
) -> tuple[PortalClient, str]:
    """A client for the portal (not yet signed in) and its URL."""
    url = portal_url(options, config, env)
    verify: str | bool = options.ca_bundle or True
    from taskform.portal.client import PortalClient

    client = PortalClient.from_env(
        url, env, verify=verify, retry=options.retry(), timeout=options.request_timeout
    )
    return client, url


def register_credentials(env: Mapping[str, str] = os.environ) -> None:
    """Credentials from the environment are scrubbed from all output. A password equal to the
    username (the emulator's admin/admin) is not: it is no secret, and masking the username
    everywhere would garble every owner name."""
    user = env.get("ARCGIS_USERNAME")
    for name in CREDENTIAL_VARS:
        value = env.get(name)
        if value and not (name == "ARCGIS_PASSWORD" and value == user):
            redact.register(value)


def register_config_secrets(config: Config) -> None:
    """Every ``${secret:}`` value of the configuration is scrubbed from all output."""
    for task in config.present:
        redact.register(*secrets.declared_values(task.parameters, task.secrets))
