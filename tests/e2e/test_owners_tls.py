"""Many owners from one repository, permissions, TLS with a private CA, and the prompt."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ITEM, Cli
from tests.e2e.test_plan_apply import ONE_TASK, write
from tests.support.emulator import EmulatorProcess
from tests.support.tls import self_signed


def test_an_admin_manages_several_owners_in_parallel(cli: Cli) -> None:
    (cli.cwd / "config").mkdir()
    for owner in ("jo", "sam"):
        tasks = "\n".join(
            f'  - {{title: "{owner} {i}", type: ExecuteNotebook, item_id: {ITEM}, '
            f'schedule: "{i} 2 * * *"}}'
            for i in range(3)
        )
        write(cli, f"version: 1\nowner: {owner}\ntasks:\n{tasks}\n", f"config/{owner}.yaml")
    cli.create("admin's own")
    cli.emu.reset_stats()
    result = cli("apply", "-c", "config", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply: 6 applied" in result.stdout
    assert sorted(t["title"] for t in cli.tasks("jo")) == ["jo 0", "jo 1", "jo 2"]
    assert sorted(t["title"] for t in cli.tasks("sam")) == ["sam 0", "sam 1", "sam 2"]
    assert [t["title"] for t in cli.tasks("admin")] == ["admin's own"]  # never touched
    routes = cli.emu.stats()["by_route"]
    # The org's one page, for both owners: read for the plan, and once more after the writes
    # to check that no concurrent apply made copies (workflow/converge.py).
    assert routes["GET portals/self/allScheduledTasks"] == 2
    assert "GET community/users/{user}/tasks" not in routes
    assert cli("plan", "-c", "config", "--detailed-exitcode").returncode == 0


def test_plan_over_25_owners_reads_the_org_list_once(tmp_path: Path) -> None:
    owners = [f"owner{i:02}" for i in range(25)]
    users = [arg for owner in owners for arg in ("--user", f"{owner}:pw-{owner}")]
    with EmulatorProcess().start(
        "--user", "admin:s3cret-pw", "--admin", "admin", *users, "--active-task-limit", "0"
    ) as emu:
        cli = Cli(emu, tmp_path)
        (cli.cwd / "config").mkdir()
        for owner in owners:
            tasks = "\n".join(
                f'  - {{title: "{owner} {i}", type: ExecuteNotebook, item_id: {ITEM}, '
                f'schedule: "{i} 2 * * *"}}'
                for i in range(2)
            )
            write(cli, f"version: 1\nowner: {owner}\ntasks:\n{tasks}\n", f"config/{owner}.yaml")
        for owner in owners[:5]:
            cli.create(f"{owner} 0", owner=owner, minute="0")  # already there, as declared
        cli.create("someone else's", owner="admin")  # in the org's list, not managed
        emu.reset_stats()
        result = cli("plan", "-c", "config")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Plan: 45 to create, 0 to update, 0 to delete" in result.stdout
        # Not listing requests, checked elsewhere: the batched item check (POST search) and the
        # run history read for the overlap warning (.../runs).
        others = {"POST search", "GET community/users/{user}/tasks/{task_id}/runs"}
        routes = {k: v for k, v in emu.stats()["by_route"].items() if k not in others}
        assert routes == {
            "POST generateToken": 1,
            "GET portals/self": 1,
            "GET portals/self/allScheduledTasks": 1,
            # 20 owners have no task yet: one page of the org's users says they exist
            "GET portals/self/users": 1,
        }
        (cli.cwd / "config" / "ghost.yaml").write_text(
            f"version: 1\ntasks:\n  - title: Boo\n    owner: ghost\n    type: ExecuteNotebook\n"
            f"    item_id: {ITEM}\n    schedule: '0 3 * * *'\n"
        )
        unknown = cli("plan", "-c", "config")
        assert unknown.returncode == 1
        assert "config/ghost.yaml:4: owner 'ghost' of task 'Boo' is not a user of the portal" in (
            unknown.stderr
        )


def test_a_permission_error_names_the_owner(cli: Cli) -> None:
    write(cli, ONE_TASK.replace("tasks:", "owner: sam\ntasks:"))
    env = cli.env(ARCGIS_USERNAME="jo", ARCGIS_PASSWORD="jo-pw-123")
    result = cli("plan", env=env)
    assert result.returncode == 1
    assert "sam" in result.stderr and "permission" in result.stderr.lower()
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_tls_is_verified_and_a_private_ca_bundle_works(
    tmp_path: Path, tls_files: tuple[Path, Path]
) -> None:
    cert, key = tls_files
    with EmulatorProcess().start("--tls-cert", str(cert), "--tls-key", str(key)) as emu:
        assert emu.url.startswith("https://")
        cli = Cli(emu, tmp_path)
        env = cli.env(ARCGIS_PASSWORD="admin")
        env.pop("REQUESTS_CA_BUNDLE", None)
        env.pop("SSL_CERT_FILE", None)
        write(cli, ONE_TASK)
        refused = cli("plan", env=env)
        assert refused.returncode == 1
        assert "certificate verification failed" in refused.stderr
        assert "--ca-bundle FILE or set ARCGIS_CA_BUNDLE" in refused.stderr
        assert "as verify" not in refused.stderr
        assert "Traceback" not in refused.stderr
        trusted = cli("plan", "--ca-bundle", str(cert), env=env)
        assert trusted.returncode == 0, trusted.stderr
        via_env = cli("plan", env=dict(env, ARCGIS_CA_BUNDLE=str(cert)))
        assert via_env.returncode == 0, via_env.stderr


def _run_on_terminal(cli: Cli, answer: str) -> tuple[int, str]:
    """Run `taskform apply` on a pseudo-terminal and type ``answer`` at the prompt."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskform", "apply"],
        cwd=cli.cwd,
        env=dict(cli.env(), NO_COLOR="1"),
        stdin=child,
        stdout=child,
        stderr=child,
        close_fds=True,
    )
    os.close(child)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                data = os.read(main, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
            if not answered and b"Only 'yes' will be accepted" in seen:
                os.write(main, answer.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, seen.decode(errors="replace")


def test_apply_on_a_terminal_asks_and_only_yes_applies(cli: Cli) -> None:
    write(cli, ONE_TASK)
    code, screen = _run_on_terminal(cli, "no")
    assert code == 1 and "nothing was changed" in screen and cli.tasks() == []
    code, screen = _run_on_terminal(cli, "yes")
    assert code == 0, screen
    assert "Apply: 1 applied" in screen and len(cli.tasks()) == 1


def test_plain_http_behind_an_https_url_is_named(cli: Cli) -> None:
    write(cli, ONE_TASK)
    https = cli.emu.url.replace("http://", "https://")
    result = cli("plan", "--portal", https)
    assert result.returncode == 1
    assert "the server does not speak TLS (it seems to answer in plain HTTP)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_refused_password_reads_as_one_sentence(cli: Cli) -> None:
    write(cli, ONE_TASK)
    result = cli("plan", env=cli.env(ARCGIS_PASSWORD="wrong-pw"))
    assert result.returncode == 1
    assert ".;" not in result.stderr
    assert "Unable to generate token; check ARCGIS_USERNAME and ARCGIS_PASSWORD" in result.stderr


def test_an_owner_that_does_not_exist_is_a_plan_error_at_its_line(cli: Cli) -> None:
    write(cli, ONE_TASK.replace("tasks:", "owner: nobody_here\ntasks:"))
    one = cli("plan")  # one owner: read through the owner's own task list
    assert one.returncode == 1
    assert "taskform.yaml:2: owner 'nobody_here' of task 'Nightly' is not a user" in one.stderr
    two = ONE_TASK + (
        f"  - {{title: Other, owner: ghost, type: ExecuteNotebook, item_id: {ITEM},"
        " schedule: '0 3 * * *'}\n"
    )
    write(cli, two)
    cli.create("Existing", owner="admin")  # admin has tasks, ghost none: the org-wide list
    both = cli("plan", "-v")
    assert both.returncode == 1
    assert "GET portals/self/allScheduledTasks" in both.stderr
    assert "owner 'ghost' of task 'Other' is not a user of the portal" in both.stderr
    assert not [t for t in cli.emu.all_tasks() if t["userId"] == "ghost"]


def test_plan_errors_become_github_annotations_in_actions(cli: Cli) -> None:
    write(cli, ONE_TASK.replace("tasks:", "owner: nobody_here\ntasks:"))
    actions = cli("plan", env=cli.env(GITHUB_ACTIONS="true"))
    assert actions.returncode == 1
    assert (
        "::error file=taskform.yaml,line=2,title=taskform plan::owner 'nobody_here' of task "
        "'Nightly' is not a user" in actions.stderr
    )
    assert "Error: 1 problem in the configuration:" in actions.stderr  # the usual text too
    assert "::error" not in actions.stdout
    off = cli("plan", "--no-annotations", env=cli.env(GITHUB_ACTIONS="true"))
    assert off.returncode == 1 and "::error" not in off.stderr
    local = cli("plan")
    assert local.returncode == 1 and "::error" not in local.stderr
    asked = cli("plan", env=cli.env(TASKFORM_ANNOTATIONS="1"))
    assert "::error file=taskform.yaml,line=2," in asked.stderr
