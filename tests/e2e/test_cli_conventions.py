"""show PLANFILE, --target, -q and TASKFORM_* against the emulator process."""

from __future__ import annotations

import json

from tests.e2e.conftest import ITEM, Cli

TWO = f"""\
version: 1
tasks:
  - title: Nightly
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * 1-5"
  - title: Weekly / west
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 3 * * 0"
"""


def test_show_renders_a_saved_plan_offline(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(TWO)
    made = cli("plan", "--out", "plan.json")
    assert made.returncode == 0, made.stderr
    offline = cli.env()
    offline["ARCGIS_URL"] = "http://127.0.0.1:9"  # nothing listens: show must not call out
    text = cli("show", "plan.json", env=offline)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Saved plan plan.json: made ")
    assert " UTC against " + cli.emu.url in text.stdout
    assert "+ admin/Nightly" in text.stdout and "next runs: " in text.stdout
    assert "Plan: 2 to create, 0 to update, 0 to delete" in text.stdout
    as_json = cli("show", "plan.json", "--format", "json", env=offline)
    assert json.loads(as_json.stdout) == json.loads((cli.cwd / "plan.json").read_text())
    markdown = cli("show", "plan.json", "--format", "markdown", env=offline)
    assert markdown.returncode == 0 and "admin/Nightly" in markdown.stdout
    bad = cli("show", "taskform.yaml", env=offline)
    assert bad.returncode == 1 and "not a taskform plan file" in bad.stderr


def test_target_plans_and_applies_only_those_tasks(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(TWO)
    plan = cli("plan", "--target", "ADMIN/Weekly / west", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert [c["title"] for c in json.loads(plan.stdout)["changes"]] == ["Weekly / west"]
    applied = cli("apply", "--auto-approve", "--target", "admin/Weekly / west")
    assert applied.returncode == 0, applied.stderr
    assert [t["title"] for t in cli.tasks()] == ["Weekly / west"]
    drift = cli("drift", "--target", "Nightly", "--format", "json")
    assert drift.returncode == 2
    assert [d["title"] for d in json.loads(drift.stdout)["tasks"]] == ["Nightly"]
    assert cli("drift", "--target", "admin/Weekly / west").returncode == 0
    status = cli("status", "--target", "admin/Weekly / west", "--format", "json")
    assert [t["title"] for t in json.loads(status.stdout)["tasks"]] == ["Weekly / west"]
    typo = cli("plan", "--target", "admin/Nigthly")
    assert typo.returncode == 1 and "--target 'admin/Nigthly' names no declared" in typo.stderr


def test_target_with_a_saved_plan(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(TWO)
    assert cli("plan", "--out", "plan.json").returncode == 0
    applied = cli("apply", "plan.json", "--target", "admin/Nightly")
    assert applied.returncode == 0, applied.stderr
    assert [t["title"] for t in cli.tasks()] == ["Nightly"]


def test_quiet_apply_and_environment_options(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(TWO)
    env = cli.env(TASKFORM_AUTO_APPROVE="1", TASKFORM_PARALLELISM="2")
    applied = cli("apply", "-q", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout == "" and applied.stderr == ""
    assert len(cli.tasks()) == 2
    plan = cli("plan", "--detailed-exitcode", "--quiet")
    assert plan.returncode == 0 and plan.stdout == ""


def test_export_refuses_to_overwrite_without_force(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(TWO)
    assert cli("apply", "--auto-approve").returncode == 0
    (cli.cwd / "mine.yaml").write_text("# my own notes\n")
    refused = cli("export", "-o", "mine.yaml")
    assert refused.returncode == 1
    assert "mine.yaml exists; export does not overwrite it" in refused.stderr
    assert (cli.cwd / "mine.yaml").read_text() == "# my own notes\n"
    forced = cli("export", "-o", "mine.yaml", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Nightly" in (cli.cwd / "mine.yaml").read_text()
