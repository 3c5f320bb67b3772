"""End-to-end fixtures: the real emulator process and the real ``taskform`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.emulator import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


@dataclass
class Cli:
    """Runs ``python -m taskform`` against one emulator, as a user would."""

    emu: EmulatorProcess
    cwd: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCGIS_")}
        env.update(ARCGIS_URL=self.emu.url, ARCGIS_USERNAME="admin", ARCGIS_PASSWORD="s3cret-pw")
        env.update(extra)
        return env

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "taskform", *args],
            cwd=self.cwd,
            env=env if env is not None else self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # -- acting as "another client" directly on the REST API ---------------------------------

    def token(self) -> str:
        return self.emu.token("admin", "s3cret-pw")

    def create(self, title: str, owner: str = "admin", **form: Any) -> str:
        data = {
            "title": title,
            "type": "ExecuteNotebook",
            "itemId": ITEM,
            "minute": "0",
            "hour": "2",
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
            "f": "json",
        }
        data.update({k: str(v) for k, v in form.items()})
        body = requests.post(
            self.emu.rest(f"community/users/{owner}/tasks/createTask"),
            data=data,
            headers=self.emu.auth(self.token()),
            timeout=10,
        ).json()
        assert body.get("success"), body
        return str(body["taskId"])

    def post(self, path: str, **form: Any) -> dict[str, Any]:
        body: dict[str, Any] = requests.post(
            self.emu.rest(path),
            data={"f": "json", **{k: str(v) for k, v in form.items()}},
            headers=self.emu.auth(self.token()),
            timeout=10,
        ).json()
        return body

    def tasks(self, owner: str = "admin") -> list[dict[str, Any]]:
        return [t for t in self.emu.all_tasks() if t["userId"] == owner]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    state = tmp_path_factory.mktemp("portal") / "state.json"
    with EmulatorProcess().start(
        "--user",
        "admin:s3cret-pw",
        "--user",
        "jo:jo-pw-123",
        "--user",
        "sam:sam-pw-123",
        "--admin",
        "admin",
        "--active-task-limit",
        "0",
        "--seed",
        "7",
        "--state",
        str(state),
    ) as emu:
        yield emu


@pytest.fixture
def cli(emulator: EmulatorProcess, tmp_path: Path) -> Cli:
    emulator.reset()
    return Cli(emulator, tmp_path)
