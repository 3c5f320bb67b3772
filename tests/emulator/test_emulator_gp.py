"""GP task descriptions served by the emulator (gpserver.py) and their control endpoint."""

from __future__ import annotations

from typing import Any

import requests

from taskform.tasktypes.gpservice import description_errors
from tests.emulator.conftest import error_of
from tests.support.emulator import EmulatorProcess
from tests.tasktypes.test_gpservice import TRACE

PATH = "/server/rest/services/Emu/Trace/GPServer/Trace"


def register(emu: EmulatorProcess, path: str, description: Any, **extra: Any) -> Any:
    response = requests.post(
        f"{emu.url}/__emulator/gp", json={"path": path, "description": description, **extra}
    )
    return response.status_code, response.json()


def describe(emu: EmulatorProcess, path: str, **kw: Any) -> Any:
    kw.setdefault("params", {"f": "json"})
    response = requests.get(f"{emu.url}{path}", timeout=10, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_registered_description_is_served_with_or_without_a_token(emu: EmulatorProcess) -> None:
    assert register(emu, PATH, TRACE) == (200, {"path": PATH, "secured": False, "reads": 0})
    assert describe(emu, PATH) == TRACE
    assert description_errors(describe(emu, PATH)) == []
    token = emu.token("admin", "admin")
    assert describe(emu, PATH, params={"f": "json"}, headers=emu.auth(token)) == TRACE
    assert describe(emu, PATH + "/", params={"f": "json", "token": token}) == TRACE
    listed = requests.get(f"{emu.url}/__emulator/gp", timeout=10).json()["tasks"]
    assert {"path": PATH, "secured": False, "reads": 4} in listed


def test_tokens_are_checked_when_sent_and_required_when_secured(emu: EmulatorProcess) -> None:
    register(emu, PATH, TRACE, secured=True)
    assert error_of(describe(emu, PATH)) == (499, "Token Required.")
    assert error_of(describe(emu, PATH, headers=emu.auth("not-a-token"))) == (498, "Invalid token.")
    assert describe(emu, PATH, headers=emu.auth(emu.token("admin", "admin"))) == TRACE


def test_unknown_services_and_tasks(emu: EmulatorProcess) -> None:
    register(emu, PATH, TRACE)
    missing = describe(emu, "/server/rest/services/Emu/Nope/GPServer/Trace")
    assert error_of(missing) == (404, "Service Emu/Nope/GPServer not found")
    other_task = describe(emu, "/server/rest/services/Emu/Trace/GPServer/Other")
    assert error_of(other_task) == (400, "Unable to complete operation.")


def test_formats_and_removal(emu: EmulatorProcess) -> None:
    register(emu, PATH, TRACE)
    page = requests.get(f"{emu.url}{PATH}", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and "Trace" in page.text
    assert register(emu, PATH, None) == (200, {"path": PATH, "removed": True})
    assert error_of(describe(emu, PATH))[0] == 404


def test_bad_control_requests(emu: EmulatorProcess) -> None:
    assert register(emu, "/no/task/here", TRACE)[0] == 400
    assert register(emu, PATH, ["not", "an", "object"])[0] == 400
    assert register(emu, PATH, TRACE, secured="yes")[0] == 400
    assert requests.post(f"{emu.url}/__emulator/gp", data="{", timeout=10).status_code == 400
    assert requests.delete(f"{emu.url}/__emulator/gp", timeout=10).status_code == 405


def test_gp_requests_are_not_counted_in_the_portal_stats(emu: EmulatorProcess) -> None:
    register(emu, PATH, TRACE)
    describe(emu, PATH)
    assert emu.stats()["requests"] == 0
