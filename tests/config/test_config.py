"""Loading valid configurations: what ends up in :class:`Config` and each :class:`DesiredTask`.

Invalid configurations are covered by the corpus in test_bad_configs.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from taskform import tasktypes
from taskform.config import yamlpos
from taskform.config.loader import Config, load_config
from taskform.config.yamlpos import YamlError, parse
from taskform.errors import ConfigError
from taskform.model import (
    LIFECYCLE_CHOICES,
    LIFECYCLE_DEFAULTS,
    AbsentTask,
    CronFields,
    DesiredTask,
    Position,
    present,
)
from taskform.schemas import load_schema, load_schema_text

GOOD = Path(__file__).resolve().parent.parent / "fixtures" / "good_configs"
ENV = {
    "PORTAL_URL": "https://myorg.maps.arcgis.com",
    "REGION": "west",
    "PARCELS_API_KEY": "k-123-secret",
    "REPORT_PASSWORD": "pw-456-secret",
}


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).astimezone(timezone.utc).timestamp() * 1000)


@pytest.fixture
def single(monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.chdir(GOOD / "single")
    return load_config("taskform.yaml", env=ENV)


def write(tmp_path: Path, text: str, name: str = "taskform.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- a single file ---------------------------------------------------------------------------


def test_single_file_top_level(single: Config) -> None:
    assert single.portal == "https://myorg.maps.arcgis.com"
    assert single.owner == "gis_admin"
    assert single.prune is True
    assert single.files == ("taskform.yaml",)
    assert [t.title for t in single.tasks] == [
        "Nightly parcels refresh",
        "Weekly scene cook",
        "Monthly usage report",
        "Nightly clip",
        "Old parcels job",
    ]


def test_notebook_task_fields(single: Config) -> None:
    task = single.present[0]
    assert task.owner == "another_user"
    assert task.type == "ExecuteNotebook"
    assert task.item_id == "029b61ca770e428d9468a2a55f40b9fb"  # lower-cased
    assert task.schedule == "0 2 * * 1-5"  # stripped
    assert task.cron == CronFields("0", "2", "?", "*", "2-6")
    assert task.max_occurrences == 1000
    assert task.active is True
    assert task.start_date == ms("2026-12-01T00:00:00+00:00") == 1796083200000
    assert task.end_date == ms("2027-12-01T00:00:00+00:00")
    assert task.parameters == {
        "updatePortalItem": True,
        "saveInjectedParameters": False,
        "notebookParameters": {
            "region": "west",
            "api_key": "k-123-secret",
            "note": "costs ${budget}",
        },
    }
    assert task.secrets == frozenset({"notebookParameters.api_key"})
    assert task.lifecycle == LIFECYCLE_DEFAULTS
    assert task.position == Position("taskform.yaml", 7)


def test_other_task_types(single: Config) -> None:
    cook, report, clip = single.present[1:]
    old = single.tasks[4]
    assert cook.owner == "gis_admin"
    assert cook.max_occurrences == -1
    assert cook.active is False
    assert cook.cron == CronFields("0", "0", "?", "*", "1")
    assert cook.parameters["update_mode"] == "PARTIAL_UPDATE_NODES"
    assert cook.lifecycle == {**LIFECYCLE_DEFAULTS, "paused": "keep"}
    assert report.item_id is None
    assert report.max_occurrences is None
    assert report.parameters == {"reportType": "usage", "password": "pw-456-secret"}
    assert report.secrets == frozenset({"password"})
    assert clip.task_url == "https://gis.example.com/server/rest/services/Tools/Clip/GPServer/Clip"
    assert clip.cron == CronFields("30", "4", "?", "*", "1")
    assert isinstance(old, AbsentTask)
    assert old.owner == "gis_admin"
    assert old.position == Position("taskform.yaml", 48)


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(GOOD / "single")
    assert (
        load_config("taskform.yaml").present[0].parameters["notebookParameters"]["region"] == "west"
    )


def test_path_objects_and_every_good_config_load() -> None:
    for folder in sorted(p for p in GOOD.iterdir() if p.is_dir()):
        target = folder / "taskform.yaml"
        assert load_config(target if target.exists() else folder, env=ENV).tasks


# -- a directory -----------------------------------------------------------------------------


def test_directory_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOOD / "directory")
    config = load_config(".", env={})
    assert config.files == ("shared.yaml", "team-a.yaml", "team-b/nightly.yml")  # .drafts skipped
    assert config.portal == "https://gis.example.com/portal"
    assert config.prune is False
    assert config.owner is None  # the files do not agree on one
    keys = [(t.owner, t.title) for t in config.tasks]
    assert keys == [
        ("", "Workbook refresh"),
        ("alice", "Workbook refresh"),
        ("carol", "Alice's pipeline"),
        ("bob", "Workbook refresh"),
        ("bob", "Workflow jobs"),
    ]
    assert config.owners() == ("", "alice", "carol", "bob")
    assert config.tasks[2].position == Position("team-a.yaml", 9)
    assert config.present[4].cron == CronFields("0", "0", "L", "*", "?")


def test_directory_given_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOOD)
    config = load_config("directory", env={})
    assert config.files[2] == "directory/team-b/nightly.yml"


def test_symlink_inside_tree_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "conf"
    write(root, "version: 1\ntasks:\n  - title: T\n    absent: true\n", "a.yaml")
    (root / "b.yaml").symlink_to(root / "a.yaml")
    (root / "sub").symlink_to(root)
    config = load_config(root, env={})
    assert config.files == (str(root / "a.yaml"),)
    assert len(config.tasks) == 1


def test_single_owner_shared_by_all_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        write(tmp_path, "version: 1\nowner: alice\ntasks: []\n", name)
    assert load_config(tmp_path, env={}).owner == "alice"


# -- interpolation and secrets ---------------------------------------------------------------


def test_env_anywhere_and_escape(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "version: 1\nowner: ${env:OWNER}\ntasks:\n"
        "  - title: ${env:PREFIX}-$${literal}-${env:PREFIX}\n    absent: true\n",
    )
    config = load_config(path, env={"OWNER": "team", "PREFIX": "p"})
    assert config.owner == "team"
    assert config.tasks[0].key == ("team", "p-${literal}-p")


def test_secrets_nested_and_in_json_string(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "version: 1\ntasks:\n"
        "  - title: Notebook\n    type: ExecuteNotebook\n"
        "    item_id: 029b61ca770e428d9468a2a55f40b9fb\n    schedule: '@hourly'\n"
        "    parameters:\n"
        '      notebookParameters: \'{"token": "Bearer ${secret:TOKEN}", "n": 3}\'\n'
        "  - title: Other\n    type: RunDataPipeline\n"
        "    item_id: 029b61ca770e428d9468a2a55f40b9fb\n    schedule: '@hourly'\n"
        "    parameters:\n      auth:\n        servers: [{password: '${secret:TOKEN}'}]\n",
    )
    notebook, other = load_config(path, env={"TOKEN": "abc"}).present
    assert notebook.parameters["notebookParameters"] == {"token": "Bearer abc", "n": 3}
    assert notebook.secrets == frozenset({"notebookParameters.token"})
    assert other.parameters == {"auth": {"servers": [{"password": "abc"}]}}
    assert other.secrets == frozenset({"auth.servers.0.password"})


def test_notebook_parameters_string_equals_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOOD / "anchors")
    east, west = load_config("taskform.yaml", env={}).present
    assert east.parameters == {"notebookParameters": {"region": "east"}}
    assert west.parameters == {"notebookParameters": {"region": "west"}}
    # the merge key copied everything else from the anchored task
    assert (west.type, west.item_id, west.cron) == (east.type, east.item_id, east.cron)
    assert west.position == Position("taskform.yaml", 11)


# -- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00+00:00"),
        ("2026-12-01T02:00:00+02:00", "2026-12-01T00:00:00+00:00"),
        ("2026-12-01t00:00:00z", "2026-12-01T00:00:00+00:00"),
        ("2026-11-30 19:00:00-0500", "2026-12-01T00:00:00+00:00"),
        ("2026-12-01T05:30+05:30", "2026-12-01T00:00:00+00:00"),
        ("2026-12-01T00:00:00.250Z", "2026-12-01T00:00:00.250+00:00"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59+00:00"),
    ],
)
def test_dates_become_epoch_ms(tmp_path: Path, text: str, expected: str) -> None:
    path = write(
        tmp_path,
        "version: 1\ntasks:\n  - title: T\n    type: ExecuteReport\n    schedule: '@daily'\n"
        f"    parameters: {{}}\n    start_date: {text}\n",
    )
    assert load_config(path, env={}).present[0].start_date == ms(expected)


# -- owners ----------------------------------------------------------------------------------


def test_resolve_owner_fills_signed_in_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOOD / "directory")
    config = load_config(".", env={})
    resolved = config.resolve_owner("dave")
    assert resolved.owners() == ("dave", "alice", "carol", "bob")
    assert resolved.tasks[0].owner == "dave"
    assert config.tasks[0].owner == ""  # the original is unchanged
    assert resolved.resolve_owner("erin") == resolved


def test_resolve_owner_copies_tasks_as_replace_would(tmp_path: Path) -> None:
    # The owner is filled in without re-running __init__ (10,000 tasks): every field of the
    # copy is what dataclasses.replace gives, absent tasks included; the original is untouched.
    path = write(
        tmp_path,
        "version: 1\ntasks:\n"
        "  - {title: A, type: ExecuteReport, schedule: '@daily', parameters: {}, active: false}\n"
        "  - {title: B, absent: true}\n"
        "  - {title: C, owner: carol, absent: true}\n",
    )
    config = load_config(path, env={})
    resolved = config.resolve_owner("dave")
    for before, after in zip(config.tasks, resolved.tasks, strict=True):
        expected = before if before.owner else dataclasses.replace(before, owner="dave")
        assert type(after) is type(before)
        assert vars(after) == vars(expected)
        assert after.key == expected.key
    assert [t.owner for t in config.tasks] == ["", "", "carol"]
    assert isinstance(resolved.tasks[1], AbsentTask)


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.iterdir()))
def test_checked_tasks_are_what_their_constructor_makes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checker makes each DesiredTask without its __init__ (taskform.model.made): every
    # field is set, in order, equal to what DesiredTask(...) holds for the same values.
    monkeypatch.chdir(GOOD)
    config = load_config(name, env={"NB_API_KEY": "k", "ARCGIS_ORG": "o"}, resolve=False)
    assert present(config.tasks)
    for task in present(config.tasks):
        names = [f.name for f in dataclasses.fields(DesiredTask)]
        assert list(vars(task)) == names
        rebuilt = DesiredTask(**{n: getattr(task, n) for n in names})
        assert task == rebuilt and repr(task) == repr(rebuilt)
        assert task.owner_position == rebuilt.owner_position


def test_resolve_owner_finds_new_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOOD / "directory")
    config = load_config(".", env={})
    with pytest.raises(ConfigError) as info:
        config.resolve_owner("alice")
    assert str(info.value) == (
        "1 problem in the configuration:\n"
        "  team-a.yaml:5: duplicate task 'Workbook refresh' for owner 'alice' "
        "(also at shared.yaml:4) (titles must be unique per owner; rename one of them)"
    )


# -- digest ----------------------------------------------------------------------------------


def test_digest_is_stable_and_tracks_secrets(tmp_path: Path) -> None:
    src = GOOD / "single" / "taskform.yaml"
    first = load_config(src, env=ENV)
    assert first.digest() == load_config(src, env=dict(ENV)).digest()
    assert len(first.digest()) == 64
    # Secret values stay out of the digest, which is stored in plan files (a weak secret could
    # be guessed from it); a rotated secret makes a saved plan stale through its fields instead
    # (tests/plan/test_planfile.py).
    changed = load_config(src, env={**ENV, "PARCELS_API_KEY": "rotated"})
    assert changed.digest() == first.digest()

    # moving tasks around, or into another file, changes nothing
    one = "  - title: One\n    absent: true\n"
    two = "  - title: Two\n    absent: true\n"
    a = load_config(write(tmp_path, "version: 1\ntasks:\n" + one + two, "a.yaml"), env={})
    b = load_config(write(tmp_path, "version: 1\ntasks:\n" + two + one, "b/b.yaml"), env={})
    write(tmp_path, "version: 1\ntasks:\n" + two, "c/x.yaml")
    write(tmp_path, "version: 1\ntasks:\n" + one, "c/y.yaml")
    c = load_config(tmp_path / "c", env={})
    assert a.digest() == b.digest() == c.digest()

    other = dataclasses.replace(first, prune=False)
    assert other.digest() != first.digest()


# -- YAML ------------------------------------------------------------------------------------


def test_yaml_keeps_timestamps_as_text_and_keys_as_text() -> None:
    doc = parse("on: 2026-12-01\n1: yes\nwhen: 2026-12-01T00:00:00Z\n", "f.yaml")
    assert doc.data == {"on": "2026-12-01", "1": True, "when": "2026-12-01T00:00:00Z"}
    assert doc.line(("when",)) == 3
    assert doc.line(("when", "deeper", 0)) == 3


TAB = "indent with spaces; YAML does not allow tabs"
FLOW = "check that every [ and { is closed, or quote the value"


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        ("a:\n  b: 1\n\tc: 2\n", 3, "column 1: a tab character is not allowed here", TAB),
        ("a:\n\t- b\n", 2, "column 1: a tab character is not allowed here", TAB),
        ("a: |\n\tx\n", 2, "column 1: a tab character is not allowed here", TAB),
        (
            "é: 1\nschedule: @daily\n",
            2,
            "column 11: found character '@' that cannot start any token",
            'quote values starting with @, e.g. "@daily"',
        ),
        (
            "a: `x`\n",
            1,
            "column 4: found character '`' that cannot start any token",
            "quote the value",
        ),
        (
            "a: [1, 2\nb: 2\n",
            2,
            "column 2: expected ',' or ']', but got ':', while parsing a flow sequence that"
            " starts at line 1, column 4",
            FLOW,
        ),
        ("a: [1,,2]\n", 1, "column 7: expected", FLOW),
        ("a:\n  b: 1\n c: 2\n", 3, "column 2: expected", "check the indentation"),
        ("a: 1\n- b\n", 2, "column 1: expected", "check the indentation"),
        ("a: b: c\n", 1, "column 5: mapping values are not allowed", "check the indentation, or"),
        ("a: 1\nb\nc: 2\n", 3, "column 1: could not find expected ':'", "check the indentation"),
        ("a: *nope\n", 1, "column 4: found undefined alias 'nope'", "define the anchor"),
        ('a: "\\q"\n', 1, "found unknown escape character 'q'", ""),
        ("a: !foo!bar x\n", 1, "column 4: found undefined tag handle", "remove the tag"),
        # A character YAML refuses, on the right line after multi-byte UTF-8.
        ("a: ééééééé\n\x07\nb: 1\nc: 2\n", 2, "the character U+0007", "remove it"),
        ("a: 1\nb: ü\x9f\n", 2, "the character U+009F", "remove it"),
        ("a: 1\n\0\n", 2, "the character U+0000", "remove it"),
        ("a: 1\nb: x\ud800\n", 2, "the character U+D800", "remove it"),
    ],
)
def test_yaml_syntax_errors(
    yaml_loader: bool, text: str, line: int, message: str, hint: str
) -> None:
    with pytest.raises(YamlError) as info:
        parse(text, "f.yaml")
    (issue,) = info.value.issues
    assert issue.line == line
    assert message in issue.message
    assert hint in issue.hint


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # libyaml names only what it expected; the loader adds what it found.
        ("a: [1, 2", 2, "column 1: expected ',' or ']', but got the end of the file"),
        (
            "a: &\nb: 1\n",
            1,
            "column 5: expected alphabetic or numeric character, but found the end of the line",
        ),
        ("a: & x\n", 1, "column 5: expected alphabetic or numeric character, but found a space"),
        ("a: 1\n- b\n", 2, "column 1: expected key, but found '-', while parsing a block mapping"),
        # libyaml skips a byte-order mark at the start of a line, then trips on the indentation.
        ("a: 1\n\ufeffb: 2\n", 2, "the line starts with a byte-order mark (U+FEFF)"),
    ],
)
def test_libyaml_errors_say_what_was_found(
    monkeypatch: pytest.MonkeyPatch, text: str, line: int, message: str
) -> None:
    monkeypatch.setattr(yamlpos, "LIBYAML", True)
    with pytest.raises(YamlError) as info:
        parse(text, "f.yaml")
    (issue,) = info.value.issues
    assert issue.line == line
    assert message in issue.message


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_libyaml_and_pyyaml_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [p for p in sorted(GOOD.rglob("*.y*ml")) if ".drafts" not in p.parts]
    texts = [path.read_text(encoding="utf-8") for path in paths]
    texts.append(
        "base: &b {x: 1, 'y': [a, 'b', \"c\"]}\nm:\n  <<: *b\n  x: 2\nn: ~\nf: 1.5e3\n"
        "o: 0o17\nh: 0x1F\nt: 2026-12-01\ns: |\n  line\n  more\nk: >-\n  folded\n  text\n"
        "? complex\n: 1\nlist:\n- - nested\n  - 'q'\n- {}\n- []\nü: é\n"
    )
    for text in texts:
        monkeypatch.setattr(yamlpos, "LIBYAML", True)
        fast = parse(text, "f.yaml")
        monkeypatch.setattr(yamlpos, "LIBYAML", False)
        slow = parse(text, "f.yaml")
        assert fast == slow


def test_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "taskform.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\ntasks: []\n")
    assert load_config(path, env={}).tasks == ()


def test_config_is_frozen(single: Config) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        single.prune = False  # type: ignore[misc]


def test_copied_fixture_reports_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(GOOD / "directory", tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    assert load_config("conf", env={}).files[0] == "conf/shared.yaml"


# -- the schema ------------------------------------------------------------------------------


def test_schema_matches_the_model() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    task = schema["$defs"]["task"]["properties"]
    assert tuple(task["type"]["enum"]) == tasktypes.NAMES
    lifecycle = task["lifecycle"]["properties"]
    assert {k: tuple(v["enum"]) for k, v in lifecycle.items()} == dict(LIFECYCLE_CHOICES)
    assert {k: v["default"] for k, v in lifecycle.items()} == dict(LIFECYCLE_DEFAULTS)
    assert json.loads(load_schema_text()) == schema


def test_every_schema_property_is_described() -> None:
    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert sub.get("description"), f"{where}.{name} has no description"
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")

    walk(load_schema(), "schema")


def test_schema_closed_everywhere_but_parameters() -> None:
    schema = load_schema()
    assert schema["additionalProperties"] is False
    task = schema["$defs"]["task"]
    assert task["additionalProperties"] is False
    assert task["properties"]["lifecycle"]["additionalProperties"] is False
    assert "additionalProperties" not in task["properties"]["parameters"]
