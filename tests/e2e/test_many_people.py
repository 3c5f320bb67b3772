"""Many people, one portal (contract section 8), end to end against the emulator process:
two real ``taskform apply`` processes at once, owners in any case, prune per file, replace,
rename, duplicates in the portal, and no lost updates between the plan shown and the writes."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import requests

from tests.e2e.conftest import ITEM, Cli
from tests.support.emulator import EmulatorProcess


def write(cli: Cli, text: str, name: str = "taskform.yaml") -> Path:
    path = cli.cwd / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


THREE = f"""\
version: 1
tasks:
  - {{title: Nightly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
  - {{title: Weekly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 3 * * 1"}}
  - {{title: Paused, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 4 * * *",
      active: false}}
"""


def start_apply(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "taskform", "apply", "--auto-approve", *args],
        cwd=cli.cwd,
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_applies_at_once_leave_one_task_per_title_20_times(cli: Cli) -> None:
    """Two applies of the same configuration started together, with latency and faults, 20
    times: exactly one live task per declared title every time, and an empty plan after."""
    write(cli, THREE)
    healed = 0
    for round_ in range(20):
        cli.emu.reset()
        cli.emu.set_faults(latency_ms=15, error_rate=0.03, drop_after_commit_rate=0.03)
        runs = [start_apply(cli), start_apply(cli)]
        outputs = [run.communicate(timeout=120) for run in runs]
        for run, (stdout, stderr) in zip(runs, outputs, strict=True):
            assert run.returncode in (0, 1), (round_, stdout, stderr)
            assert "Traceback" not in stderr
        text = "".join(o + e for o, e in outputs)
        healed += "another run created this task at the same time" in text
        cli.emu.clear_faults()
        titles = Counter(t["title"] for t in cli.tasks())
        assert titles == Counter({"Nightly": 1, "Weekly": 1, "Paused": 1}), (round_, text)
        paused = next(t for t in cli.tasks() if t["title"] == "Paused")
        assert paused["active"] is False, (round_, text)
        again = cli("plan", "--detailed-exitcode")
        assert again.returncode == 0, (round_, again.stdout, text)
    assert healed > 0  # the race really happened: both runs created, one copy was removed


def test_a_run_that_finds_a_copy_says_what_the_other_run_did(cli: Cli) -> None:
    """The healing rule, deterministically: a copy another run made of a task this run
    creates is found after the writes; the oldest copy is kept and the run says so."""
    write(cli, THREE)
    cli.emu.set_faults(latency_ms=400)  # time to add the other run's copy mid-apply
    run = start_apply(cli, "--parallelism", "1")
    deadline = time.monotonic() + 30
    while not cli.tasks() and time.monotonic() < deadline:
        time.sleep(0.05)
    other = cli.create("Weekly", minute="0", hour="3", dayOfWeek="2", dayOfMonth="?")
    stdout, stderr = run.communicate(timeout=120)
    cli.emu.clear_faults()
    assert run.returncode == 0, stdout + stderr
    titles = Counter(t["title"] for t in cli.tasks())
    assert titles == Counter({"Nightly": 1, "Weekly": 1, "Paused": 1}), stdout
    weekly = next(t for t in cli.tasks() if t["title"] == "Weekly")
    # Whichever copy is older is kept: the other run's (ours deleted) or ours (theirs deleted).
    assert "admin/Weekly: another run created this task at the same time" in stdout, stdout
    assert weekly["id"] == other or f"deleted {other}" in stdout
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_owners_and_usernames_match_in_any_case(cli: Cli) -> None:
    write(
        cli,
        f"""\
version: 1
owner: JO
prune: true
tasks:
  - {{title: Nightly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
""",
    )
    cli.create("Stray", owner="jo")
    env = cli.env(ARCGIS_USERNAME="ADMIN")  # generateToken matches usernames in any case
    first = cli("apply", "--auto-approve", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "- jo/Stray" in first.stdout  # the portal's spelling
    assert [t["title"] for t in cli.tasks("jo")] == ["Nightly"]
    again = cli("plan", "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout  # no copies, no delete-and-recreate
    body = requests.get(
        cli.emu.rest("community/users/JO/tasks"),
        params={"f": "json"},
        headers=cli.emu.auth(cli.token()),
        timeout=10,
    ).json()
    assert [t["userId"] for t in body["tasks"]] == ["jo"]


def test_an_owner_with_no_task_yet_gets_the_portal_spelling(cli: Cli) -> None:
    """``owner: SAM`` for user ``sam``, who has no task yet: nothing live tells the spelling,
    so the portal's user record does; the create goes out as ``sam``, and the next plan (one
    owner: the owner's own list; two owners: the org-wide list) is empty."""
    write(
        cli,
        f"""\
version: 1
owner: SAM
prune: true
tasks:
  - {{title: Nightly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
""",
    )
    first = cli("apply", "--auto-approve", "-v")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "+ sam/Nightly" in first.stdout, first.stdout
    assert "SAM" not in first.stdout
    assert "GET community/users/SAM " in first.stderr or "GET community/users/SAM?" in (
        first.stderr
    ), first.stderr
    assert [t["title"] for t in cli.tasks("sam")] == ["Nightly"]
    assert cli("plan", "--detailed-exitcode").returncode == 0
    two = f"""\
version: 1
prune: true
tasks:
  - {{title: Mine, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 5 * * *"}}
  - {{title: Nightly, owner: SAM, type: ExecuteNotebook, item_id: {ITEM},
      schedule: "0 2 * * *"}}
  - {{title: Early, owner: JO, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 1 * * *"}}
"""
    write(cli, two)
    cli.create("Existing")  # admin has a task: the org-wide list serves the three owners
    second = cli("apply", "--auto-approve", "-v")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "GET portals/self/allScheduledTasks" in second.stderr
    assert "+ jo/Early" in second.stdout and "JO" not in second.stdout
    assert [t["title"] for t in cli.tasks("jo")] == ["Early"]
    again = cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout


def test_prune_applies_to_the_owners_of_its_own_file(cli: Cli) -> None:
    write(
        cli,
        f"""\
version: 1
owner: jo
prune: true
tasks:
  - {{title: Declared, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
""",
        "config/jo.yaml",
    )
    write(
        cli,
        f"""\
version: 1
owner: sam
tasks:
  - {{title: Sam's own, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
""",
        "config/sam.yaml",
    )
    cli.create("Jo's stray", owner="jo")
    cli.create("Sam's stray", owner="sam")
    result = cli("apply", "-c", "config", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(t["title"] for t in cli.tasks("jo")) == ["Declared"]
    assert sorted(t["title"] for t in cli.tasks("sam")) == ["Sam's own", "Sam's stray"]


def test_a_type_change_is_a_replace(cli: Cli) -> None:
    write(cli, THREE)
    assert cli("apply", "--auto-approve").returncode == 0
    old = next(t["id"] for t in cli.tasks() if t["title"] == "Weekly")
    write(
        cli, THREE.replace("Weekly, type: ExecuteNotebook", "Weekly, type: UpdateInsightsWorkbook")
    )
    plan = cli("plan", "--format", "json")
    document = json.loads(plan.stdout)
    assert [c["action"] for c in document["changes"]] == ["replace"]
    assert document["summary"]["replace"] == 1
    text = cli("plan")
    assert f"-/+ admin/Weekly ({old})" in text.stdout
    assert '-/+ type: "ExecuteNotebook" -> "UpdateInsightsWorkbook"' in text.stdout
    assert "Plan: 0 to create, 0 to update, 1 to replace, 0 to delete, 2 unchanged." in text.stdout
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    weekly = [t for t in cli.tasks() if t["title"] == "Weekly"]
    assert len(weekly) == 1 and weekly[0]["id"] != old
    assert weekly[0]["type"] == "UpdateInsightsWorkbook"
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_renamed_from_keeps_the_task_and_a_lookalike_create_suggests_it(cli: Cli) -> None:
    write(cli, THREE)
    assert cli("apply", "--auto-approve").returncode == 0
    old = next(t["id"] for t in cli.tasks() if t["title"] == "Nightly")
    write(cli, THREE.replace("title: Nightly,", "title: Nightly parcels,"))
    hint = cli("plan")
    assert 'renamed_from: "Nightly"' in hint.stdout, hint.stdout
    write(cli, THREE.replace("title: Nightly,", "title: Nightly parcels, renamed_from: Nightly,"))
    plan = cli("plan")
    assert f"~ admin/Nightly parcels ({old})" in plan.stdout
    assert '~ title: "Nightly" -> "Nightly parcels"' in plan.stdout
    # Before apply, status shows the live task as the declared one, rename pending.
    status = cli("status", "--format", "json")
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["tasks"]
    assert [(r["title"], r["task_id"], r["state"]) for r in rows] == [
        ("Nightly parcels", old, "active"),
        ("Paused", rows[1]["task_id"], "paused"),
        ("Weekly", rows[2]["task_id"], "active"),
    ], rows
    assert rows[0]["renamed_from"] == "Nightly"
    text = cli("status", "--target", "admin/Nightly parcels").stdout
    assert text.startswith(f"admin/Nightly parcels ({old})\n"), text
    assert "rename pending: the portal still titles it 'Nightly'; apply renames it" in text
    assert "MISSING" not in text and "Status: 1 task(s), 0 failing." in text
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    renamed = [t for t in cli.tasks() if t["title"] == "Nightly parcels"]
    assert [t["id"] for t in renamed] == [old]
    assert "Nightly" not in [t["title"] for t in cli.tasks()]
    assert cli("plan", "--detailed-exitcode").returncode == 0
    after = json.loads(cli("status", "--format", "json").stdout)["tasks"]
    assert after[0]["title"] == "Nightly parcels" and "renamed_from" not in after[0]


def test_duplicates_in_the_portal(cli: Cli) -> None:
    write(cli, THREE)
    first = cli.create("Nightly")
    cli.create("Nightly")  # identical: the newer one is deleted
    cli.create("Weekly", minute="0", hour="3", dayOfWeek="2", dayOfMonth="?")
    cli.create("Weekly", minute="5", hour="3", dayOfWeek="2", dayOfMonth="?")  # differs
    plan = cli("plan")
    assert plan.returncode == 1  # something is blocked; the rest is planned
    assert "admin/Weekly: admin has 2 live tasks titled 'Weekly'" in plan.stdout
    assert "a newer identical copy of " + first in plan.stdout
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "1 task(s) blocked and left alone:" in applied.stderr
    titles = Counter(t["title"] for t in cli.tasks())
    assert titles == Counter({"Nightly": 1, "Weekly": 2, "Paused": 1})
    assert next(t["id"] for t in cli.tasks() if t["title"] == "Nightly") == first
    status = cli("status")
    assert status.returncode == 1
    assert "BLOCKED admin/Weekly" in status.stdout


def test_status_lists_declared_tasks_missing_in_the_portal(cli: Cli) -> None:
    write(cli, THREE)
    cli.create("Nightly")
    status = cli("status", "--format", "json")
    assert status.returncode == 0, status.stderr
    rows = {r["title"]: r for r in json.loads(status.stdout)["tasks"]}
    assert rows["Weekly"]["state"] == "missing" and rows["Weekly"]["task_id"] is None
    assert rows["Paused"]["state"] == "missing"
    assert rows["Nightly"]["state"] == "active"
    text = cli("status")
    assert "MISSING admin/Weekly" in text.stdout
    assert "2 missing" in text.stdout


def test_plan_says_what_apply_will_refuse(cli: Cli) -> None:
    lines = "\n".join(
        f'  - {{title: "T{i}", type: ExecuteNotebook, item_id: {ITEM}, schedule: "{i} 2 * * *"}}'
        for i in range(10)
    )
    write(cli, f"version: 1\nprune: true\ntasks:\n{lines}\n")
    assert cli("apply", "--auto-approve").returncode == 0
    write(cli, "version: 1\nprune: true\ntasks:\n" + lines.split("\n")[0] + "\n")
    plan = cli("plan", "--format", "markdown")
    assert "apply will refuse without --force: the plan deletes 9 of admin's 10" in plan.stdout


def test_a_task_changed_while_the_prompt_waits_is_not_overwritten(cli: Cli) -> None:
    """No lost updates: apply re-reads live right before its writes; a task a person changed
    since the plan was shown is skipped and reported, and the person's change survives."""
    write(cli, THREE)
    assert cli("apply", "--auto-approve").returncode == 0
    weekly = next(t for t in cli.tasks() if t["title"] == "Weekly")
    write(cli, THREE.replace('"0 3 * * 1"', '"0 5 * * 1"'))
    leader, follower = pty.openpty()
    run = subprocess.Popen(
        [sys.executable, "-m", "taskform", "apply"],
        cwd=cli.cwd,
        env=cli.env(),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    assert run.stdout is not None
    seen = b""
    deadline = time.monotonic() + 60
    while b"Apply these changes?" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([run.stdout], [], [], 1)
        if ready:
            seen += os.read(run.stdout.fileno(), 4096)
    assert b"~ admin/Weekly" in seen, seen
    # Meanwhile a person edits a field the configuration does not manage.
    edited = cli.post(
        f"community/users/admin/tasks/{weekly['id']}/update",
        title="Weekly",
        type="ExecuteNotebook",
        itemId=ITEM,
        minute="0",
        hour="3",
        dayOfMonth="?",
        month="*",
        dayOfWeek="2",
        maxOccurrences="42",
    )
    assert edited.get("success"), edited
    time.sleep(1.1)
    os.write(leader, b"yes\n")
    stdout, stderr = run.communicate(timeout=120)
    os.close(leader)
    out = (seen + stdout).decode()
    assert run.returncode == 1, out + stderr.decode()
    assert "changed in the portal since the plan was shown" in out
    now = next(t for t in cli.tasks() if t["title"] == "Weekly")
    assert now["maxOccurrences"] == 42  # the person's change was not overwritten
    assert now["cronSchedule"]["hour"] == "3"  # and nothing stale was written


def test_plan_foresees_the_active_task_limits_per_type(tmp_path: Path) -> None:
    limits = ("--limit", "ExecuteNotebooksUserLimit=2", "--limit", "UpdateInsightsUserLimit=1")
    with EmulatorProcess().start(*limits) as emu:
        cli = Cli(emu, tmp_path)
        env = cli.env(ARCGIS_PASSWORD="admin")
        notebooks = "\n".join(
            f'  - {{title: "N{i}", type: ExecuteNotebook, item_id: {ITEM}, '
            f'schedule: "{i} 2 * * *"}}'
            for i in range(3)
        )
        workbooks = "\n".join(
            f'  - {{title: "W{i}", type: UpdateInsightsWorkbook, item_id: {ITEM}, '
            f'schedule: "{i} 3 * * *"}}'
            for i in range(2)
        )
        write(cli, f"version: 1\ntasks:\n{notebooks}\n{workbooks}\n")
        plan = cli("plan", "--format", "json", env=env)
        assert plan.returncode == 0, plan.stderr
        warnings = json.loads(plan.stdout)["warnings"]
        assert (
            "apply will fail for some tasks of admin: the plan adds 3 active ExecuteNotebook "
            "tasks and the portal allows 2 more (activeTasksAvailable); disable or delete "
            "active tasks first, or declare some of these inactive"
        ) in warnings
        assert any(
            "adds 2 active UpdateInsightsWorkbook tasks" in w and "allows 1 more" in w
            for w in warnings
        ), warnings
        applied = cli("apply", "--auto-approve", env=env)
        assert applied.returncode == 1  # as foreseen: the portal refused two creates
        assert "Apply: 3 applied, 2 failed" in applied.stdout, applied.stdout


def test_plan_says_the_limits_were_not_checked_when_read_from_the_org_list(
    tmp_path: Path,
) -> None:
    """Several owners read from the org-wide list: that list does not tell each owner's
    activeTasksAvailable, so the plan says the limit was not checked per owner (and apply then
    fails past it, as said); one owner read from its own list is checked as before."""
    users = ("--user", "admin:s3cret-pw", "--admin", "admin", "--user", "jo:jo-pw-123")
    with EmulatorProcess().start(*users, "--limit", "ExecuteNotebooksUserLimit=1") as emu:
        cli = Cli(emu, tmp_path)
        cli.create("Existing")  # admin has a task: the org-wide list serves admin and jo
        jo = "\n".join(
            f'  - {{title: "J{i}", owner: jo, type: ExecuteNotebook, item_id: {ITEM}, '
            f'schedule: "{i} 2 * * *"}}'
            for i in range(2)
        )
        both = f"version: 1\ntasks:\n{jo}\n  - {{title: Existing, owner: admin, "
        both += f'type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}\n'
        write(cli, both)
        plan = cli("plan", "--format", "json", "-v")
        assert plan.returncode == 0, plan.stderr
        assert "GET portals/self/allScheduledTasks" in plan.stderr
        warnings = json.loads(plan.stdout)["warnings"]
        assert (
            "active-task limits not checked per owner for jo (+2 ExecuteNotebook): their "
            "tasks were read from the org-wide task list, which does not tell each owner's "
            "headroom (activeTasksAvailable); a create or enable past an owner's limit fails "
            "at apply (the rest is applied)"
        ) in warnings, warnings
        assert not any("apply will fail" in w for w in warnings)
        text = cli("plan")
        assert "Warning: active-task limits not checked per owner for jo" in text.stdout
        applied = cli("apply", "--auto-approve")
        assert applied.returncode == 1  # as the notice said: jo's limit is 1
        assert "Apply: 1 applied, 1 failed" in applied.stdout, applied.stdout
        # One owner: its own list tells the headroom, so the limit is checked, no notice.
        write(
            cli,
            f"version: 1\nowner: jo\ntasks:\n{jo.replace('J', 'K')}\n".replace("owner: jo, ", ""),
        )
        alone = json.loads(cli("plan", "--format", "json").stdout)["warnings"]
        assert not any("not checked per owner" in w for w in alone), alone
        assert any("apply will fail for some tasks of jo" in w for w in alone), alone


def test_an_apply_of_another_configuration_changing_the_same_task_is_reported(
    cli: Cli,
) -> None:
    """Another configuration's write to a task lands after this apply wrote it and before
    this apply's last read: the apply says so and exits 1, and does not change it back."""
    write(cli, THREE)
    assert cli("apply", "--auto-approve").returncode == 0
    nightly = next(t for t in cli.tasks() if t["title"] == "Nightly")
    mine = THREE.replace('"0 2 * * *"', '"0 6 * * *"').replace('"0 3 * * 1"', '"0 8 * * 1"')
    write(cli, mine.replace('"0 4 * * *"', '"0 7 * * *"'))
    cli.emu.set_faults(latency_ms=400)  # each write takes a while: time for the other's
    run = start_apply(cli, "--parallelism", "1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = next(t for t in cli.tasks() if t["id"] == nightly["id"])
        if now["cronSchedule"]["hour"] == "6":
            break
        time.sleep(0.02)
    other = cli.post(  # the other configuration's apply, as the portal sees it
        f"community/users/admin/tasks/{nightly['id']}/update",
        title="Nightly",
        type="ExecuteNotebook",
        itemId=ITEM,
        minute="0",
        hour="9",
        dayOfMonth="*",
        month="*",
        dayOfWeek="?",
    )
    assert other.get("success"), other
    stdout, stderr = run.communicate(timeout=120)
    cli.emu.clear_faults()
    assert run.returncode == 1, stdout + stderr
    assert (
        "admin/Nightly: differs from the configuration again right after this apply changed "
        "it (update needed): another apply (of another configuration?)"
    ) in stdout + stderr, stdout + stderr
    now = next(t for t in cli.tasks() if t["id"] == nightly["id"])
    assert now["cronSchedule"]["hour"] == "9"  # not changed back in the same run


def test_two_configurations_declaring_one_owner_take_turns_when_not_at_once(cli: Cli) -> None:
    """The README's limit: no portal lock, so two configurations whose applies do not overlap
    in time take turns on the same tasks (one prunes what the other creates), each exit 0; the
    change shows only in each run's plan."""
    nightly = (
        f'  - {{title: Nightly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}'
    )
    weekly = f'  - {{title: Weekly, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 3 * * 1"}}'
    write(cli, f"version: 1\nowner: admin\ntasks:\n{nightly}\n", "a/taskform.yaml")
    write(cli, f"version: 1\nowner: admin\nprune: true\ntasks:\n{weekly}\n", "b/taskform.yaml")
    for _ in range(2):
        a = cli("apply", "--auto-approve", "-c", "a")
        assert a.returncode == 0, a.stdout + a.stderr
        assert "+ admin/Nightly" in a.stdout and "Note:" not in a.stdout
        b = cli("apply", "--auto-approve", "-c", "b")
        assert b.returncode == 0, b.stdout + b.stderr
        assert "- admin/Nightly" in b.stdout and "Note:" not in b.stdout
    assert [t["title"] for t in cli.tasks()] == ["Weekly"]
