"""Injected faults, request statistics, seed repeatability, concurrency."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.conftest import Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

LIST = "community/users/admin/tasks"
CREATE = "community/users/admin/tasks/createTask"


def raw_get(emu: EmulatorProcess, token: str, path: str = LIST) -> requests.Response:
    return requests.get(emu.rest(path), params={"f": "json"}, headers=emu.auth(token), timeout=10)


def test_fault_settings_roundtrip(emu: EmulatorProcess) -> None:
    assert emu.faults() == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "rate_limit_rate": 0.0,
        "drop_after_commit_rate": 0.0,
        "token_ttl_requests": 0,
        "job_error_count": 0,
    }
    merged = emu.set_faults(error_rate=0.25)
    assert merged["error_rate"] == 0.25 and merged["latency_ms"] == 0 and len(merged) == 6
    assert emu.set_faults(latency_ms=5)["error_rate"] == 0.25  # merge, not replace


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"latency_ms": -1},
        {"latency_ms": 1.5},
        {"token_ttl_requests": "3"},
        {"rate_limit_rate": True},
        {"bogus": 1},
        [1, 2],
    ],
)
def test_fault_settings_are_validated(emu: EmulatorProcess, body: Any) -> None:
    response = requests.post(f"{emu.url}/__emulator/faults", json=body, timeout=10)
    assert response.status_code == 400 and "error" in response.json()
    assert emu.faults()["error_rate"] == 0.0


def test_error_rate_answers_503_and_does_nothing(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_faults(error_rate=1.0)
    response = requests.post(
        emu.rest(CREATE),
        data={"f": "json", **task_form()},
        headers=emu.auth(admin.token),
        timeout=10,
    )
    assert response.status_code == 503
    assert not response.headers["Content-Type"].startswith("application/json")
    token = emu.token()  # generateToken is never faulted
    emu.clear_faults()
    assert raw_get(emu, token).json()["total"] == 0


def test_rate_limit_answers_429_with_retry_after(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_faults(rate_limit_rate=1.0)
    response = raw_get(emu, admin.token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_partial_rates(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_faults(error_rate=0.3, rate_limit_rate=0.3)
    codes = [raw_get(emu, admin.token).status_code for _ in range(200)]
    assert 20 < codes.count(503) < 100
    assert 10 < codes.count(429) < 100
    assert codes.count(200) > 40


def test_drop_after_commit(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_faults(drop_after_commit_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            emu.rest(CREATE),
            data={"f": "json", **task_form(title="dropped")},
            headers=emu.auth(admin.token),
            timeout=10,
        )
    # reads are never dropped, and the write was committed
    listing = admin.listing()
    assert [t["title"] for t in listing["tasks"]] == ["dropped"]
    task_id = listing["tasks"][0]["id"]
    with pytest.raises(requests.ConnectionError):
        requests.post(
            emu.rest(f"{LIST}/{task_id}/disable"),
            data={"f": "json"},
            headers=emu.auth(admin.token),
            timeout=10,
        )
    assert admin.task(task_id)["taskState"] == "paused"
    # a refused write (validation error) commits nothing and is answered normally
    body = admin.post(CREATE, **task_form(type="Nope"))
    assert error_of(body)[0] == 400
    stats = emu.stats()
    assert stats["writes"] == 3 and stats["commits"] == 2
    assert isinstance(stats["write_span_s"], float) and stats["write_span_s"] >= 0


def test_drop_after_commit_persists_first(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    with EmulatorProcess().start("--state", str(state)) as emu:
        token = emu.token()
        emu.set_faults(drop_after_commit_rate=1.0)
        with pytest.raises(requests.ConnectionError):
            requests.post(
                emu.rest(CREATE),
                data={"f": "json", **task_form()},
                headers=emu.auth(token),
                timeout=10,
            )
    with EmulatorProcess().start("--state", str(state)) as emu:
        assert len(emu.all_tasks()) == 1


def test_token_ttl_requests(emu: EmulatorProcess) -> None:
    emu.set_faults(token_ttl_requests=3)
    token = emu.token()
    for _ in range(3):
        assert "total" in raw_get(emu, token).json()
    assert raw_get(emu, token).json() == {
        "error": {"code": 498, "message": "Invalid token.", "details": []}
    }
    fresh = emu.token()  # a new token works again
    assert "total" in raw_get(emu, fresh).json()
    emu.set_faults(token_ttl_requests=0)  # off: every token works, counts restart
    assert "total" in raw_get(emu, token).json()


def test_token_ttl_does_not_apply_to_api_keys(emu: EmulatorProcess) -> None:
    emu.set_faults(token_ttl_requests=1)
    for _ in range(3):
        assert "total" in raw_get(emu, "key-for-first-user").json()


def test_latency(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_faults(latency_ms=300)
    started = time.monotonic()
    raw_get(emu, admin.token)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    requests.get(f"{emu.url}/__emulator/stats", timeout=10)  # control endpoints: no latency
    assert time.monotonic() - started < 0.3


def test_stats(emu: EmulatorProcess, admin: Api) -> None:
    emu.reset_stats()
    task_id = admin.create()
    admin.listing()
    admin.listing()
    admin.task(task_id)
    admin.post(f"{LIST}/{task_id}/disable")
    admin.get("portals/self")
    stats = emu.stats()
    assert stats["requests"] == 6 and stats["writes"] == 2
    assert stats["by_route"] == {
        "POST community/users/{user}/tasks/createTask": 1,
        "GET community/users/{user}/tasks": 2,
        "GET community/users/{user}/tasks/{task_id}": 1,
        "POST community/users/{user}/tasks/{task_id}/disable": 1,
        "GET portals/self": 1,
    }
    emu.token()
    assert emu.stats()["by_route"]["POST generateToken"] == 1
    reset = emu.reset_stats()
    assert reset == {"requests": 0, "writes": 0, "commits": 0, "by_route": {}, "write_span_s": None}
    requests.get(f"{emu.url}/__emulator/tasks", timeout=10)
    assert emu.stats()["requests"] == 0  # control endpoints are not counted


def fault_pattern(seed: str) -> list[int]:
    with EmulatorProcess().start("--seed", seed) as emu:
        token = emu.token()
        emu.set_faults(error_rate=0.3, rate_limit_rate=0.2)
        return [raw_get(emu, token, "community/self").status_code for _ in range(40)]


def test_seed_makes_faults_repeatable() -> None:
    first, again, other = fault_pattern("7"), fault_pattern("7"), fault_pattern("8")
    assert first == again
    assert first != other
    assert {503, 429, 200} <= set(first)


@pytest.fixture(scope="module")
def busy_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("busy") / "state.json"


@pytest.fixture(scope="module")
def busy(busy_state: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess().start("--active-task-limit", "0", "--state", str(busy_state)) as emu:
        yield emu


def test_parallel_creates_lose_nothing(busy: EmulatorProcess, busy_state: Path) -> None:
    token = busy.token()
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            with requests.Session() as session:
                for i in range(25):
                    body = session.post(
                        busy.rest(CREATE),
                        data={"f": "json", **task_form(title=f"{n}-{i}")},
                        headers=busy.auth(token),
                        timeout=30,
                    ).json()
                    with lock:
                        ids.append(body["taskId"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(ids) == 200 and len(set(ids)) == 200
    live = busy.all_tasks()
    assert sorted(t["id"] for t in live) == sorted(ids)
    assert len({t["title"] for t in live}) == 200
    on_disk = json.loads(busy_state.read_text())["tasks"]  # the last write holds every task
    assert sorted(t["id"] for t in on_disk) == sorted(ids)


def test_parallel_enable_disable_keeps_consistent_state(busy: EmulatorProcess) -> None:
    busy.reset()
    api = Api(busy, busy.token())
    task_ids = [api.create(title=str(i)) for i in range(10)]

    def flip(task_id: str) -> None:
        for action in ("disable", "enable", "disable"):
            api.post(f"{LIST}/{task_id}/{action}")

    threads = [threading.Thread(target=flip, args=(t,)) for t in task_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(t["taskState"] == "paused" for t in busy.all_tasks())
    assert api.listing()["total"] == 10


def test_parallel_creates_never_exceed_the_active_limit(emu: EmulatorProcess) -> None:
    token = emu.token()
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(5):
            body = requests.post(
                emu.rest(CREATE),
                data={"f": "json", **task_form(title=f"{n}-{i}")},
                headers=emu.auth(token),
                timeout=30,
            ).json()
            with lock:
                answers.append(body)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 40
    assert sum(1 for a in answers if a.get("success")) == 20  # the default limit
    assert sum(1 for a in answers if "error" in a) == 20
    assert len(emu.all_tasks()) == 20
