"""What several commands share: loading the configuration, the portal client, the snapshot."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from taskform import __version__
from taskform.cli.collector import building
from taskform.cli.targets import check_known, only
from taskform.config.loader import Config, load_config
from taskform.errors import Problem, TaskformError
from taskform.schedule.lint import lint
from taskform.workflow.connect import PortalOptions, connect, register_config_secrets

if TYPE_CHECKING:  # the portal client and the planner load on use: validate needs neither
    from taskform.portal.client import PortalClient
    from taskform.workflow.snapshot import Snapshot


def load(config_path: str, *, resolve: bool = True) -> Config:
    """The configuration, its secret values registered for scrubbing."""
    with building():
        config = load_config(config_path, resolve=resolve)
    register_config_secrets(config)
    return config


def schedule_warnings(
    config: Config, *, collision_threshold: int, now: datetime | None = None
) -> list[Problem]:
    """The schedule lint of :mod:`taskform.schedule.lint` for the declared tasks."""
    now = now or datetime.now(timezone.utc)
    return lint(config.present, now, collision_threshold=collision_threshold)


def strict_failure(warnings: Sequence[Problem]) -> TaskformError:
    count = len(warnings)
    return TaskformError(
        f"{count} schedule warning{'s' if count != 1 else ''} and --strict:\n"
        + "\n".join(f"  {w}" for w in warnings)
    )


def take_snapshot(
    config_path: str, portal: PortalOptions, targets: Sequence[str] = ()
) -> tuple[Snapshot, str, PortalClient]:
    """Load, sign in, read live and plan; with ``targets`` (``--target``) the plan holds only
    those tasks."""
    with building():
        from taskform.workflow.snapshot import snapshot

        config = load(config_path)
        client, url = connect(portal, config)
        snap = snapshot(
            config,
            client,
            describe=client.get_json,
            items=client.search_items,
            usernames=client.usernames,
        )
    if targets:
        keys = [t.key for t in snap.config.tasks]
        keys += [t.key for tasks in snap.live.values() for t in tasks]
        check_known(targets, keys)
        snap = dataclasses.replace(snap, plan=only(snap.plan, targets))
    return snap, url, client


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
