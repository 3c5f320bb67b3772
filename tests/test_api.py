"""The Python API against the emulator process: load, plan, apply, drift, Portal.from_token;
and ``import taskform`` stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import taskform
from taskform.errors import ConfigError
from tests.support.emulator import EmulatorProcess

ITEM = "029b61ca770e428d9468a2a55f40b9fb"
CONFIG = f"""\
version: 1
tasks:
  - title: Nightly
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * 1-5"
    parameters:
      notebookParameters: {{key: "${{secret:API_SECRET_X}}"}}
"""


def test_import_taskform_loads_no_engine() -> None:
    code = "import sys, taskform; print(sorted(m for m in sys.modules if m.startswith('taskform')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "['taskform']"


def test_load_plan_apply_drift_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_SECRET_X", "very-secret-value-42")
    (tmp_path / "taskform.yaml").write_text(CONFIG)
    with EmulatorProcess().start("--user", "admin:pw-12345") as emu:
        token = emu.token("admin", "pw-12345")  # as GIS("home") would hold it
        portal = taskform.Portal.from_token(emu.url, token)
        config = taskform.load(tmp_path / "taskform.yaml")
        first = taskform.plan(config, portal)
        assert first.summary == {"create": 1, "update": 0, "delete": 0, "unchanged": 0}
        text = taskform.render_text(first)
        assert "+ admin/Nightly" in text
        report = taskform.apply(first, portal)
        assert report.ok
        assert taskform.plan(config, portal).empty
        assert list(taskform.drift(config, portal)) == []
        other = taskform.Portal.from_password(emu.url, "admin", "pw-12345")
        assert other.signed_in_user() == "admin"
        env = {"ARCGIS_URL": emu.url, "ARCGIS_TOKEN": token}
        assert taskform.Portal.from_environment(env=env).signed_in_user() == "admin"


def test_load_reports_problems_and_can_stay_offline(tmp_path: Path) -> None:
    (tmp_path / "taskform.yaml").write_text(CONFIG.replace("schedule:", "schedul:"))
    with pytest.raises(ConfigError) as caught:
        taskform.load(tmp_path / "taskform.yaml", resolve=False)
    assert caught.value.problems[0].line == 6
    (tmp_path / "taskform.yaml").write_text(CONFIG)
    offline = taskform.load(tmp_path / "taskform.yaml", resolve=False)
    assert [t.title for t in offline.tasks] == ["Nightly"]


def test_the_errors_to_catch_come_from_taskform_itself(tmp_path: Path) -> None:
    from taskform import errors

    assert taskform.ConfigError is errors.ConfigError
    assert taskform.PortalError is errors.PortalError
    assert taskform.TaskformError is errors.TaskformError
    (tmp_path / "taskform.yaml").write_text(CONFIG.replace("schedule:", "schedul:"))
    with pytest.raises(taskform.TaskformError):
        taskform.load(tmp_path / "taskform.yaml", resolve=False)


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = taskform.nope


def test_the_plan_function_wins_over_the_subpackage_name() -> None:
    code = (
        "from taskform.plan import planner\n"
        "import taskform\n"
        "taskform.load\n"
        "print(callable(taskform.plan), taskform.plan.__module__)\n"
        "from taskform.plan import planfile\n"
        "print(planfile.__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["True", "taskform.api", "taskform.plan.planfile"]
