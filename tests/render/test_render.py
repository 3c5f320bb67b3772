"""Tests of taskform.render: golden files plus properties of each format.

The golden files live in ``tests/fixtures/render/``. After an intended change of output,
regenerate them and review the diff::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_render.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskform import render
from taskform.changes import (
    Action,
    ApplyReport,
    Create,
    FieldChange,
    Op,
    Outcome,
    Plan,
    Reason,
    Recorded,
    TaskResult,
)
from taskform.cli.options import terminal_paint
from taskform.model import CronFields, LifecycleState, LiveTask
from tests import conftest as golden
from tests.support.changes import make_change, stand_in_desired

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "render"
ESC = "\x1b["


# --- building blocks ----------------------------------------------------------------------------


def ms(text: str) -> int:
    """``2026-12-01T02:00`` (UTC) as epoch milliseconds."""
    moment = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def fields(**items: tuple[Any, Any]) -> dict[str, FieldChange]:
    return {name.replace("__", "."): FieldChange(b, a) for name, (b, a) in items.items()}


def live(owner: str, title: str, task_id: str) -> LiveTask:
    return LiveTask(
        id=task_id, owner=owner, title=title, type="ExecuteNotebook", cron=CronFields(*"02?*2")
    )


change = make_change


def mixed_plan() -> Plan:
    """One of everything: create with next runs, multi-field update with a masked secret and
    nested parameter paths, enable with a note, disable, delete; unmanaged and warnings."""
    create = Create(
        owner="gis_admin",
        title="Nightly parcels refresh",
        fields={
            "type": FieldChange(None, "ExecuteNotebook"),
            "item_id": FieldChange(None, "029b61ca770e428d9468a2a55f40b9fb"),
            "schedule": FieldChange(None, "0 2 * * 1-5"),
            "max_occurrences": FieldChange(None, 1000),
            "start_date": FieldChange(None, "2026-12-01T00:00:00Z"),
            "parameters.updatePortalItem": FieldChange(None, True),
            "parameters.notebookParameters.region": FieldChange(None, "west"),
            "parameters.notebookParameters.api_key": FieldChange(None, "(secret)", secret=True),
            "active": FieldChange(None, True),
        },
        desired=stand_in_desired("gis_admin", "Nightly parcels refresh"),
        next_runs=(ms("2026-12-01T02:00"), ms("2026-12-02T02:00"), ms("2026-12-03T02:00")),
    )
    update = change(
        Action.UPDATE,
        owner="gis_admin",
        title="Weekly cook",
        task_id="5837c7bc37ac404e8e3c16d9022b2b59",
        fields={
            "schedule": FieldChange("0 3 * * 0", "30 4 * * 0"),
            "max_occurrences": FieldChange(100, None),
            "end_date": FieldChange(None, "2027-12-01T00:00:00Z"),
            "parameters.notebookParameters.api_key": FieldChange(
                "(secret)", "(secret, changed)", secret=True
            ),
            "parameters.notebookParameters.regions": FieldChange(["west"], ["west", "east"]),
            "parameters.gpParameters": FieldChange({}, {"buffer": 10, "units": "m"}),
            "parameters.notebookParameters.label": FieldChange('say "hi"', "line1\nline2"),
        },
        fingerprint="sha256:0f3a9c1d2b4e5f60",
        next_runs=(ms("2026-12-06T04:30"), ms("2026-12-13T04:30"), ms("2026-12-20T04:30")),
    )
    enable = change(
        Action.UPDATE,
        owner="ops_team",
        title="Quarterly report",
        task_id="9a1f0c0e5d6b4c7a8e9f0a1b2c3d4e5f",
        fields={"active": FieldChange(False, True)},
        fingerprint="sha256:77aa00bb11cc22dd",
        next_runs=(ms("2027-01-01T06:00"),),
        reason=Reason.LIFECYCLE_ENABLE,
        state=LifecycleState.PAUSED,
    )
    disable = change(
        Action.UPDATE,
        owner="gis_admin",
        title="Archive sync",
        task_id="1b2c3d4e5f60718293a4b5c6d7e8f901",
        fields={"active": FieldChange(True, False)},
        fingerprint="sha256:1234567890abcdef",
        next_runs=(ms("2026-12-01T05:00"),),  # not shown: the task ends up inactive
    )
    # As ``show`` reads a delete back from a plan file: no live task, so Markdown names only
    # its id (a planned delete also names the type and schedule it removes).
    delete = Recorded(
        action=Action.DELETE,
        owner="gis_admin",
        title="Old job",
        task_id="c0ffee00c0ffee00c0ffee00c0ffee00",
        fields={},
        fingerprint="sha256:deadbeefdeadbeef",
        saved_note=Reason.DECLARED_ABSENT.note(),
        saved_ops=(Op.DELETE,),
    )
    return Plan(
        changes=(delete, update, create, enable, disable),
        unchanged=7,
        unmanaged=(
            live("other_user", "Legacy export", "aa11bb22cc33dd44ee55ff6600778899"),
            live("gis_admin", "Hand-made test", "0123456789abcdef0123456789abcdef"),
        ),
        warnings=(
            "ops_team/Monthly cleanup is disabled in the portal and left so "
            "(lifecycle.disabled = keep)",
            "gis_admin/Nightly parcels refresh runs at 02:00 UTC\n"
            "which is 03:00 in Europe/Berlin in winter",
        ),
    )


def empty_plan() -> Plan:
    return Plan(
        changes=(),
        unchanged=9,
        unmanaged=(live("other_user", "Legacy export", "aa11bb22cc33dd44ee55ff6600778899"),),
        warnings=("gis_admin/Weekly cook is completed in the portal and left so",),
    )


def apply_report(interrupted: bool = False) -> ApplyReport:
    plan = mixed_plan()
    by_title = {c.title: c for c in plan.changes}
    results = (
        TaskResult(by_title["Old job"], Outcome.APPLIED),
        TaskResult(
            by_title["Weekly cook"],
            Outcome.FAILED,
            "Portal error 400: Invalid cron expression.\n(hour 4 is fine, minute 30 is fine)",
        ),
        TaskResult(
            by_title["Nightly parcels refresh"],
            Outcome.APPLIED,
            task_id="feedfacefeedfacefeedfacefeedface",
        ),
        TaskResult(by_title["Quarterly report"], Outcome.SKIPPED, "interrupted before start"),
        TaskResult(by_title["Archive sync"], Outcome.APPLIED),
    )
    return ApplyReport(results=results, interrupted=interrupted)


def check_golden(name: str, actual: str) -> None:
    golden.check_golden(GOLDEN / name, actual)


def fences_balanced(text: str) -> bool:
    """CommonMark-style: every backtick fence that opens is closed by a long-enough fence."""
    open_len = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3:
            continue
        match = re.match(r"(`{3,})(.*)$", stripped)
        if not match:
            continue
        if not open_len:
            open_len = len(match.group(1))
        elif len(match.group(1)) >= open_len and not match.group(2).strip():
            open_len = 0
    return open_len == 0


def outside_fences(text: str) -> str:
    """``text`` without the contents of fenced code blocks (where ``<details>`` is literal)."""
    kept: list[str] = []
    open_len = 0
    for line in text.splitlines():
        match = re.match(r" {0,3}(`{3,})(.*)$", line)
        if match and not open_len:
            open_len = len(match.group(1))
        elif match and len(match.group(1)) >= open_len and not match.group(2).strip():
            open_len = 0
        elif not open_len:
            kept.append(line)
    return "\n".join(kept)


def details_balanced(text: str) -> bool:
    text = outside_fences(text)
    return text.count("<details>") == text.count("</details>")


META = {
    "taskform_version": "0.1.0",
    "created_at": "2026-11-23T18:00:00Z",
    "portal": "https://myorg.maps.arcgis.com",
    "config_digest": "sha256:abc123",
}


# --- golden files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "plan"),
    [("mixed", mixed_plan()), ("empty", empty_plan()), ("clean", Plan(changes=(), unchanged=3))],
)
def test_golden_plan_formats(name: str, plan: Plan) -> None:
    check_golden(f"{name}.txt", render.render_text(plan))
    check_golden(f"{name}.json", render.render_json(plan, meta=META))
    check_golden(f"{name}.md", render.render_markdown(plan, meta=META))


def test_golden_apply_reports() -> None:
    check_golden("apply.txt", render.render_apply_report(apply_report()))
    check_golden("apply_interrupted.txt", render.render_apply_report(apply_report(True)))


# --- text ---------------------------------------------------------------------------------------


def test_text_summary_lines() -> None:
    assert render.format_summary(mixed_plan()) == (
        "Plan: 1 to create, 3 to update, 1 to delete, 7 unchanged."
    )
    text = render.render_text(mixed_plan())
    assert text.endswith("Plan: 1 to create, 3 to update, 1 to delete, 7 unchanged.\n")
    empty = render.render_text(empty_plan())
    assert empty.endswith("\nNo changes. The portal matches the configuration.\n")
    assert render.render_text(Plan(changes=())) == (
        "No changes. The portal matches the configuration.\n"
    )


def test_text_changes_sorted_by_owner_then_title() -> None:
    text = render.render_text(mixed_plan())
    headers = [line for line in text.splitlines() if re.match(r"[+~-] \S", line)]
    assert [h.split(" ", 1)[1].split(" (")[0] for h in headers] == [
        "gis_admin/Archive sync",
        "gis_admin/Nightly parcels refresh",
        "gis_admin/Old job",
        "gis_admin/Weekly cook",
        "ops_team/Quarterly report",
    ]


def test_text_legend_lists_only_symbols_used() -> None:
    only_create = Plan(
        changes=(next(c for c in mixed_plan().changes if c.action is Action.CREATE),)
    )
    assert render.render_text(only_create).startswith("Symbols: + create\n")
    assert render.render_text(mixed_plan()).startswith("Symbols: + create  ~ update  - delete\n")


def test_text_value_styles() -> None:
    text = render.render_text(mixed_plan())
    assert '    ~ schedule: "0 3 * * 0" -> "30 4 * * 0"' in text
    assert "    ~ max_occurrences: 100 -> null" in text
    assert '    ~ parameters.gpParameters: {} -> {"buffer": 10, "units": "m"}' in text
    assert '    ~ parameters.notebookParameters.label: "say \\"hi\\"" -> "line1\\nline2"' in text
    assert "    ~ parameters.notebookParameters.api_key: (secret) -> (secret, changed)" in text
    assert re.search(r"\n    \+ parameters\.updatePortalItem +  = true\n", text)
    assert "    ~ active: false -> true" in text


def test_text_next_runs_only_where_they_matter() -> None:
    text = render.render_text(mixed_plan())
    blocks = {b.splitlines()[0]: b for b in text.split("\n\n")}
    runs = "next runs: 2026-12-01 02:00 UTC, 2026-12-02 02:00 UTC, 2026-12-03 02:00 UTC"
    assert runs in blocks["+ gis_admin/Nightly parcels refresh"]
    assert "next runs: 2026-12-06 04:30 UTC" in text  # schedule change
    assert "next runs: 2027-01-01 06:00 UTC" in text  # enable
    archive = next(b for h, b in blocks.items() if "Archive sync" in h)
    assert "next runs" not in archive  # disabled: will not run


def test_text_never_truncates() -> None:
    huge = "x" * 20000
    plan = Plan(changes=(change(Action.UPDATE, "o", "t", fields=fields(task_url=("a", huge))),))
    assert f'"{huge}"' in render.render_text(plan)


def test_text_escapes_control_characters_in_titles() -> None:
    evil = change(Action.CREATE, "o", "t\x1b[31mred\nPlan: 0 to create", fields={})
    text = render.render_text(Plan(changes=(evil,)))
    assert "\x1b" not in text
    assert "+ o/t\\x1b[31mred\\nPlan: 0 to create" in text
    assert text.count("\nPlan: ") == 1


def test_text_secret_with_equal_masks_says_changed() -> None:
    secret = FieldChange("sha256:aa", "sha256:aa", secret=True)
    plan = Plan(changes=(change(Action.UPDATE, "o", "t", fields={"parameters.k": secret}),))
    assert "~ parameters.k: (secret value changed)" in render.render_text(plan)


def test_color_only_when_asked() -> None:
    for plan in (mixed_plan(), empty_plan()):
        assert ESC not in render.render_text(plan)
        assert ESC not in render.render_text(plan)
    colored = render.render_text(mixed_plan(), paint=terminal_paint)
    assert ESC in colored
    assert "\x1b[32m" in colored and "\x1b[33m" in colored and "\x1b[31m" in colored
    assert ESC not in render.render_apply_report(apply_report())
    assert ESC in render.render_apply_report(apply_report(), paint=terminal_paint)
    assert ESC not in render.render_markdown(mixed_plan())
    assert ESC not in render.render_json(mixed_plan())


def test_color_changes_nothing_but_escape_codes() -> None:
    strip = re.compile(r"\x1b\[[0-9;]*m")
    plan = mixed_plan()
    assert strip.sub("", render.render_text(plan, paint=terminal_paint)) == render.render_text(plan)
    report = apply_report()
    assert strip.sub("", render.render_apply_report(report, paint=terminal_paint)) == (
        render.render_apply_report(report)
    )


def test_renderers_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    plan = mixed_plan()
    render.render_text(plan, paint=terminal_paint)
    render.render_json(plan, meta=META)
    render.render_markdown(plan, limit=500)
    render.render_apply_report(apply_report(), paint=terminal_paint)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# --- JSON ---------------------------------------------------------------------------------------

NULLABLE_STRING = {"type": ["string", "null"]}
CONTRACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format_version", "summary", "changes"],
    "properties": {
        "format_version": {"const": "1"},
        "summary": {
            "type": "object",
            "required": ["create", "update", "delete", "unchanged"],
            "additionalProperties": False,
            "properties": {
                k: {"type": "integer", "minimum": 0}
                # replace and blocked: contract section 8 (only present when non-zero)
                for k in ("create", "update", "delete", "unchanged", "replace", "blocked")
            },
        },
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["action", "owner", "title", "task_id", "fields"],
                "properties": {
                    "action": {"enum": ["create", "update", "delete", "replace"]},
                    "owner": {"type": "string"},
                    "title": {"type": "string"},
                    "task_id": NULLABLE_STRING,
                    "fields": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["before", "after"],
                            "additionalProperties": False,
                            "properties": {"before": {}, "after": {}},
                        },
                    },
                    "fingerprint": NULLABLE_STRING,
                    "next_runs": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                        },
                    },
                    "note": NULLABLE_STRING,
                    "ops": {
                        "type": "array",
                        "items": {"enum": ["disable", "delete", "create", "update", "enable"]},
                    },
                },
            },
        },
        "unmanaged": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["owner", "title", "task_id"],
                "additionalProperties": False,
                "properties": {
                    "owner": {"type": "string"},
                    "title": {"type": "string"},
                    "task_id": {"type": "string"},
                },
            },
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object"},
    },
}


@pytest.mark.parametrize("plan", [mixed_plan(), empty_plan(), Plan(changes=())])
def test_json_matches_contract_shape(plan: Plan) -> None:
    data = json.loads(render.render_json(plan, meta=META))
    jsonschema.validate(data, CONTRACT_SCHEMA)
    assert list(data)[:3] == ["format_version", "summary", "changes"]
    assert data["summary"] == plan.summary
    assert data["meta"] == META


def test_json_changes_keep_plan_order_and_values() -> None:
    plan = mixed_plan()
    data = render.plan_document(plan)
    assert "meta" not in data
    assert [c["title"] for c in data["changes"]] == [c.title for c in plan.changes]
    weekly = data["changes"][1]
    assert weekly["fields"]["schedule"] == {"before": "0 3 * * 0", "after": "30 4 * * 0"}
    assert weekly["fields"]["parameters.notebookParameters.api_key"] == {
        "before": "(secret)",
        "after": "(secret, changed)",
    }
    assert weekly["next_runs"][0] == "2026-12-06T04:30:00Z"
    assert weekly["ops"] == ["update"]
    create = data["changes"][2]
    assert create["task_id"] is None and create["ops"] == ["create"]
    enable, disable = data["changes"][3], data["changes"][4]
    assert enable["ops"] == ["enable"] and disable["ops"] == ["disable"]
    assert enable["note"] == "paused in the portal; lifecycle.paused = enable"
    assert data["changes"][0]["ops"] == ["delete"]


def test_json_inactive_create_ops() -> None:
    inactive = change(Action.CREATE, "o", "t", desired=stand_in_desired("o", "t", active=False))
    assert render.plan_document(Plan(changes=(inactive,)))["changes"][0]["ops"] == [
        "create",
        "disable",
    ]


def test_json_is_deterministic_and_json_safe() -> None:
    odd = change(
        Action.UPDATE,
        "o",
        "t",
        fields={"parameters.p": FieldChange(MappingProxyType({"a": (1, 2)}), {1: None})},
    )
    plan = Plan(changes=(odd,))
    text = render.render_json(plan, meta={"when": datetime(2026, 1, 2, tzinfo=timezone.utc)})
    assert text == render.render_json(
        plan, meta={"when": datetime(2026, 1, 2, tzinfo=timezone.utc)}
    )
    assert text.endswith("}\n") and not text.endswith("\n\n")
    data = json.loads(text)
    assert data["changes"][0]["fields"]["parameters.p"] == {
        "before": {"a": [1, 2]},
        "after": {"1": None},
    }
    assert data["meta"] == {"when": "2026-01-02T00:00:00Z"}
    assert text.startswith('{\n  "format_version": "1",\n')


# --- Markdown -----------------------------------------------------------------------------------


def many_changes(n: int, value_size: int = 20) -> Plan:
    changes = tuple(
        change(
            Action.UPDATE,
            f"owner{i % 7}",
            f"Task {i:05d}",
            fields=fields(schedule=("0 1 * * *", "0 2 * * *"), task_url=("a", "b" * value_size)),
            next_runs=(ms("2026-12-01T02:00"),),
        )
        for i in range(n)
    )
    return Plan(changes=changes, unchanged=5)


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_markdown_full_when_it_fits() -> None:
    text = render.render_markdown(mixed_plan())
    assert text.startswith("<!-- taskform:plan -->\n## taskform plan\n")
    assert "**Plan: 1 to create, 3 to update, 1 to delete, 7 unchanged.**" in text
    assert text.count("<details>") == 5 and details_balanced(text) and fences_balanced(text)
    assert len(table_rows(text)) == 5


def test_markdown_drops_details_first() -> None:
    plan = many_changes(30, value_size=3000)
    assert len(render.render_markdown(plan, limit=10**9)) > 60000
    text = render.render_markdown(plan)
    assert len(text) <= 60000
    assert "<details>" not in text and "```" not in text
    assert len(table_rows(text)) == 30
    assert "Per-change details are left out" in text
    assert "more changes" not in text


def test_markdown_2000_changes_fit_with_count_of_the_rest() -> None:
    plan = many_changes(2000)
    text = render.render_markdown(plan)
    assert len(text) <= 60000
    assert fences_balanced(text) and details_balanced(text)
    rows = table_rows(text)
    assert 0 < len(rows) < 2000
    assert (
        f"… and {2000 - len(rows)} more changes (see the full plan in the job log / artifact)"
        in (text)
    )
    # the cut keeps as many rows as fit: one more would not
    assert len(text) + len(rows[-1]) + 1 > 60000 - 100
    assert rows[0].startswith("| ~ update | owner0 | Task 00000 |")


def test_markdown_small_limits_are_honoured() -> None:
    plan = many_changes(50)
    for limit in (200, 500, 1000, 5000):
        text = render.render_markdown(plan, limit=limit)
        assert len(text) <= limit
        assert fences_balanced(text) and details_balanced(text)


def test_markdown_hard_cut_for_huge_title() -> None:
    text = render.render_markdown(mixed_plan(), title="T" * 100000)
    assert len(text) <= 60000
    assert text.rstrip().endswith("(cut to fit; see the full plan in the job log / artifact)")


def test_markdown_escapes_titles() -> None:
    title = "Parcels | `daily` *now* <b>x</b> [link](http://e.com) _x_ a_b"
    plan = Plan(changes=(change(Action.CREATE, "o", title, fields=fields(schedule=(None, "x"))),))
    text = render.render_markdown(plan)
    row = table_rows(text)[0]
    assert row.count("|") - row.count("\\|") == 5
    assert "Parcels \\| \\`daily\\` \\*now\\* &lt;b&gt;x&lt;/b&gt; \\[link\\](http://e.com)" in row
    assert "\\_x\\_ a_b" in row
    assert "<summary>+ create o/Parcels | `daily` *now* &lt;b&gt;x&lt;/b&gt;" in text


def test_markdown_fence_survives_backticks_in_values() -> None:
    value = "```\nnot a fence end\n````"
    plan = Plan(changes=(change(Action.UPDATE, "o", "t", fields=fields(task_url=(value, "b"))),))
    text = render.render_markdown(plan)
    assert fences_balanced(text)
    assert "`````diff" in text


def test_markdown_field_names_as_code_in_table() -> None:
    odd = change(Action.UPDATE, "o", "t", fields={"parameters.a|b`c": FieldChange(1, 2)})
    row = table_rows(render.render_markdown(Plan(changes=(odd,))))[0]
    assert row.endswith("| ``parameters.a\\|b`c`` |")


def test_markdown_empty_plan() -> None:
    text = render.render_markdown(Plan(changes=(), unchanged=2))
    assert "**No changes. The portal matches the configuration.**" in text
    assert "| Action |" not in text


titles = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
values = st.one_of(st.none(), st.booleans(), st.integers(), titles, st.lists(titles, max_size=3))


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    changes = []
    for i in range(draw(st.integers(0, 40))):
        action = draw(st.sampled_from(list(Action)))
        names = draw(st.lists(titles, max_size=4, unique=True))
        changes.append(
            change(
                action,
                owner=draw(titles),
                title=f"{draw(titles)} {i}",
                task_id=None if action is Action.CREATE else draw(titles),
                fields={n: FieldChange(draw(values), draw(values)) for n in names},
                reason=draw(st.none() | st.sampled_from(list(Reason))),
                state=draw(st.none() | st.sampled_from(list(LifecycleState))),
                detail=draw(titles),
            )
        )
    warnings = tuple(draw(st.lists(titles, max_size=5)))
    unmanaged = tuple(
        live(draw(titles), draw(titles), draw(titles)) for _ in range(draw(st.integers(0, 5)))
    )
    return Plan(changes=tuple(changes), warnings=warnings, unmanaged=unmanaged)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), limit=st.integers(0, 8000))
def test_markdown_property_fits_and_stays_well_formed(plan: Plan, limit: int) -> None:
    text = render.render_markdown(plan, limit=limit)
    assert len(text) <= limit
    assert fences_balanced(text)
    assert details_balanced(text)
    assert outside_fences(text).count("<!--") == outside_fences(text).count("-->")
    # every full table row has exactly five unescaped pipes
    for row in table_rows(text):
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row


@settings(max_examples=60, deadline=None)
@given(plan=plans())
def test_text_and_json_property(plan: Plan) -> None:
    text = render.render_text(plan)
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[-1] == render.format_summary(plan)
    data = json.loads(render.render_json(plan))
    jsonschema.validate(data, CONTRACT_SCHEMA)


# --- apply report ---------------------------------------------------------------------------------


def test_apply_report_counts_and_order() -> None:
    text = render.render_apply_report(apply_report())
    lines = text.splitlines()
    assert lines[-1] == "Apply: 3 applied, 1 failed, 1 skipped."
    assert render.format_apply_summary(apply_report()) == lines[-1]
    assert lines[0].split() == ["result", "action", "owner/title", "task", "id", "message"]
    assert [line.split()[0] for line in lines[1:6]] == [
        "applied",
        "failed",
        "applied",
        "skipped",
        "applied",
    ]
    # new id of a create; the portal's message on one line
    assert "feedfacefeedfacefeedfacefeedface" in lines[3]
    assert lines[2].endswith(
        "Portal error 400: Invalid cron expression. (hour 4 is fine, minute 30 is fine)"
    )


def test_apply_report_columns_line_up() -> None:
    lines = render.render_apply_report(apply_report()).splitlines()[:6]
    for header in ("action", "owner/title", "task id", "message"):
        column = lines[0].index(header)
        for line in lines[1:]:
            if len(line) > column:
                assert line[column - 2 : column] == "  " and line[column] != " ", (header, line)
    assert all(line == line.rstrip() for line in lines)


def test_apply_report_interrupted() -> None:
    last = render.render_apply_report(apply_report(True)).splitlines()[-1]
    assert last.startswith("Apply interrupted: 3 applied, 1 failed, 1 skipped.")


def test_apply_report_empty() -> None:
    assert render.render_apply_report(ApplyReport(results=())) == (
        "Apply: 0 applied, 0 failed, 0 skipped.\n"
    )


def test_public_api() -> None:
    assert set(render.__all__) >= {
        "plan_document",
        "render_json",
        "render_text",
        "render_markdown",
        "render_apply_report",
        "format_summary",
    }
    assert isinstance(render.plan_document(Plan(changes=())), Mapping)


def test_the_view_registry_offers_each_commands_formats() -> None:
    from taskform.render import views

    assert views.formats("plan") == ("text", "json", "markdown")
    assert views.formats("drift") == ("text", "json", "markdown")
    assert views.formats("status") == ("text", "json")
    assert views.formats("apply") == ("text",)
    assert views.formats("validate") == ("text", "json", "github")
    assert views.formats("calendar") == ("html", "ics", "markdown")
    assert views.formats("run") == views.formats("runs") == ("text", "json")
    assert views.VALIDATE["text"].stderr and views.VALIDATE["json"].whole
    plan = mixed_plan()
    context = views.Context(meta=META)
    assert views.pick(views.PLAN, "json").render(plan, context) == render.render_json(
        plan, meta=META
    )
    assert views.pick(views.PLAN, "text").render(plan, context) == render.render_text(plan)
    assert not views.PLAN["text"].data and views.PLAN["json"].data and views.PLAN["markdown"].data
    painted = views.PLAN["text"].render(plan, views.Context(paint=terminal_paint))
    assert painted == render.render_text(plan, paint=terminal_paint) != render.render_text(plan)


def test_no_module_outside_the_cli_imports_click() -> None:
    import ast

    root = Path(render.__file__).resolve().parent.parent
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("cli/") or rel == "emulator/command.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "click" or n.startswith("click.") for n in names):
                offenders.append(rel)
    assert offenders == []


def test_no_module_decides_by_comparing_note_text() -> None:
    """Meanings travel as types (Change.reason, LifecycleState, DriftKind); a note is for
    people only, so no comparison in the package reads one."""
    import ast

    root = Path(render.__file__).resolve().parent.parent
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Attribute) and o.attr == "note" for o in operands):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
