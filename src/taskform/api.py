"""The Python API, for notebooks and scripts: the same engine as the command line.

    import taskform
    from arcgis.gis import GIS

    gis = GIS("home")
    portal = taskform.Portal.from_token(gis.url, gis._con.token)
    config = taskform.load("taskform/")
    plan = taskform.plan(config, portal)
    print(taskform.render_text(plan))
    report = taskform.apply(plan, portal)

Everything here is re-exported from :mod:`taskform` (imported on first use, so
``import taskform`` stays light). Errors are :class:`taskform.errors.TaskformError` and its
subclasses (``ConfigError`` carries every problem with file and line). Secrets and
credentials are registered with the scrubber exactly as the CLI does, so the rendered views
never show them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from taskform import redact
from taskform.changes import ApplyReport, Plan
from taskform.config.loader import Config, load_config
from taskform.plan.drift import DriftItem, classify
from taskform.plan.safety import check_safety
from taskform.portal.client import PortalClient
from taskform.render import render_json, render_markdown, render_text
from taskform.workflow.applier import apply_plan
from taskform.workflow.connect import register_config_secrets, register_credentials
from taskform.workflow.snapshot import Snapshot, snapshot

__all__ = [
    "Portal",
    "apply",
    "drift",
    "load",
    "plan",
    "render_json",
    "render_markdown",
    "render_text",
]


class Portal(PortalClient):
    """A portal connection: the CLI's REST client, with constructors for scripts."""

    @classmethod
    def from_token(cls, url: str, token: str, *, ca_bundle: str | None = None) -> Portal:
        """Use a token someone already has, e.g. ``GIS("home")._con.token`` in ArcGIS
        Notebooks. ``url`` is the portal's URL as a person types it."""
        redact.register(token)
        return cls(url, token=token, verify=ca_bundle or True)

    @classmethod
    def from_password(
        cls, url: str, username: str, password: str, *, ca_bundle: str | None = None
    ) -> Portal:
        """Sign in with a username and password (``generateToken``; renewed when it expires)."""
        if password != username:
            redact.register(password)
        return cls(url, username=username, password=password, verify=ca_bundle or True)

    @classmethod
    def from_environment(
        cls, url: str | None = None, *, env: Mapping[str, str] = os.environ
    ) -> Portal:
        """Credentials from ``ARCGIS_TOKEN``, ``ARCGIS_API_KEY`` or ``ARCGIS_USERNAME`` +
        ``ARCGIS_PASSWORD``, as the CLI takes them; ``url`` defaults to ``ARCGIS_URL``."""
        where = url or env.get("ARCGIS_URL")
        if not where:
            raise ValueError("no portal URL: pass url= or set ARCGIS_URL")
        register_credentials(env)
        client = PortalClient.from_env(where, env, verify=env.get("ARCGIS_CA_BUNDLE") or True)
        client.__class__ = cls  # same state; only the constructors differ
        return client  # type: ignore[return-value]


def load(path: str | os.PathLike[str] = "taskform.yaml", *, resolve: bool = True) -> Config:
    """Read and check the configuration (a file or a directory), as ``validate`` does.
    ``resolve=False`` leaves ``${env:}`` / ``${secret:}`` unresolved (offline checking)."""
    config = load_config(Path(path), resolve=resolve)
    if resolve:
        register_config_secrets(config)
    return config


def _snapshot(config: Config, portal: PortalClient) -> Snapshot:
    return snapshot(
        config,
        portal,
        describe=portal.get_json,
        items=portal.search_items,
        usernames=portal.usernames,
    )


def plan(config: Config, portal: PortalClient) -> Plan:
    """What ``apply`` would change (read-only): ``plan.changes``, ``plan.summary``."""
    return _snapshot(config, portal).plan


def apply(
    the_plan: Plan, portal: PortalClient, *, parallelism: int = 10, force: bool = False
) -> ApplyReport:
    """Apply a plan made by :func:`plan`; ``report.ok`` says whether every change applied.
    The delete safety limit holds unless ``force``."""
    if not force:
        check_safety(the_plan)
    return apply_plan(the_plan, portal, parallelism=parallelism)


def drift(config: Config, portal: PortalClient) -> Sequence[DriftItem]:
    """Every difference between the portal and ``config``, each with its ``kind``."""
    snap = _snapshot(config, portal)
    return classify(snap.plan, snap.config.tasks, snap.live, snap.states)


def _claim_the_names() -> None:
    """``taskform.plan`` is also the name of a subpackage. Once this module is imported the
    API function is the package's attribute (as :mod:`taskform` declares it for type
    checkers); the subpackage stays importable as before (``from taskform.plan import x``)."""
    import taskform

    taskform.plan = plan


_claim_the_names()
