"""The client against the real emulator process: sign-in, paging, permissions, faults."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from taskform.errors import AuthError, PermissionDenied, PortalError, UnknownOwnersError
from taskform.model import CronFields, DesiredTask
from taskform.portal import PortalClient, RetryPolicy

emulator = pytest.importorskip("tests.support.emulator")

ADMIN_PW = "adm-Pass-9f3e"
JO_PW = "jo-Pass-7b21"
API_KEY = "key-Secret-55aa0c"
FAST = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.05, max_total=10.0)
LIST_ROUTE = "GET community/users/{user}/tasks"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    args = ["--user", f"admin:{ADMIN_PW}", "--admin", "admin", "--user", f"jo:{JO_PW}"]
    args += ["--api-key", f"{API_KEY}:jo", "--active-task-limit", "0", "--seed", "7"]
    with emulator.EmulatorProcess().start(*args) as process:
        yield process


@pytest.fixture
def portal(emu: Any) -> Iterator[Any]:
    emu.reset()
    yield emu
    emu.clear_faults()


def client_for(emu: Any, **kw: Any) -> PortalClient:
    kw.setdefault("retry", FAST)
    if not {"token", "api_key", "username"} & kw.keys():
        kw.update(username="jo", password=JO_PW)
    return PortalClient(emu.url, **kw)


def desired(title: str, owner: str = "jo", **kw: Any) -> DesiredTask:
    return DesiredTask(
        owner=owner,
        title=title,
        type="ExecuteNotebook",
        item_id="029b61ca770e428d9468a2a55f40b9fb",
        cron=CronFields("0", "2", "?", "*", "2-6"),
        parameters={"updatePortalItem": True, "notebookParameters": {"region": "west"}},
        **kw,
    )


@pytest.mark.parametrize("how", ["password", "token", "api_key"])
def test_sign_in(portal: Any, how: str) -> None:
    kw: dict[str, Any] = {
        "password": {"username": "jo", "password": JO_PW},
        "token": {"token": portal.token("jo", JO_PW)},
        "api_key": {"api_key": API_KEY},
    }[how]
    with client_for(portal, **kw) as client:
        assert client.signed_in_user() == "jo"
        assert client.list_tasks(["jo"]) == {"jo": []}
        assert client.is_admin() is False


def test_wrong_password(portal: Any) -> None:
    with (
        client_for(portal, username="jo", password="nope-nope") as client,
        pytest.raises(AuthError) as info,
    ):
        client.signed_in_user()
    assert "Invalid username or password" in str(info.value)
    assert "nope-nope" not in str(info.value)


def test_a_task_round_trips_through_the_portal(portal: Any) -> None:
    with client_for(portal) as client:
        task_id = client.create_task(desired("Nightly", max_occurrences=30))
        (live,) = client.list_tasks(["jo"])["jo"]
        assert (live.id, live.owner, live.title, live.max_occurrences) == (
            task_id,
            "jo",
            "Nightly",
            30,
        )
        assert live.cron == CronFields("0", "2", "?", "*", "2-6")
        assert json.loads(live.parameters["notebookParameters"]) == {"region": "west"}
        client.update_task(task_id, desired("Nightly", schedule="x"), live)
        (after,) = client.list_tasks(["jo"])["jo"]
        assert after.max_occurrences == 30  # not reset by an update that does not manage it
        client.set_active("jo", task_id, False)
        assert client.list_tasks(["jo"])["jo"][0].active is False
        client.set_active("jo", task_id, True)
        assert client.list_tasks(["jo"])["jo"][0].active is True
        portal.record_run(task_id, "failed", created=1)
        portal.record_run(task_id, "succeeded", created=2)
        assert [r.status for r in client.list_runs("jo", task_id)] == ["succeeded", "failed"]
        client.delete_task("jo", task_id)
        assert client.list_tasks(["jo"]) == {"jo": []}
        client.delete_task("jo", task_id)  # already gone: done


def test_250_tasks_are_read_with_three_list_requests(portal: Any) -> None:
    with client_for(portal, username="admin", password=ADMIN_PW, read_concurrency=8) as client:
        client.list_tasks(["jo"])
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda i: client.create_task(desired(f"T{i:03}")), range(250)))
        portal.reset_stats()
        live = client.list_tasks(["jo"])["jo"]
        stats = portal.stats()
    assert sorted(t.id for t in live) == sorted(ids)
    assert stats["by_route"] == {LIST_ROUTE: 3}
    assert stats["requests"] == 3


def test_another_owners_tasks_are_forbidden_naming_the_owner(portal: Any) -> None:
    with client_for(portal) as client, pytest.raises(PermissionDenied) as info:
        client.list_tasks(["admin"])
    assert "tasks of 'admin'" in str(info.value)
    assert info.value.owner == "admin"


def test_an_admin_may_manage_another_users_tasks(portal: Any) -> None:
    with client_for(portal, username="admin", password=ADMIN_PW) as client:
        assert client.is_admin() is True
        task_id = client.create_task(desired("For jo"))
        assert [t.id for t in client.list_tasks(["jo", "admin"])["jo"]] == [task_id]


def test_expiring_tokens_are_renewed(portal: Any) -> None:
    portal.set_faults(token_ttl_requests=3)
    with client_for(portal) as client:
        for i in range(5):
            client.create_task(desired(f"T{i}"))
        assert len(client.list_tasks(["jo"])["jo"]) == 5
    generated = portal.stats()["by_route"].get("POST generateToken", 0)
    assert generated >= 3


def test_an_expiring_fixed_token_is_an_auth_error(portal: Any) -> None:
    portal.set_faults(token_ttl_requests=1)
    with client_for(portal, token=portal.token("jo", JO_PW)) as client:
        client.list_tasks(["jo"])
        with pytest.raises(AuthError, match="invalid or expired"):
            client.list_tasks(["jo"])


def test_a_dropped_create_makes_exactly_one_task(portal: Any) -> None:
    with client_for(portal) as client:
        client.list_tasks(["jo"])
        portal.set_faults(drop_after_commit_rate=1.0)
        task_id = client.create_task(desired("Once"))
        portal.clear_faults()
        live = client.list_tasks(["jo"])["jo"]
    assert [(t.id, t.title) for t in live] == [(task_id, "Once")]
    assert portal.stats()["by_route"]["POST community/users/{user}/tasks/createTask"] == 1


def test_dropped_idempotent_writes_are_retried(portal: Any) -> None:
    patient = RetryPolicy(max_attempts=12, backoff_base=0.01, backoff_max=0.02, max_total=10.0)
    with client_for(portal, retry=patient) as client:
        task_id = client.create_task(desired("Drop"))
        (live,) = client.list_tasks(["jo"])["jo"]
        portal.set_faults(drop_after_commit_rate=0.5)
        client.update_task(task_id, desired("Drop", max_occurrences=3), live)
        portal.set_faults(drop_after_commit_rate=1.0)
        client.set_active("jo", task_id, False)  # committed, dropped; again: nothing to commit
        client.delete_task("jo", task_id)  # committed, dropped; again: 404, which means done
        portal.clear_faults()
        assert client.list_tasks(["jo"]) == {"jo": []}
    updates = portal.stats()["by_route"]["POST community/users/{user}/tasks/{task_id}/update"]
    assert updates >= 1


def test_gateway_errors_are_retried(portal: Any) -> None:
    # The faults come from one seeded sequence shared by every request of the module, so with
    # FAST's 5 attempts an earlier test's request count could make a create run out of them.
    patient = RetryPolicy(max_attempts=12, backoff_base=0.01, backoff_max=0.02, max_total=10.0)
    with client_for(portal, retry=patient) as client:
        client.list_tasks(["jo"])
        portal.set_faults(error_rate=0.3)
        ids = [client.create_task(desired(f"E{i}")) for i in range(8)]
        live = client.list_tasks(["jo"])["jo"]
        portal.clear_faults()
    assert sorted(t.id for t in live) == sorted(ids)  # no duplicates, nothing lost


def test_unknown_user(portal: Any) -> None:
    with client_for(portal) as client, pytest.raises(UnknownOwnersError) as caught:
        client.list_tasks(["nobody"])
    assert caught.value.owners == ("nobody",)
    assert "the portal has no user 'nobody'" in str(caught.value)


def test_get_json_on_the_portal_host(portal: Any) -> None:
    with client_for(portal) as client:
        body = client.get_json(f"{portal.url}/sharing/rest/portals/self")
    assert body["user"]["username"] == "jo"


def test_verbose_logs_never_show_a_credential(
    portal: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = portal.token("jo", JO_PW)
    secrets = [JO_PW, ADMIN_PW, API_KEY, token]
    messages: list[str] = []
    portal.set_faults(token_ttl_requests=2)
    with caplog.at_level(logging.DEBUG):
        with client_for(portal) as client:
            task_id = client.create_task(desired("Secretive"))
            client.list_tasks(["jo"])
            client.delete_task("jo", task_id)
            secrets += client._credentials.secrets()
            messages.append(repr(client))
        for kw in (
            {"token": token},
            {"api_key": API_KEY},
            {"username": "jo", "password": "bad-Pass-1234"},
        ):
            with client_for(portal, **kw) as other:
                messages.append(repr(other))
                try:
                    other.list_tasks(["jo", "admin"])
                except PortalError as exc:
                    messages.append(str(exc))
    secrets.append("bad-Pass-1234")
    assert len(secrets) > 5
    text = caplog.text + "\n".join(messages)
    assert "GET community/users/jo/tasks -> 200" in caplog.text
    for secret in secrets:
        assert secret not in text
