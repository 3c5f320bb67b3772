"""Items checked at plan time (batched, all problems at their lines, nothing written), and a
task that moved to another owner with its notebook recognised instead of created again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Cli
from tests.support.emulator import EmulatorProcess

MINE = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
WORKBOOK = "1f2e3d4c5b6a47988776655443322110"
JOS = "2a3b4c5d6e7f48091a2b3c4d5e6f7a8b"
UNKNOWN = "c4d2e8f1a9b34c7d8e6f5a4b3c2d1e0f"
ITEMS = [
    {"id": MINE, "owner": "admin", "type": "Notebook", "title": "Parcels"},
    {"id": WORKBOOK, "owner": "admin", "type": "Insights Workbook", "title": "Sales"},
    {"id": JOS, "owner": "jo", "type": "Notebook", "title": "Jo's private notebook"},
]


@pytest.fixture(scope="module")
def strict_emulator() -> Iterator[EmulatorProcess]:
    users = ("--user", "admin:s3cret-pw", "--user", "jo:jo-pw-123", "--admin", "admin")
    with EmulatorProcess().start(*users, "--strict-items", "--active-task-limit", "0") as emu:
        yield emu


@pytest.fixture
def scli(strict_emulator: EmulatorProcess, tmp_path: Path) -> Cli:
    strict_emulator.reset()
    response = requests.post(f"{strict_emulator.url}/__emulator/items", json=ITEMS, timeout=10)
    assert response.status_code == 200, response.text
    return Cli(strict_emulator, tmp_path)


def task(title: str, item: str, kind: str = "ExecuteNotebook", **extra: Any) -> str:
    lines = [f"  - title: {title}", f"    type: {kind}", f"    item_id: {item}"]
    lines.append('    schedule: "0 2 * * *"')
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_every_item_problem_in_one_run_at_its_line_nothing_written(scli: Cli) -> None:
    text = "version: 1\ntasks:\n" + task("Good", MINE)  # lines 3-6
    text += task("Unknown", UNKNOWN)  # line 7
    text += task("Wrong type", WORKBOOK)  # line 11
    text += task("Not mine", JOS)  # line 15
    many = "".join(task(f"T{i}", MINE) for i in range(150))  # 151 tasks, 4 distinct items
    (scli.cwd / "taskform.yaml").write_text(text + many)
    scli.emu.reset_stats()
    result = scli("plan")
    assert result.returncode == 1, result.stdout + result.stderr
    err = result.stderr
    assert "3 problems in the configuration" in err, err
    assert f"taskform.yaml:7: admin/Unknown: item_id {UNKNOWN}: the portal has no such item" in err
    assert "taskform.yaml:11: admin/Wrong type: item_id" in err
    assert (
        "is an Insights Workbook ('Sales'); an ExecuteNotebook task runs against a Notebook" in err
    )
    assert f"taskform.yaml:15: admin/Not mine: item_id {JOS} belongs to jo" in err
    stats = scli.emu.stats()
    assert stats["writes"] == 0
    assert stats["by_route"].get("POST search") == 1  # one batched search for all items
    # the unknown id was confirmed once (search indexes may lag); no read per task
    assert stats["by_route"].get("GET content/items/{item_id}") == 1


def test_a_task_that_moved_with_its_notebook_is_recognised(scli: Cli) -> None:
    (scli.cwd / "taskform.yaml").write_text("version: 1\ntasks:\n" + task("Nightly", MINE))
    assert scli("apply", "--auto-approve").returncode == 0
    moved = scli.post(f"content/users/admin/items/{MINE}/reassign", targetUsername="jo")
    assert moved["success"] is True
    [jo_task] = scli.tasks("jo")
    assert jo_task["title"] == "Nightly" and jo_task["active"] is False
    result = scli("plan", "--detailed-exitcode")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert f"admin/Nightly moved to jo with its item {MINE}" in out
    assert "not created again" in out
    applied = scli("apply", "--auto-approve")
    assert applied.returncode == 0
    assert scli.tasks("admin") == [] and len(scli.tasks("jo")) == 1
