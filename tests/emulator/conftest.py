"""Fixtures for the emulator suite: real emulator processes spoken to over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.emulator import EmulatorProcess

ITEM = "029b61ca770e428d9468a2a55f40b9fb"
ITEM2 = "5b1a9c07d3e84f6b9a2c4e1f0d8b7a63"
API_KEY_ALICE = "key-for-alice"
API_KEY_DEFAULT = "key-for-first-user"
USERS = ("--user", "admin:admin", "--user", "alice:alicepw", "--user", "bob:bobpw")
STANDARD_ARGS = (
    *USERS,
    "--admin",
    "admin",
    "--api-key",
    f"{API_KEY_ALICE}:alice",
    "--api-key",
    API_KEY_DEFAULT,
)


def task_form(**overrides: Any) -> dict[str, Any]:
    """A valid createTask/update form: a weekday 02:00 notebook run."""
    form: dict[str, Any] = {
        "type": "ExecuteNotebook",
        "itemId": ITEM,
        "title": "Nightly",
        "minute": "0",
        "hour": "2",
        "dayOfMonth": "?",
        "month": "*",
        "dayOfWeek": "2-6",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


class Api:
    """A signed-in client: JSON in, JSON out, f=json always, token in X-Esri-Authorization."""

    def __init__(self, emu: EmulatorProcess, token: str) -> None:
        self.emu = emu
        self.token = token

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = requests.get(
            self.emu.rest(path),
            params={"f": "json", **params},
            headers=self.emu.auth(self.token),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        response = requests.post(
            self.emu.rest(path),
            data={"f": "json", **data},
            headers=self.emu.auth(self.token),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def tasks_path(self, owner: str, suffix: str = "") -> str:
        return f"community/users/{owner}/tasks" + (f"/{suffix}" if suffix else "")

    def create(self, owner: str = "admin", **overrides: Any) -> str:
        body = self.post(self.tasks_path(owner, "createTask"), **task_form(**overrides))
        assert body.get("success") is True, body
        return str(body["taskId"])

    def task(self, task_id: str, owner: str = "admin") -> dict[str, Any]:
        return self.get(self.tasks_path(owner, task_id))

    def listing(self, owner: str = "admin", **params: Any) -> dict[str, Any]:
        return self.get(self.tasks_path(owner), **params)


def error_of(body: dict[str, Any]) -> tuple[int, str]:
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["details"], list)
    return error["code"], error["message"]


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess().start(*STANDARD_ARGS) as emu:
        yield emu


@pytest.fixture
def emu(shared_emulator: EmulatorProcess) -> EmulatorProcess:
    """The shared emulator, emptied (tasks, runs, faults, clock, stats) for this test."""
    shared_emulator.reset()
    return shared_emulator


@pytest.fixture
def admin(emu: EmulatorProcess) -> Api:
    return Api(emu, emu.token("admin", "admin"))


@pytest.fixture
def alice(emu: EmulatorProcess) -> Api:
    return Api(emu, emu.token("alice", "alicepw"))


@pytest.fixture
def bob(emu: EmulatorProcess) -> Api:
    return Api(emu, emu.token("bob", "bobpw"))
