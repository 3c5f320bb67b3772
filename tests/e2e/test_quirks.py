"""plan / apply / converge under every reading of what the portal's documentation leaves open.

One emulator process per quirk (and one with none): the same configuration must apply and then
plan "No changes", a changed configuration must converge too, and a completed task that is
updated must stay inactive whatever the portal does on update. See FIDELITY.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskform.emulator.server.quirks import QUIRKS
from tests.e2e.conftest import ITEM, Cli
from tests.support.emulator import EmulatorProcess

GP_URL = "https://gis.example.com/server/rest/services/Tools/GPServer/Trace"
GP_ITEM = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"


def config(hour: int, end: str = "2030-01-01T00:00:00Z") -> str:
    """Tasks of two owners: with and without the optional fields, inactive, GPService."""
    return f"""\
version: 1
owner: admin
tasks:
  - title: Bare
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 {hour} * * *"
  - title: Full
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "30 {hour} * * 1-5"
    max_occurrences: 40
    start_date: 2026-12-01T00:00:00Z
    end_date: {end}
    parameters: {{updatePortalItem: true, notebookParameters: {{region: west}}}}
  - title: Paused
    type: UpdateInsightsWorkbook
    item_id: {ITEM}
    schedule: "15 {hour} * * *"
    active: false
  - title: Trace
    type: GPService
    item_id: {GP_ITEM}
    task_url: {GP_URL}
    schedule: "0 {hour} * * SUN"
    parameters: {{Trace_Type: upstream}}
  - title: Jo's
    owner: jo
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "5 {hour} * * *"
"""


@pytest.fixture(scope="module", params=["(none)", *QUIRKS])
def quirk_emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    quirk = ["--quirk", request.param] if request.param != "(none)" else []
    users = ("--user", "admin:s3cret-pw", "--user", "jo:jo-pw-123", "--admin", "admin")
    with EmulatorProcess().start(*users, "--active-task-limit", "0", *quirk) as emu:
        yield emu


@pytest.fixture
def qcli(quirk_emulator: EmulatorProcess, tmp_path: Path) -> Cli:
    quirk_emulator.reset()
    return Cli(quirk_emulator, tmp_path)


def converge(cli: Cli, text: str) -> None:
    (cli.cwd / "taskform.yaml").write_text(text)
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_apply_converges_a_change_converges_and_a_completed_task_stays_off(qcli: Cli) -> None:
    converge(qcli, config(hour=2))
    tasks = {t["title"]: t for t in qcli.emu.all_tasks()}
    assert len(tasks) == 5
    assert tasks["Trace"]["taskUrl"] == GP_URL
    assert tasks["Paused"]["active"] is False
    assert tasks["Full"]["maxOccurrences"] == 40
    converge(qcli, config(hour=3, end="2031-01-01T00:00:00Z"))
    tasks = {t["title"]: t for t in qcli.emu.all_tasks()}
    assert tasks["Bare"]["cronSchedule"]["hour"] == "3"
    assert tasks["Full"]["endDate"] == 1924992000000  # 2031-01-01
    assert tasks["Trace"]["taskUrl"] == GP_URL and tasks["Paused"]["active"] is False
    # then a completed task is updated: it must stay switched off
    bare = next(t for t in qcli.emu.all_tasks() if t["title"] == "Bare")
    # make it finish: one occurrence, one run (as another client or the portal UI would)
    form = {"title": "Bare", "type": "ExecuteNotebook", "itemId": ITEM, "maxOccurrences": "1"}
    form.update(minute="0", hour="3", dayOfMonth="*", month="*", dayOfWeek="?")
    assert qcli.post(f"community/users/admin/tasks/{bare['id']}/update", **form)["success"]
    qcli.emu.record_run(bare["id"], "succeeded")
    assert next(t for t in qcli.emu.all_tasks() if t["id"] == bare["id"])["active"] is False
    # a schedule change with lifecycle.completed left at keep: updated, and still not running
    converge(qcli, config(hour=4))
    after = next(t for t in qcli.emu.all_tasks() if t["id"] == bare["id"])
    assert after["cronSchedule"]["hour"] == "4"
    assert after["active"] is False


def test_a_create_refused_with_code_500_is_checked_by_listing_never_resent_blindly(
    tmp_path: Path,
) -> None:
    users = ("--user", "admin:s3cret-pw", "--admin", "admin")
    limit = ("--limit", "ExecuteNotebooksUserLimit=1", "--quirk", "validation_errors_as_500")
    with EmulatorProcess().start(*users, *limit) as emu:
        cli = Cli(emu, tmp_path)
        (tmp_path / "taskform.yaml").write_text(
            f"""\
version: 1
tasks:
  - {{title: One, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 1 * * *"}}
  - {{title: Two, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
"""
        )
        emu.reset_stats()
        result = cli("apply", "--auto-approve", "--retries", "2", "--parallelism", "1")
        assert result.returncode == 1
        out = result.stdout + result.stderr
        assert "ExecuteNotebooksUserLimit" in out  # the portal's own message reaches the user
        assert "the portal's task list shows it was not created" in out
        assert [t["title"] for t in emu.all_tasks()] == ["One"]
        routes = emu.stats()["by_route"]
        creates = routes["POST community/users/{user}/tasks/createTask"]
        lists = routes["GET community/users/{user}/tasks"]
        # every resend of the refused create came after a listing that showed it missing
        assert creates == 3 and lists >= 1 + (creates - 1)
