"""The task type registry: one module per portal task type, each the one home of its rules."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from taskform import tasktypes
from taskform.config.loader import load_config
from taskform.errors import ConfigError
from taskform.plan import normalize
from taskform.portal.resources import codec
from taskform.schemas import load_schema


def test_every_module_with_a_type_is_registered_once() -> None:
    found = []
    for info in pkgutil.iter_modules(tasktypes.__path__):
        module = importlib.import_module(f"taskform.tasktypes.{info.name}")
        if hasattr(module, "TYPE"):
            found.append(module.TYPE.name)
    assert sorted(found) == sorted(tasktypes.NAMES)
    assert len(set(tasktypes.NAMES)) == len(tasktypes.NAMES) == 7


def test_the_schema_enum_and_the_item_rule_follow_the_registry() -> None:
    task = load_schema()["$defs"]["task"]["properties"]
    assert tuple(task["type"]["enum"]) == tasktypes.NAMES
    itemless = [t.name for t in tasktypes.REGISTRY.values() if not t.needs_item]
    assert itemless == ["ExecuteReport"]
    assert "except ExecuteReport" in task["item_id"]["description"]


def test_item_types_use_the_portals_names() -> None:
    fits = {name: rules.item_types for name, rules in tasktypes.REGISTRY.items()}
    assert fits["ExecuteNotebook"] == ("Notebook",)
    assert fits["UpdateInsightsWorkbook"] == ("Insights Workbook",)
    assert fits["ExecuteSceneCook"] == ("Scene Service",)
    assert fits["ExecuteReport"] == ()  # not documented: not checked


def test_notebook_parameters_round_trip_and_defaults() -> None:
    declared = {"notebookParameters": {"region": "west"}}
    encoded = codec.encode_parameters("ExecuteNotebook", declared)
    assert encoded == {"notebookParameters": '{"region": "west"}'}
    assert normalize.parameters("ExecuteNotebook", encoded) == {
        "notebookParameters": {"region": "west"},
        "updatePortalItem": False,
        "saveInjectedParameters": False,
    }
    # Text that is not JSON is kept, so the plan shows it rather than hiding a difference.
    assert tasktypes.get("ExecuteNotebook").decode({"notebookParameters": "{bad"}) == {
        "notebookParameters": "{bad"
    }
    assert tasktypes.get("ExecuteNotebook").decode({"notebookParameters": " "}) == {
        "notebookParameters": {}
    }


def test_unknown_types_pass_parameters_through() -> None:
    params = {"notebookParameters": {"a": 1}}
    assert codec.encode_parameters("SomethingNew", params) == params
    assert normalize.parameters("SomethingNew", params) == params
    assert tasktypes.get(None) is tasktypes.UNKNOWN


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("type: GPService\n    item_id: " + "a" * 32, "missing 'task_url'"),
        ("type: ExecuteReport", "missing 'parameters': an ExecuteReport task needs them"),
        ("type: ExecuteSceneCook\n    item_id: " + "a" * 32, "an ExecuteSceneCook task needs"),
        (
            "type: ExecuteNotebook\n    item_id: " + "a" * 32 + "\n    task_url: http://x/y",
            "task_url does not apply to ExecuteNotebook tasks",
        ),
        ("type: UpdateInsightsWorkbook", "missing 'item_id': an UpdateInsightsWorkbook task"),
    ],
)
def test_each_types_rules_reach_the_loader(tmp_path: Path, task: str, message: str) -> None:
    path = tmp_path / "tasks.yaml"
    text = f"version: 1\nowner: a\ntasks:\n  - title: T\n    schedule: '0 2 * * *'\n    {task}\n"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={})
    (problem,) = raised.value.problems
    assert message in problem.message
    assert problem.line in (4, 8)


def test_the_runnable_types_are_the_ones_taskform_run_can_start() -> None:
    # executeNotebook and submitJob are the public APIs; the others only the scheduler starts.
    assert tasktypes.RUNNABLE == ("ExecuteNotebook", "GPService")
    assert not tasktypes.get("ExecuteReport").runnable
    assert not tasktypes.get("no such type").runnable
