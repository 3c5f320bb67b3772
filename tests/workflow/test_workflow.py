"""Which owners a configuration manages, and the snapshot through an in-memory portal."""

from __future__ import annotations

from pathlib import Path

from taskform.config.loader import load_config
from taskform.workflow.snapshot import managed_owners, snapshot
from tests.support.fakes import MemoryPortal, live_task


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_file_naming_an_owner_with_no_tasks_still_manages_that_owner(tmp_path: Path) -> None:
    write(tmp_path / "bob.yaml", "version: 1\nowner: bob\nprune: true\ntasks: []\n")
    write(tmp_path / "jo.yaml", "version: 1\nowner: jo\nprune: true\ntasks: []\n")
    config = load_config(tmp_path, env={})
    assert config.file_owners == ("bob", "jo")
    assert managed_owners(config, "admin") == ("bob", "jo")
    portal = MemoryPortal(tasks=[live_task("bob", "Old"), live_task("admin", "Mine")])
    snap = snapshot(config, portal)
    assert [(c.action.value, c.owner, c.title) for c in snap.plan.changes] == [
        ("delete", "bob", "Old")
    ]


def test_an_empty_configuration_without_owner_manages_the_signed_in_user(tmp_path: Path) -> None:
    write(tmp_path / "taskform.yaml", "version: 1\nprune: true\ntasks: []\n")
    config = load_config(tmp_path / "taskform.yaml", env={})
    assert managed_owners(config, "admin") == ("admin",)


def test_per_task_owners_never_make_the_signed_in_user_managed(tmp_path: Path) -> None:
    write(
        tmp_path / "taskform.yaml",
        "version: 1\nprune: true\ntasks:\n  - {title: T, owner: sam, absent: true}\n",
    )
    config = load_config(tmp_path / "taskform.yaml", env={})
    assert managed_owners(config.resolve_owner("admin"), "admin") == ("sam",)
