"""``taskform probe`` against the emulator under two readings, and its profile replayed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.emulator import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
ITEM = "029b61ca770e428d9468a2a55f40b9fb"
QUIRKS = (
    "fills_start_date",
    "max_occurrences_default_10",
    "org_list_partial",
    "state_change_bumps_updated",
    "types_single_value",
    "update_reactivates_completed",
    "validation_errors_as_500",
)


def items_file(tmp: Path) -> Path:
    path = tmp / "items.json"
    path.write_text(json.dumps([{"id": ITEM, "owner": "admin", "type": "Notebook", "title": "N"}]))
    return path


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmulatorProcess, EmulatorProcess]]:
    items = items_file(tmp_path_factory.mktemp("probe"))
    base = ("--items", str(items), "--strict-items")
    quirks = [a for q in QUIRKS for a in ("--quirk", q)]
    with (
        EmulatorProcess().start(*base) as plain,
        EmulatorProcess().start(*base, *quirks, "--limit", "ExecuteNotebooksUserLimit=5") as quirky,
    ):
        yield plain, quirky


def probe(emu: EmulatorProcess, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCGIS_", "TASKFORM_"))}
    env.update(ARCGIS_URL=emu.url, ARCGIS_USERNAME="admin", ARCGIS_PASSWORD="admin")
    return subprocess.run(
        [sys.executable, "-m", "taskform", "probe", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_read_only_probe_writes_nothing(
    pair: tuple[EmulatorProcess, EmulatorProcess], tmp_path: Path
) -> None:
    plain, _ = pair
    plain.reset_stats()
    result = probe(plain, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "org-wide list (allScheduledTasks)" in result.stdout
    assert "Read-only run" in result.stdout
    assert plain.stats()["writes"] == 0


def test_two_portals_differ_and_a_profile_replays_one(
    pair: tuple[EmulatorProcess, EmulatorProcess], tmp_path: Path
) -> None:
    plain, quirky = pair
    first = probe(plain, tmp_path, "--write", "--item", ITEM, "--out", "plain.json")
    second = probe(quirky, tmp_path, "--write", "--item", ITEM, "--out", "quirky.json")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    plain_profile = json.loads((tmp_path / "plain.json").read_text())
    quirky_profile = json.loads((tmp_path / "quirky.json").read_text())
    assert plain_profile["quirks"] == [] and "Quirks this portal showed: none." in first.stdout
    assert quirky_profile["quirks"] == sorted(QUIRKS)
    assert quirky_profile["limits"]["ExecuteNotebooksUserLimit"] == 5
    assert plain.all_tasks() == [] and quirky.all_tasks() == []  # the disposable task is gone
    findings = {f["behaviour"]: f["observed"] for f in quirky_profile["findings"]}
    assert findings["maxOccurrences when createTask sends none"] == "10"
    assert findings["error code of a bad schedule"] == "500"
    assert findings["update of a completed task"].startswith("restarts it")
    plain_findings = {f["behaviour"]: f["observed"] for f in plain_profile["findings"]}
    assert plain_findings["update of a completed task"].startswith("leaves it")
    assert plain_findings["maxOccurrences=-1 (unlimited)"] == "accepted"
    with EmulatorProcess().start(
        "--items", str(items_file(tmp_path)), "--profile", str(tmp_path / "quirky.json")
    ) as replay:
        third = probe(replay, tmp_path, "--write", "--item", ITEM, "--out", "replay.json")
        assert third.returncode == 0, third.stderr
    replayed = json.loads((tmp_path / "replay.json").read_text())
    assert replayed["quirks"] == quirky_profile["quirks"]
    assert replayed["limits"] == quirky_profile["limits"]


def test_write_needs_an_item(pair: tuple[EmulatorProcess, EmulatorProcess], tmp_path: Path) -> None:
    result = probe(pair[0], tmp_path, "--write")
    assert result.returncode == 1 and "--item" in result.stderr
