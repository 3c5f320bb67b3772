"""H and time zones end to end: apply, then plan shows no changes, and export stays equal."""

from __future__ import annotations

import json

from tests.e2e.conftest import ITEM, Cli

CONFIG = f"""\
version: 1
timezone: Europe/Oslo
tasks:
  - title: Spread A
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "H H(1-4) * * 1-5"
  - title: Spread B
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "H/15 * * * *"
    timezone: UTC
  - title: Denver evening
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 20 * * 5"
    timezone: America/Denver
"""


def test_h_and_timezone_round_trip(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(CONFIG)
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    by_title = {t["title"]: t["cronSchedule"] for t in cli.tasks()}
    # what the portal stores is plain cron: H is resolved, Denver 20:00 Friday is Saturday UTC
    assert all("H" not in value for cron in by_title.values() for value in cron.values())
    assert by_title["Denver evening"]["dayOfWeek"] == "7"
    assert by_title["Denver evening"]["hour"] in ("2", "3")
    spread = by_title["Spread B"]["minute"].split(",")
    assert len(spread) == 4
    # the same config gives the same fields again (a second apply changes nothing)
    assert cli("apply", "--auto-approve").returncode == 0
    assert {t["title"]: t["cronSchedule"] for t in cli.tasks()} == by_title
    # export writes UTC cron that plans as equal
    exported = cli("export", "-o", "exported.yaml")
    assert exported.returncode == 0, exported.stderr
    check = cli("plan", "-c", "exported.yaml", "--detailed-exitcode")
    assert check.returncode == 0, check.stdout + check.stderr


OSLO = f"""\
version: 1
timezone: Europe/Oslo
tasks:
  - title: Morning report
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 5 * * 1-5"
"""


def test_drift_names_an_offset_change(cli: Cli) -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    (cli.cwd / "taskform.yaml").write_text(OSLO)
    # the task as an apply made it at the other offset of the year (summer <-> winter)
    offset = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/Oslo")).utcoffset()
    assert offset is not None
    other_hour = "3" if offset.total_seconds() == 3600 else "4"
    cli.create("Morning report", hour=other_hour, dayOfMonth="?", dayOfWeek="2-6")
    drift = cli("drift", "--format", "json")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert [item["kind"] for item in json.loads(drift.stdout)["tasks"]] == ["offset_changed"]
    plan = cli("plan")
    assert "re-aligns to the UTC offset Europe/Oslo has now" in plan.stdout
    assert cli("apply", "--auto-approve").returncode == 0
    assert cli("drift").returncode == 0
