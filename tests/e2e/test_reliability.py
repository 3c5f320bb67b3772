"""Reliability and security end to end: faults, partial failure, Ctrl-C, and no leaks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import ITEM, Cli
from tests.e2e.test_plan_apply import write
from tests.support.emulator import EmulatorProcess


def many(count: int, prefix: str = "Task") -> str:
    lines = [
        f'  - {{title: "{prefix} {i:03d}", type: ExecuteNotebook, item_id: {ITEM}, '
        f'schedule: "{i % 60} {i % 24} * * *", max_occurrences: {100 + i}}}'
        for i in range(count)
    ]
    return "version: 1\ntasks:\n" + "\n".join(lines) + "\n"


def test_soak_apply_converges_through_faults_without_duplicates(cli: Cli) -> None:
    """150+ tasks with errors, 429s, dropped connections after commit, expiring tokens and
    latency: converges in at most three applies, one live task per declared task."""
    write(cli, many(160))
    cli.emu.set_faults(
        latency_ms=5,
        error_rate=0.08,
        rate_limit_rate=0.05,
        drop_after_commit_rate=0.1,
        token_ttl_requests=40,
    )
    runs = []
    for _ in range(3):
        result = cli("apply", "--auto-approve", "--parallelism", "8", "-v")
        runs.append(result)
        if result.returncode == 0:
            break
    assert runs[-1].returncode == 0, runs[-1].stdout[-3000:] + runs[-1].stderr[-3000:]
    log = "".join(r.stderr for r in runs)
    assert "retrying" in log  # the faults were really met
    cli.emu.clear_faults()
    titles = Counter(t["title"] for t in cli.tasks())
    assert len(titles) == 160 and set(titles.values()) == {1}, titles.most_common(3)
    again = cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout


def test_partial_failure_goes_on_reports_and_the_next_apply_finishes(tmp_path: Path) -> None:
    with EmulatorProcess().start("--active-task-limit", "2") as emu:
        cli = Cli(emu, tmp_path)
        env = cli.env(ARCGIS_PASSWORD="admin")
        write(cli, many(3))
        first = cli("apply", "--auto-approve", env=env)
        assert first.returncode == 1
        assert "Apply: 2 applied, 1 failed, 0 skipped." in first.stdout
        assert "failed" in first.stdout and "limit" in first.stdout.lower()
        created = sorted(t["title"] for t in emu.all_tasks())
        assert len(created) == 2
        # Make room: declare one of the created tasks inactive. Disables run before creates,
        # so the next apply frees the slot first and then finishes the job. (Which create lost
        # the race in the first apply varies; the slot freed must be a task that exists.)
        number = int(created[0].rsplit(" ", 1)[1])
        paused = many(3).replace(
            f"max_occurrences: {100 + number}}}",
            f"max_occurrences: {100 + number}, active: false}}",
        )
        assert paused != many(3)
        write(cli, paused)
        second = cli("apply", "--auto-approve", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(emu.all_tasks()) == 3
        assert cli("plan", "--detailed-exitcode", env=env).returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_finishes_in_flight_writes_and_starts_nothing_new(cli: Cli, signum: int) -> None:
    """Ctrl-C, or a cancelled CI job's SIGTERM, even when SIGINT was inherited ignored (as for
    any process started in the background)."""
    write(cli, many(30))
    cli.emu.set_faults(latency_ms=300)
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskform", "apply", "--auto-approve", "--parallelism", "2"],
        cwd=cli.cwd,
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    deadline = time.monotonic() + 60
    while cli.emu.stats()["writes"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Apply interrupted" in stdout and "skipped" in stdout
    created = len(cli.tasks())
    applied = stdout.count("applied  create")
    assert 2 <= created < 30 and created == applied, (created, stdout)
    cli.emu.clear_faults()
    assert cli("apply", "--auto-approve").returncode == 0
    assert len(cli.tasks()) == 30


SECRET = "sk-live-do-not-leak-7731"


def test_no_credential_or_secret_ever_appears_anywhere(cli: Cli) -> None:
    """Every command with -v and --debug, through failures: nothing secret in any output."""
    write(
        cli,
        f"""\
version: 1
tasks:
  - title: Vendor sync
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 * * * *"
    parameters:
      notebookParameters:
        api_key: ${{secret:VENDOR_KEY}}
""",
    )
    token = cli.token()
    base = cli.env(VENDOR_KEY=SECRET)
    with_token = dict(base, ARCGIS_TOKEN=token)
    del with_token["ARCGIS_USERNAME"], with_token["ARCGIS_PASSWORD"]
    bad_password = dict(base, ARCGIS_PASSWORD="wrong-pass-5512")
    outputs: list[str] = []

    def run(*args: str, env: dict[str, str] = base) -> subprocess.CompletedProcess[str]:
        result = cli(*args, env=env)
        outputs.append(result.stdout + result.stderr)
        return result

    cli.emu.set_faults(error_rate=0.2, rate_limit_rate=0.1, token_ttl_requests=5)
    for flags in (["-v"], ["--debug"], ["-v", "--debug"]):
        run("validate", *flags)
        run("plan", *flags, "--out", "plan.json")
        run("plan", *flags, "--format", "json")
        run("plan", *flags, "--format", "markdown")
        run("apply", *flags, "--auto-approve")
        run("drift", *flags, "--format", "json")
        run("status", *flags)
        run("export", *flags, "-o", "export.yaml", "--force")
        run("plan", *flags, env=with_token)
        run("plan", *flags, env=bad_password)
        run("apply", *flags, "plan.json")
    cli.emu.clear_faults()
    # rotate the secret: the plan must show a change without showing either value
    rotated = run("plan", "-v", "--debug", env=dict(base, VENDOR_KEY="sk-other-value-0099"))
    assert "(secret, changed)" in rotated.stdout, rotated.stdout
    written = [p.read_text(errors="replace") for p in cli.cwd.iterdir() if p.is_file()]
    everything = "\n".join(outputs + written)
    assert "Vendor sync" in everything  # the runs really produced output
    for value in (SECRET, "sk-other-value-0099", "s3cret-pw", "wrong-pass-5512", token):
        assert value not in everything, value
    plan_file = json.loads((cli.cwd / "plan.json").read_text())
    assert "Vendor sync" in json.dumps(plan_file) or plan_file["changes"] == []
    assert os.environ.get("VENDOR_KEY") is None


def test_a_secret_that_looks_like_json_syntax_never_corrupts_the_plan_file(cli: Cli) -> None:
    """Scrubbing works on the plan's strings, not its text: a secret "null" stays harmless."""
    write(
        cli,
        f"""\
version: 1
tasks:
  - title: Odd secret
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 * * * *"
    parameters:
      notebookParameters:
        flag: ${{secret:ODD}}
""",
    )
    env = cli.env(ODD="null")
    assert cli("plan", "--out", "plan.json", env=env).returncode == 0
    document = json.loads((cli.cwd / "plan.json").read_text())
    assert document["summary"]["create"] == 1
    json.loads(cli("plan", "--format", "json", env=env).stdout)
    applied = cli("apply", "plan.json", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
