"""A hostile portal (tests/support/hostile.py, a real loopback server in front of the emulator):
answers that drip, lie about their totals or are too large, and what Ctrl-C does meanwhile.
Each test runs the real ``taskform`` command as a process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import yaml

from tests.e2e.conftest import ITEM, Cli
from tests.e2e.test_plan_apply import write
from tests.e2e.test_reliability import many
from tests.support.hostile import HostilePortal


@pytest.fixture
def hostile(cli: Cli) -> Iterator[HostilePortal]:
    with HostilePortal(cli.emu.url) as portal:
        yield portal


def _env(cli: Cli, hostile: HostilePortal) -> dict[str, str]:
    return cli.env(ARCGIS_URL=hostile.url)


def _start(cli: Cli, hostile: HostilePortal, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "taskform", *args],
        cwd=cli.cwd,
        env=_env(cli, hostile),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )


def _wait_for(hostile: HostilePortal, fragment: str, count: int = 1, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while hostile.count(fragment) < count:
        assert time.monotonic() < deadline, f"no {fragment} request: {hostile.seen}"
        time.sleep(0.05)


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_a_dripping_answer_cannot_stretch_a_request(
    cli: Cli, hostile: HostilePortal, headers: bool
) -> None:
    """One byte every 0.3 s, each read well inside any per-read timeout: the total deadline
    (--request-timeout 1) cuts every attempt, the retry bounds end the run."""
    write(cli, many(2))
    cli.create("Live one")
    hostile.rule("drip", "/tasks", interval=0.3, headers=headers)
    started = time.monotonic()
    result = cli(
        "plan",
        "--request-timeout",
        "1",
        "--retries",
        "2",
        "--retry-max-time",
        "3",
        env=_env(cli, hostile),
    )
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GET community/users/admin/tasks" in result.stderr
    assert "no complete answer within 1s" in result.stderr
    assert took < 15, took
    assert hostile.count("/tasks") == 2  # --retries 2: two attempts, no more


def test_first_ctrl_c_during_reads_ends_at_once(cli: Cli, hostile: HostilePortal) -> None:
    """Reads in pool threads do not hold up the exit: no writes to finish, so one Ctrl-C (or a
    SIGTERM) ends plan at once, even with a read stuck for its whole 60 s deadline."""
    write(cli, many(2))
    hostile.rule("drip", "/tasks", interval=5)
    proc = _start(cli, hostile, "plan", "--request-timeout", "60")
    _wait_for(hostile, "/tasks")
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 3
    assert proc.returncode == 130, stdout + stderr
    assert "Interrupted." in stderr


def test_second_ctrl_c_exits_at_once_with_what_is_known(cli: Cli, hostile: HostilePortal) -> None:
    """The first Ctrl-C lets the write in flight finish (up to its 60 s deadline); the second
    exits at once, 130, printing the outcome of every change so far."""
    write(cli, many(3))
    hostile.rule("drip", "createTask", interval=5)
    proc = _start(
        cli, hostile, "apply", "--auto-approve", "--parallelism", "1", "--request-timeout", "60"
    )
    _wait_for(hostile, "createTask")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert proc.poll() is None, "the first Ctrl-C waits for the write in flight"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 3
    assert proc.returncode == 130, stdout + stderr
    assert "Stopping: the writes in flight finish" in stderr
    assert "Interrupted again: exiting at once." in stderr
    assert "create in flight: the portal may or may not have done it" in stderr
    assert "interrupted before it started" in stderr
    assert hostile.count("createTask") == 1  # nothing new started after the first Ctrl-C


def test_first_ctrl_c_lets_the_write_in_flight_end_by_its_deadline(
    cli: Cli, hostile: HostilePortal
) -> None:
    write(cli, many(3))
    hostile.rule("drip", "createTask", interval=0.5)
    proc = _start(
        cli, hostile, "apply", "--auto-approve", "--parallelism", "1", "--request-timeout", "2"
    )
    _wait_for(hostile, "createTask")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=20)
    assert time.monotonic() - sent < 12
    assert proc.returncode == 130, stdout + stderr
    # The create's answer was cut off by its deadline; the portal had made the task, and the
    # client found it (as after any ambiguous create). Nothing new started.
    assert "Apply interrupted: 1 applied, 0 failed, 2 skipped." in stdout
    assert hostile.count("createTask") == 1


def test_a_lying_total_is_refused_before_any_other_page(cli: Cli, hostile: HostilePortal) -> None:
    write(cli, many(1))
    cli.create("Live one")
    hostile.rule("total", "/tasks", value=1_000_000_000, next_start=2)
    result = cli("plan", env=_env(cli, hostile))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GET community/users/admin/tasks" in result.stderr
    assert "1000000000 tasks, more than the 100000" in result.stderr
    assert hostile.count("/tasks") == 1


def test_tiny_pages_under_a_large_total_are_refused(cli: Cli, hostile: HostilePortal) -> None:
    write(cli, many(1))
    cli.create("Live one")
    hostile.rule("total", "/tasks", value=90_000, next_start=2)
    result = cli("plan", env=_env(cli, hostile))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "in pages of 1: 90000 pages, more than the 2000" in result.stderr
    assert hostile.count("/tasks") == 1


def test_an_oversized_answer_is_refused(cli: Cli, hostile: HostilePortal) -> None:
    write(cli, many(1))
    hostile.rule("oversize", "/tasks", size=40 * 1024 * 1024)
    result = cli("plan", "--retries", "1", env=_env(cli, hostile))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GET community/users/admin/tasks" in result.stderr
    assert "larger than 32 MiB" in result.stderr


NASTY = "p\"a'ss\\w%2F+rd é🔑/x"


@pytest.mark.parametrize("action", ["echo", "html", "header"])
def test_a_portal_echoing_the_request_never_shows_a_secret(
    cli: Cli, hostile: HostilePortal, action: str
) -> None:
    """The portal echoes createTask's form body back (JSON message and details, an HTML error
    page, a response header): the secret, with quotes, a backslash, %, +, non-ASCII and an
    emoji, travelled JSON-escaped twice and URL-encoded; no output at any verbosity shows it."""
    from taskform.redact import forms

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
        nested: {{conn: "${{secret:VENDOR_KEY}}"}}
""",
    )
    hostile.rule(action, "createTask")
    env = dict(_env(cli, hostile), VENDOR_KEY=NASTY)
    outputs = []
    for flags in ([], ["-q"], ["-v"], ["--debug"], ["-v", "--debug"]):
        result = cli("apply", "--auto-approve", "--retries", "1", *flags, env=env)
        outputs.append(result.stdout + result.stderr)
        if action == "header":
            assert result.returncode == 0, result.stdout + result.stderr
            break
        assert result.returncode == 1, result.stdout + result.stderr
    everything = "\n".join(outputs)
    if action == "echo":
        assert "Unable to process request" in everything and "***" in everything
    leaked = [form for form in forms(NASTY) if form in everything]
    assert not leaked, leaked
    for piece in ("é🔑", "%C3%A9", "\\u00e9", "ss\\\\w"):
        assert piece not in everything, piece


