"""Concurrent page reads: 16 at once by default, and fewer at once after the portal says 429."""

from __future__ import annotations

import threading
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from taskform.portal import PortalClient
from taskform.portal.transport.throttle import Gate
from tests.portal.conftest import MakeClient
from tests.support.stub import FakeTasks, StubPortal, task_json

LIST = "community/users/jo/tasks"
LIMITED = Response("<h1>Too Many Requests</h1>", status=429, headers={"Retry-After": "0"})


class Counting:
    """Serves the listing; counts how many page reads are in flight at once and answers 429
    to a read that arrives while ``allowed`` or more are in flight."""

    def __init__(self, tasks: FakeTasks, allowed: int | None = None, hold: float = 0.05) -> None:
        self.tasks, self.allowed, self.hold = tasks, allowed, hold
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.limited = 0

    def __call__(self, request: Request) -> Any:
        with self.lock:
            if self.allowed is not None and self.in_flight >= self.allowed:
                self.limited += 1
                return LIMITED
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.hold)  # long enough for the other reads to overlap
            return self.tasks.listing(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def fake(n: int) -> FakeTasks:
    return FakeTasks(tasks=[task_json(f"{i:032x}", title=f"T{i}") for i in range(n)])


def test_the_remaining_pages_are_read_sixteen_at_once(
    stub: StubPortal, client: PortalClient
) -> None:
    server = Counting(fake(2000))
    stub.route("GET", LIST, server)
    live = client.list_tasks(["jo"])["jo"]
    assert len(live) == 2000
    assert len(stub.calls("GET", LIST)) == 20  # one request per page, never per task
    assert client.read_concurrency == 16
    assert 8 < server.peak <= 16  # 19 remaining pages, bounded by the read concurrency


def test_after_429s_fewer_pages_are_read_at_once(stub: StubPortal, make_client: MakeClient) -> None:
    server = Counting(fake(3000), allowed=4)
    stub.route("GET", LIST, server)
    client = make_client()
    live = client.list_tasks(["jo"])["jo"]
    assert len(live) == 3000
    calls = len(stub.calls("GET", LIST))
    assert calls == 30 + server.limited  # every 429 retried once it was allowed again
    gate = client._http.gate
    assert gate.throttles == server.limited >= 1
    assert gate.limit is not None  # a limit of its own now, grown back by one per run of successes
    # Without backing off, each of the 29 concurrent pages would be refused at every round.
    assert server.limited < 29


def test_gate_halves_once_per_round_and_grows_back() -> None:
    gate = Gate()
    tickets = []
    holders = [gate.slot() for _ in range(8)]
    for holder in holders:
        tickets.append(holder.__enter__())
    for holder in holders[:6]:
        holder.__exit__(None, None, None)
    gate.throttled(tickets[0])  # 2 left in flight + this one: 3 // 2
    assert gate.limit == 1
    gate.throttled(tickets[1])  # the same round: no second cut
    assert gate.limit == 1 and gate.throttles == 2
    for holder in holders[6:]:
        holder.__exit__(None, None, None)
    gate.succeeded()
    assert gate.limit == 2
    gate.succeeded()
    gate.succeeded()
    assert gate.limit == 3
