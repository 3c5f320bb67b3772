"""The quick schema proof agrees with jsonschema: it never calls valid what has an error."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from taskform.config import files, yamlpos
from taskform.schemas import fast, validator

FIXTURES = Path(__file__).parent.parent / "fixtures"
FILES = sorted(
    p for p in FIXTURES.glob("*_configs/**/*") if p.suffix in (".yaml", ".yml") and p.is_file()
)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def document(path: Path) -> Any:
    try:
        return files.read_file(str(path)).data
    except yamlpos.YamlError:
        return None


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_is_judged_as_jsonschema_judges_it(path: Path) -> None:
    data = document(path)
    if data is None:
        return  # not YAML the loader accepts: no schema step
    full = not list(validator().iter_errors(data))
    assert fast.valid(data) == full


def big() -> dict[str, Any]:
    tasks = [
        {
            "title": f"Task {i}",
            "type": "ExecuteNotebook",
            "item_id": ITEM,
            "schedule": f"{i % 60} 2 * * *",
            "parameters": {"notebookParameters": {"region": "west"}},
        }
        for i in range(300)
    ]
    return {"version": 1, "owner": "admin", "tasks": tasks}


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["tasks"][299].update(max_occurrences=0),  # the same values before, one new
        lambda d: d["tasks"][150].update(item_id="nope"),
        lambda d: d["tasks"][10].update(colour="red"),  # not a property
        lambda d: d["tasks"][20].pop("title"),  # required
        lambda d: d["tasks"][30].update(schedule=["0 2 * * *"]),
        lambda d: d["tasks"].append("a string"),
        lambda d: d.update(prune="yes"),  # outside the tasks
        lambda d: d["tasks"][40].update(active=1),  # 1 is not true
    ],
)
def test_one_bad_value_among_many_good_ones_is_noticed(spoil: Any) -> None:
    data = big()
    assert fast.valid(data) and not list(validator().iter_errors(data))
    spoiled = copy.deepcopy(data)
    spoil(spoiled)
    assert list(validator().iter_errors(spoiled))
    assert not fast.valid(spoiled)
