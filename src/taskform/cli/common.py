"""What several commands share: loading the configuration, the portal client, the snapshot."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from taskform import __version__, redact, secrets
from taskform.cli.targets import check_known, only
from taskform.config.loader import Config, load_config
from taskform.errors import TaskformError
from taskform.portal.client import PortalClient
from taskform.portal.retry import RetryPolicy
from taskform.workflow.snapshot import Snapshot, snapshot


def load(config_path: str, *, resolve: bool = True) -> Config:
    config = load_config(config_path, resolve=resolve)
    for task in config.tasks:
        redact.register(*secrets.declared_values(task.parameters, task.secrets))
    return config


def client(config: Config | None, opts: dict[str, Any]) -> tuple[PortalClient, str]:
    url = opts.get("portal_url") or os.environ.get("ARCGIS_URL") or (config and config.portal)
    if not url:
        raise TaskformError(
            "no portal URL: pass --portal URL, set ARCGIS_URL, or add 'portal:' to the config"
        )
    retry = RetryPolicy(max_attempts=opts["retries"], max_total=opts["retry_max_time"])
    client = PortalClient.from_env(url, verify=opts.get("ca_bundle") or True, retry=retry)
    return client, url.rstrip("/")


def take_snapshot(
    config_path: str, opts: dict[str, Any], targets: Sequence[str] = ()
) -> tuple[Snapshot, str, PortalClient]:
    """Load, sign in, read live and plan; with ``targets`` (``--target``) the plan holds only
    those tasks."""
    config = load(config_path)
    portal, url = client(config, opts)
    snap = snapshot(config, portal, describe=portal.get_json)
    if targets:
        keys = [t.key for t in snap.config.tasks]
        keys += [t.key for tasks in snap.live.values() for t in tasks]
        check_known(targets, keys)
        snap = dataclasses.replace(snap, plan=only(snap.plan, targets))
    return snap, url, portal


def plan_meta(snap: Snapshot, url: str, config_path: str) -> dict[str, Any]:
    return {
        "taskform_version": __version__,
        "created_at": datetime.now(timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "portal": url,
        "config": os.path.abspath(config_path),
        "config_digest": snap.config.digest(),
    }
