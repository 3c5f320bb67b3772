"""The process: first line, signals, state file persistence, corrupt state, option errors."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.emulator.conftest import Api, task_form
from tests.support.emulator import EmulatorProcess
from tests.support.tls import self_signed


def test_first_line_and_help() -> None:
    with EmulatorProcess().start() as emu:
        assert re.fullmatch(
            r"taskform emulator listening on http://127\.0\.0\.1:\d+", emu.first_line
        )
        assert int(emu.url.rsplit(":", 1)[1]) > 0
    result = subprocess.run(
        [sys.executable, "-m", "taskform.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0
    for option in (
        "--host",
        "--port",
        "--state",
        "--user",
        "--admin",
        "--api-key",
        "--seed",
        "--active-task-limit",
        "--token-expiration-max",
    ):
        assert option in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_cleanly(sig: int) -> None:
    emu = EmulatorProcess().start()
    assert emu.stop(sig) == 0
    assert "Traceback" not in emu.stderr_text()


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "portal.json"
    with EmulatorProcess().start("--state", str(state)) as emu:
        api = Api(emu, emu.token())
        kept = api.create(title="kept", maxOccurrences="7")
        gone = api.create(title="gone")
        api.post(f"community/users/admin/tasks/{gone}/delete")
        paused = api.create(title="paused")
        api.post(f"community/users/admin/tasks/{paused}/disable")
        run = emu.record_run(kept, "succeeded", result="fine")
        before = api.listing()
        token = api.token
    assert not [p for p in tmp_path.iterdir() if p.name != "portal.json"]  # no temp files left
    with EmulatorProcess().start("--state", str(state)) as emu:
        api = Api(emu, token)  # tokens survive too
        after = api.listing()
        assert after["tasks"] == [
            dict(t, **{k: after["tasks"][i][k] for k in ("nextStart",) if k in t})
            for i, t in enumerate(before["tasks"])
        ]
        assert [t["title"] for t in after["tasks"]] == ["kept", "paused"]
        assert after["tasks"][1]["taskState"] == "paused"
        assert api.get(f"community/users/admin/tasks/{kept}/runs")["runs"] == [run]
        assert api.task(kept)["lastStart"] == run["created"]


def test_every_change_is_on_disk_before_the_response(tmp_path: Path) -> None:
    state = tmp_path / "portal.json"
    with EmulatorProcess().start("--state", str(state)) as emu:
        api = Api(emu, emu.token())
        task_id = api.create(title="one")
        on_disk = json.loads(state.read_text())
        assert [t["id"] for t in on_disk["tasks"]] == [task_id]
        api.post(f"community/users/admin/tasks/{task_id}/disable")
        assert json.loads(state.read_text())["tasks"][0]["state"] == "paused"


def test_a_change_that_cannot_be_saved_is_refused_and_undone(tmp_path: Path) -> None:
    state = tmp_path / "portal.json"
    with EmulatorProcess().start("--state", str(state)) as emu:
        api = Api(emu, emu.token())
        kept = api.create(title="kept")
        state.unlink()
        state.mkdir()  # os.replace onto a directory fails
        body = api.post("community/users/admin/tasks/createTask", **task_form(title="lost"))
        assert body["error"]["code"] == 500
        body = api.post(f"community/users/admin/tasks/{kept}/disable")
        assert body["error"]["code"] == 500
        assert [(t["title"], t["taskState"]) for t in api.listing()["tasks"]] == [
            ("kept", "active")
        ]
        state.rmdir()
        api.create(title="saved again")
        assert len(json.loads(state.read_text())["tasks"]) == 2


def test_state_file_is_created_at_start(tmp_path: Path) -> None:
    state = tmp_path / "new.json"
    with EmulatorProcess().start("--state", str(state)):
        assert json.loads(state.read_text())["tasks"] == []


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format": "something-else", "version": 1, "tasks": []}',
        '{"format": "taskform-emulator-state", "version": 99, "tasks": []}',
        '{"format": "taskform-emulator-state", "version": 1, "tasks": [{"id": 5}]}',
        '{"format": "taskform-emulator-state", "version": 1}',
    ],
)
def test_corrupt_state_file_is_refused_and_left_alone(tmp_path: Path, content: str) -> None:
    state = tmp_path / "portal.json"
    state.write_text(content)
    result = EmulatorProcess().run_to_exit("--state", str(state))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(state) in lines[0]
    assert "Traceback" not in result.stderr
    assert state.read_text() == content  # not overwritten


def test_unreadable_state_file(tmp_path: Path) -> None:
    """A state path that cannot be read as a file (a directory: unreadable even for root)."""
    state = tmp_path / "portal.json"
    state.mkdir()
    result = EmulatorProcess().run_to_exit("--state", str(state))
    assert result.returncode == 2  # a usage error: the option names a directory
    assert "is a directory" in result.stderr
    assert "Traceback" not in result.stderr and state.is_dir()


def test_state_file_that_is_not_text(tmp_path: Path) -> None:
    state = tmp_path / "portal.json"
    state.write_bytes(b"\xff\xfe\x00garbage")
    result = EmulatorProcess().run_to_exit("--state", str(state))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert state.read_bytes() == b"\xff\xfe\x00garbage"


def test_state_in_a_missing_directory(tmp_path: Path) -> None:
    result = EmulatorProcess().run_to_exit("--state", str(tmp_path / "no" / "such" / "x.json"))
    assert result.returncode == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--user", "nopassword"),
        ("--admin", "ghost"),
        ("--api-key", "k:ghost"),
        ("--port", "-1"),
        ("--active-task-limit", "-1"),
    ],
)
def test_bad_options(args: tuple[str, ...]) -> None:
    result = EmulatorProcess().run_to_exit(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_port_in_use() -> None:
    with EmulatorProcess().start() as emu:
        port = emu.url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "taskform.emulator", "--port", port],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert requests.get(emu.rest(), params={"f": "json"}, timeout=10).ok


def test_users_and_admins_from_options() -> None:
    args = ("--user", "ann:pw1", "--user", "ben:pw2", "--admin", "ben")
    with EmulatorProcess().start(*args) as emu:
        ann = Api(emu, emu.token("ann", "pw1"))
        assert ann.get("community/self")["role"] == "org_user"
        assert ann.get("community/users/ben")["role"] == "org_admin"
        body = requests.post(
            emu.rest("generateToken"),
            data={"username": "admin", "password": "admin", "f": "json"},
            timeout=10,
        ).json()
        assert "error" in body  # no default admin when users are given


def test_https_with_a_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with EmulatorProcess().start("--tls-cert", str(cert), "--tls-key", str(key)) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        root = requests.get(emu.rest(), params={"f": "json"}, verify=str(cert), timeout=10)
        assert "currentVersion" in root.json()
    assert EmulatorProcess().run_to_exit("--tls-cert", str(cert)).returncode == 2


def test_request_log_never_shows_query_strings() -> None:
    emu = EmulatorProcess().start("--log-requests")
    token = emu.token()
    requests.get(emu.rest("community/self"), params={"f": "json", "token": token}, timeout=10)
    assert emu.stop() == 0
    log = emu.stderr_text()
    assert "GET /sharing/rest/community/self 200" in log
    assert "POST /sharing/rest/generateToken 200" in log
    assert token not in log and "token=" not in log


def test_quiet_by_default() -> None:
    emu = EmulatorProcess().start()
    requests.get(emu.rest("community/self"), params={"f": "json"}, timeout=10)
    assert emu.stop() == 0
    assert emu.stderr_text() == ""
