"""export: portal defaults left out, --all-owners (one file per owner), calendar schedules
refused with a clear message, never an unloadable file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.support.emulator import EmulatorProcess


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


@pytest.fixture(scope="module", params=["unlimited", "max_occurrences_default_10"])
def reading(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    """The portal's default for a create without maxOccurrences, under each reading (Q6)."""
    quirk = () if request.param == "unlimited" else ("--quirk", request.param)
    args = ("--user", "admin:s3cret-pw", "--admin", "admin", "--active-task-limit", "0")
    with EmulatorProcess().start(*args, *quirk) as emu:
        yield emu


def test_max_occurrences_defaults_left_out_under_either_reading(
    reading: EmulatorProcess, tmp_path: Path
) -> None:
    reading.reset()
    cli = Cli(reading, tmp_path)
    cli.create("Filled in")  # the portal's default: -1 or 10, depending on the reading
    cli.create("Unlimited", maxOccurrences="-1")
    cli.create("Ten", maxOccurrences="10")
    cli.create("Five", maxOccurrences="5")
    result = cli("export", "-o", "out.yaml")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out.yaml").read_text()
    assert text.count("max_occurrences") == 1 and "max_occurrences: 5" in text
    plan = cli("plan", "-c", "out.yaml", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    kept = cli("export", "--keep-defaults", "-o", "all.yaml")
    assert kept.returncode == 0, kept.stderr
    every = (tmp_path / "all.yaml").read_text()
    assert every.count("max_occurrences") == 4
    assert "max_occurrences: -1" in every and "max_occurrences: 10" in every
    assert "updatePortalItem" in every  # the notebook's parameter defaults, written too
    plan = cli("plan", "-c", "all.yaml", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_owners_are_written_as_the_portal_spells_them(cli: Cli) -> None:
    cli.create("Jo's task", owner="jo")
    result = cli("export", "--owner", "JO", "-o", "jo.yaml")
    assert result.returncode == 0, result.stderr
    text = (cli.cwd / "jo.yaml").read_text()
    assert "owner: jo\n" in text and "JO" not in text
    assert "of jo to jo.yaml" in result.stderr
    plan = cli("plan", "-c", "jo.yaml", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    nobody = cli("export", "--owner", "nobody_here")
    assert nobody.returncode == 1 and "nobody_here" in nobody.stderr
    assert "Traceback" not in nobody.stderr
