"""Golden plan scenarios: one folder per case under tests/scenarios/.

Each folder holds ``taskform.yaml`` (the desired state; a directory ``config/`` works too),
``live.json`` (the portal's task objects, exactly as the REST API returns them), optional
``env.json`` (environment for ${env:} / ${secret:}), optional ``runs.json`` and ``lint.json``
for the schedule lint (see :func:`_lint`), and the expected outputs: ``warnings.txt`` (the
schedule lint, when there is any; the plan lists the same warnings): ``expected.txt``
(text plan) and ``expected.json`` (plan JSON), or ``expected.error`` for a plan that must fail.
The signed-in user is ``admin``. A new planning rule costs a folder, not Python.

Regenerate expected files after an intended change with ``UPDATE_GOLDEN=1 ./scripts/test
tests/plan/test_scenarios.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pytest

from taskform.config.loader import load_config
from taskform.errors import Problem, TaskformError
from taskform.model import DesiredTask, LiveTask, Run
from taskform.portal.resources.codec import run_from_json, task_from_json
from taskform.render import render_json, render_text
from taskform.schedule.lint import lint
from taskform.workflow.overlap import overlap_warnings
from taskform.workflow.snapshot import snapshot
from tests.conftest import check_golden
from tests.support.fakes import MemoryPortal

ROOT = Path(__file__).resolve().parent.parent / "scenarios"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
USER = "admin"
CASES = sorted(p.name for p in ROOT.iterdir() if p.is_dir())


def _plan_outputs(case: Path) -> tuple[str, str]:
    env_file = case / "env.json"
    env = json.loads(env_file.read_text()) if env_file.exists() else {}
    source = Path("config") if (case / "config").is_dir() else Path("taskform.yaml")
    tasks = [task_from_json(raw) for raw in json.loads((case / "live.json").read_text())]
    # The real workflow (sign-in, owners, live, lifecycle states, plan) over an in-memory
    # portal holding exactly the live tasks.
    snap = snapshot(load_config(source, env=env, now=NOW), MemoryPortal(USER, tasks), now=NOW)
    config, plan = snap.config, snap.plan
    live: dict[str, list[LiveTask]] = defaultdict(list)
    for task in tasks:
        live[task.owner].append(task)
    warnings = _lint(case, tuple(config.present), live)
    if warnings:
        shown = tuple(f"schedule: {w}" for w in warnings)
        plan = dataclasses.replace(plan, warnings=plan.warnings + shown)
    if warnings or (case / "warnings.txt").exists():
        check_golden(case / "warnings.txt", "".join(f"{w}\n" for w in warnings))
    return render_text(plan), render_json(plan)


class _RunsPortal(MemoryPortal):
    """The live tasks, and the runs of ``runs.json`` (task id -> runs, as the REST API returns
    them) for the overlap lint to read."""

    def __init__(self, tasks: list[LiveTask], runs: dict[str, list[Run]]) -> None:
        super().__init__(USER, tasks)
        self.runs = runs

    def list_runs(self, owner: str, task_id: str) -> list[Run]:
        return self.runs.get(task_id, [])


def _lint(
    case: Path, tasks: tuple[DesiredTask, ...], live: dict[str, list[LiveTask]]
) -> list[Problem]:
    """The schedule lint ``plan`` adds: offline rules, and overlaps on one item as ``plan``
    finds them (:func:`overlap_warnings`, reading the runs in ``runs.json``). ``lint.json`` may
    set ``collision_threshold``."""
    options = json.loads((case / "lint.json").read_text()) if (case / "lint.json").exists() else {}
    found = lint(tasks, NOW, collision_threshold=options.get("collision_threshold", 10))
    runs_file = case / "runs.json"
    runs = {
        task_id: [run_from_json(r) for r in raw]
        for task_id, raw in (
            json.loads(runs_file.read_text()) if runs_file.exists() else {}
        ).items()
    }
    portal = _RunsPortal([t for owned in live.values() for t in owned], runs)
    return found + overlap_warnings(portal, tasks, live, NOW)


@pytest.mark.parametrize("name", CASES)
def test_scenario(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = ROOT / name
    monkeypatch.chdir(case)
    error_file = case / "expected.error"
    if error_file.exists() and not os.environ.get("UPDATE_GOLDEN"):
        with pytest.raises(TaskformError) as info:
            _plan_outputs(case)
        assert str(info.value) + "\n" == error_file.read_text(encoding="utf-8")
        return
    try:
        text, document = _plan_outputs(case)
    except TaskformError as exc:
        if os.environ.get("UPDATE_GOLDEN") and error_file.exists():
            error_file.write_text(str(exc) + "\n", encoding="utf-8")
            return
        raise
    check_golden(case / "expected.txt", text)
    check_golden(case / "expected.json", document)
    for secret in (
        json.loads((case / "env.json").read_text()).values() if (case / "env.json").exists() else ()
    ):
        assert secret not in text and secret not in document
