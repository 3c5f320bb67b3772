"""No cyclic collection while a command builds what it keeps (:mod:`taskform.cli.collector`),
and nothing lost by it: the collector is back on afterwards and cyclic garbage is still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from taskform.cli import common
from taskform.cli.collector import building
from taskform.workflow.connect import PortalOptions
from tests.support.emulator import EmulatorProcess


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection the cyclic collector runs during the test."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def test_the_block_runs_without_collections_and_its_objects_end_up_oldest(
    collections: list[int],
) -> None:
    assert gc.isenabled()
    with building():
        assert not gc.isenabled()
        kept = [Node() for _ in range(5 * gc.get_threshold()[0])]
        assert collections == []
    assert gc.isenabled()
    assert gc.get_count()[0] < gc.get_threshold()[0]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(node) in oldest for node in kept[:: len(kept) // 10])


def test_cyclic_garbage_made_in_the_block_is_still_freed() -> None:
    with building():
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
    assert gone() is not None  # a cycle: reference counting cannot free it
    gc.collect()
    assert gone() is None


def test_the_collector_is_back_on_after_an_error() -> None:
    with pytest.raises(ZeroDivisionError), building():
        _ = 1 / 0
    assert gc.isenabled()


def test_nested_blocks_and_a_collector_switched_off_by_the_caller() -> None:
    with building():
        with building():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block decides
    assert gc.isenabled()
    gc.disable()
    try:
        with building():
            pass
        assert not gc.isenabled()  # left as the caller set it
    finally:
        gc.enable()


def test_a_snapshot_runs_no_collection(tmp_path: Path, collections: list[int]) -> None:
    """Loading, signing in, reading and planning 300 tasks: with Python's default threshold
    (the test process keeps it) that is dozens of collections; inside :func:`building` none."""
    config = tmp_path / "taskform.yaml"
    tasks = [
        {
            "title": f"Task {i}",
            "type": "ExecuteNotebook",
            "item_id": f"{i:032x}",
            "schedule": f"{i % 60} 2 * * *",
        }
        for i in range(300)
    ]
    config.write_text(yaml.safe_dump({"version": 1, "tasks": tasks}))
    with EmulatorProcess().start("--user", "alice:pw") as emu:
        mp = pytest.MonkeyPatch()
        mp.setenv("ARCGIS_USERNAME", "alice")
        mp.setenv("ARCGIS_PASSWORD", "pw")
        try:
            collections.clear()
            snap, _, client = common.take_snapshot(str(config), PortalOptions(url=emu.url))
            during = list(collections)
        finally:
            mp.undo()
        client.close()
    assert len(snap.config.tasks) == 300
    assert len(snap.plan.changes) == 300
    assert during == []
    assert gc.isenabled()