def test_drift_out_never_writes_a_secret_found_in_a_live_task(cli: Cli) -> None:
    """A live task whose parameters hold the registered secret in a field that is not
    secret (a person pasted it there with more text): ``drift --out FILE`` and ``drift
    --format json`` show that field's live value with the secret masked, in none of its
    encodings."""
    import json

    from taskform.redact import forms

    write(
        cli,
        f"""\
version: 1
tasks:
  - title: Vendor sync
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * *"
    parameters:
      notebookParameters:
        api_key: ${{secret:VENDOR_KEY}}
        region: west
""",
    )
    # The key is right; a person pasted it into the region too.
    pasted = json.dumps({"api_key": NASTY, "region": f"old {NASTY} (rotated)"})
    cli.create("Vendor sync", parameters=json.dumps({"notebookParameters": pasted}))
    env = cli.env(VENDOR_KEY=NASTY)
    result = cli("drift", "--format", "json", "--out", "drift.json", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    written = (cli.cwd / "drift.json").read_text(encoding="utf-8")
    document = json.loads(written)
    [item] = document["tasks"]
    assert item["kind"] == "config_changed"
    before = json.dumps(item["fields"], ensure_ascii=False)
    assert "old *** (rotated)" in before, before  # the field is there, the secret masked
    for text in (written, result.stdout):
        leaked = [form for form in forms(NASTY) if form in text]
        assert not leaked, leaked
        for piece in ("é🔑", "%C3%A9", "\\u00e9", "ss\\\\w"):
            assert piece not in text, piece
    assert json.loads(result.stdout) == document


def test_an_edited_saved_plan_is_refused_and_an_empty_one_notices_drift(cli: Cli) -> None:
    import json

    write(cli, many(2))
    assert cli("plan", "--out", "plan.json").returncode == 0
    document = json.loads((cli.cwd / "plan.json").read_text())
    document["changes"].pop()  # apply "the rest"
    (cli.cwd / "edited.json").write_text(json.dumps(document, indent=2))
    refused = cli("apply", "edited.json")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "edited.json was edited after it was written" in refused.stderr
    assert cli.tasks() == []
    assert cli("apply", "--auto-approve").returncode == 0
    assert cli("plan", "--out", "empty.json").returncode == 0
    cli.create("Made by hand")  # unmanaged: still no change
    cli.post(f"community/users/admin/tasks/{cli.tasks()[0]['id']}/delete")
    drifted = cli("apply", "empty.json")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "empty.json has no changes, but the portal drifted since it was made" in drifted.stderr
    assert "1 to create" in drifted.stderr


def test_live_titles_with_terminal_escapes_are_escaped_in_every_view(cli: Cli) -> None:
    """A task made by another client, titled with escape sequences, a bidi override and
    Markdown/HTML: plan, drift (text and Markdown), status and export print it escaped."""
    import json

    title = "\x1b]0;pwned\x07\x1b[2J Sync \u202eevil\u202c <b>|x|</b>\n# head"
    notebook = json.dumps({"webhook": "https://h.example/x?token=tk-12345678"})
    cli.create(title, parameters=json.dumps({"notebookParameters": notebook}))
    write(cli, "version: 1\nprune: false\ntasks: []\n")
    outputs = {
        "plan": cli("plan"),
        "drift": cli("drift"),
        "drift-md": cli("drift", "--format", "markdown"),
        "status": cli("status"),
        "export": cli("export"),
    }
    for name, result in outputs.items():
        text = result.stdout + result.stderr
        assert result.returncode in (0, 1, 2), (name, text)
        for raw in ("\x1b", "\x07", "\u202e"):
            assert raw not in text, (name, raw, text)  # export's YAML included: escaped
    assert "\\x1b]0;pwned" in outputs["drift"].stdout
    markdown = outputs["drift-md"].stdout
    assert "<b>" not in markdown and "\n# head" not in markdown
    assert "tk-12345678" not in outputs["export"].stdout
    assert "Set these variables before planning" in outputs["export"].stderr
    exported = outputs["export"].stdout
    assert '"\\e]0;pwned\\a\\e[2J Sync \\u202Eevil\\u202C <b>|x|</b>\\n# head"' in exported
    assert yaml.safe_load(exported)["tasks"][0]["title"] == title  # reads back the same
    assert "the title holds invisible or control characters" in outputs["export"].stderr


def test_a_secret_whose_reference_was_taken_out_is_shown_nowhere(cli: Cli) -> None:
    """The config held ``db_conn: ${secret:DBC}``, was applied, then lost the reference (key
    renamed and the secret rotated; the line deleted; the type changed): the portal still
    holds the old value, which no plan, saved plan, Markdown comment or drift report shows."""
    old = "hunter2-Very-Secret-Value"
    task = f"""\
version: 1
tasks:
  - title: Nightly
    type: {{kind}}
    item_id: {ITEM}
    schedule: "0 2 * * *"
    parameters:
{{params}}
"""
    notebook = "      notebookParameters:\n        db_conn: ${secret:DBC}\n        region: west\n"
    write(cli, task.format(kind="ExecuteNotebook", params=notebook))
    applied = cli("apply", "--auto-approve", env=cli.env(DBC=old))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    renamed = notebook.replace("db_conn", "connection")
    cook = (
        "      service_url: https://example.com/SceneServer\n"
        "      num_of_caching_service_instances: 1\n      layer: '{}'\n"
        "      update_mode: RECREATE_ALL_NODES\n"
    )
    for kind, params in (
        ("ExecuteNotebook", renamed),
        ("ExecuteNotebook", "      notebookParameters:\n        region: west\n"),
        ("ExecuteSceneCook", cook),
    ):
        write(cli, task.format(kind=kind, params=params))
        env = cli.env(DBC="rotated-Other-Value-2")
        outputs = [
            cli("plan", *flags, env=env)
            for flags in ([], ["--format", "markdown"], ["--format", "json"], ["--out", "p.json"])
        ]
        outputs.append(cli("drift", "--format", "json", "--out", "d.json", env=env))
        outputs.append(cli("drift", "--format", "markdown", env=env))
        assert all(o.returncode in (0, 2) for o in outputs), [o.stderr for o in outputs]
        assert "db_conn" in outputs[0].stdout and "(not shown)" in outputs[0].stdout
        shown = [o.stdout + o.stderr for o in outputs]
        shown += [(cli.cwd / name).read_text() for name in ("p.json", "d.json")]
        assert not [text for text in shown if "hunter2" in text], kind
