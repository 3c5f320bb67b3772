"""export: portal defaults left out, --all-owners (one file per owner), calendar schedules
refused with a clear message, never an unloadable file."""

from __future__ import annotations

from tests.e2e.conftest import Cli


def test_defaults_are_left_out_and_the_round_trip_is_empty(cli: Cli) -> None:
    cli.create("Plain", updatePortalItem="false", saveInjectedParameters="false")
    cli.create(
        "Tuned",
        parameters='{"updatePortalItem": true, "notebookParameters": "{\\"region\\": \\"west\\"}"}',
        startDate="1893456000000",  # 2030-01-01: chosen, not filled in
    )
    result = cli("export", "-o", "out.yaml")
    assert result.returncode == 0, result.stderr
    text = (cli.cwd / "out.yaml").read_text()
    plain = text.split("- title: Plain")[1].split("- title:")[0]
    assert "updatePortalItem" not in plain and "saveInjectedParameters" not in plain
    assert "start_date" not in plain  # the portal's own "now"
    tuned = text.split("- title: Tuned")[1]
    assert "updatePortalItem: true" in tuned and "region: west" in tuned
    assert "start_date: '2030-01-01T00:00:00Z'" in tuned or "2030-01-01T00:00:00Z" in tuned
    assert cli("validate", "-c", "out.yaml").returncode == 0
    plan = cli("plan", "-c", "out.yaml", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_all_owners_one_file_per_owner(cli: Cli) -> None:
    cli.create("Mine")
    cli.create("Jo's task", owner="jo")
    cli.create("Sam's task", owner="sam")
    result = cli("export", "--all-owners", "-o", "team")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (cli.cwd / "team").iterdir())
    assert files == ["admin.yaml", "jo.yaml", "sam.yaml"]
    assert "owner: jo\n" in (cli.cwd / "team" / "jo.yaml").read_text()
    plan = cli("plan", "-c", "team", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    again = cli("export", "--all-owners", "-o", "team")
    assert again.returncode == 1 and "exist; export does not overwrite them" in again.stderr
    assert cli("export", "--all-owners", "-o", "team", "--force").returncode == 0
    single = cli("export", "--all-owners")
    assert single.returncode == 0
    assert "owner: jo" in single.stdout and "owner: sam" in single.stdout
    denied = cli(
        "export", "--all-owners", env=cli.env(ARCGIS_USERNAME="jo", ARCGIS_PASSWORD="jo-pw-123")
    )
    assert denied.returncode == 1 and "Traceback" not in denied.stderr


def test_a_calendar_schedule_is_refused_not_written(cli: Cli) -> None:
    cli.create("Calendar", dayOfMonth="5C", dayOfWeek="?")
    cli.create("Normal")
    result = cli("export", "-o", "out.yaml")
    assert result.returncode == 0, result.stderr
    assert "Warning: not exported: admin/Calendar (" in result.stderr
    assert "has no Unix cron form that validate accepts" in result.stderr
    text = (cli.cwd / "out.yaml").read_text()
    assert "Calendar" not in text and "Normal" in text
    assert cli("validate", "-c", "out.yaml").returncode == 0
    plan = cli("plan", "-c", "out.yaml")
    assert plan.returncode == 0 and "admin/Calendar" in plan.stdout  # listed as unmanaged
