"""export: canonical YAML that the loader reads back to the same tasks, credentials withheld."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from taskform.config.export import export_yaml
from taskform.config.loader import load_config
from taskform.errors import ConfigError
from taskform.model import CronFields
from taskform.plan.planner import make_plan
from tests.support.fakes import live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_credentials_anywhere_in_parameters_become_secret_references() -> None:
    task = live_task(
        title="Vendor sync",
        parameters={
            "notebookParameters": '{"creds": [{"password": "s3cr3tpw"}], "tokens": ["abcd1234"],'
            ' "api_key": {"nested": "k-123456"}, "region": "west"}'
        },
    )
    found: dict[str, str] = {}
    text = export_yaml({"admin": [task]}, default_owner="admin", secrets=found)
    for value in ("s3cr3tpw", "abcd1234", "k-123456"):
        assert value not in text
    assert "region: west" in text
    assert set(found.values()) == {
        "VENDOR_SYNC_PASSWORD",
        "VENDOR_SYNC_TOKENS",
        "VENDOR_SYNC_API_KEY",
    }


def test_text_with_dollar_brace_and_uppercase_item_ids_round_trip(tmp_path: Path) -> None:
    task = live_task(
        title="Costs ${region}",
        item_id="029B61CA770E428D9468A2A55F40B9FB",
        cron=CronFields("0", "2", "?", "*", "2-6"),
        parameters={"notebookParameters": '{"template": "${x}"}'},
    )
    path = tmp_path / "exported.yaml"
    path.write_text(export_yaml({"admin": [task]}, default_owner="admin"))
    yaml.safe_load(path.read_text())
    config = load_config(path, env={})
    (declared,) = config.present
    assert declared.title == "Costs ${region}"
    assert declared.parameters["notebookParameters"] == {"template": "${x}"}
    plan = make_plan(config.tasks, {"admin": [task]}, now=NOW)
    assert plan.empty, plan.changes


def test_credentials_recognised_by_value_are_withheld_and_round_trip(tmp_path: Path) -> None:
    """Names that do not look like credentials: a password inside a connection URL, a token in
    a webhook's query string, a SAS signature, a reference-shaped live string. Each is written
    as a ${secret:NAME}; with those set, the export plans to no changes."""
    import json

    values = {
        "dsn": "postgres://app:Pw%40rd-9911@db.internal:5432/gis",
        "webhook": "https://hooks.example/notify?channel=ops&token=tk-5566-abcd",
        "blob": "https://acct.blob.example/c/x.csv?sv=2024&sig=S1gnature%3D",
        "template": "${secret:OLD_KEY}",
        "plain_url": "https://example.com/x?monkey=banana&page=2",
    }
    task = live_task(title="Nightly load", parameters={"notebookParameters": json.dumps(values)})
    found: dict[str, str] = {}
    text = export_yaml({"admin": [task]}, default_owner="admin", secrets=found)
    for secret in ("Pw%40rd-9911", "tk-5566-abcd", "S1gnature%3D"):
        assert secret not in text
    assert "postgres://app:${secret:NIGHTLY_LOAD_DSN_PASSWORD}@db" in text
    assert "monkey=banana&page=2" in text  # not credential-like: kept
    where = "admin/Nightly load: notebookParameters"
    assert found == {
        f"{where}.dsn (password in a URL)": "NIGHTLY_LOAD_DSN_PASSWORD",
        f"{where}.webhook (query parameter token)": "NIGHTLY_LOAD_WEBHOOK_TOKEN",
        f"{where}.blob (query parameter sig)": "NIGHTLY_LOAD_BLOB_SIG",
        f"{where}.template (a secret reference)": "OLD_KEY",
    }
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    env = {
        "NIGHTLY_LOAD_DSN_PASSWORD": "Pw%40rd-9911",
        "NIGHTLY_LOAD_WEBHOOK_TOKEN": "tk-5566-abcd",
        "NIGHTLY_LOAD_BLOB_SIG": "S1gnature%3D",
        "OLD_KEY": "${secret:OLD_KEY}",
    }
    config = load_config(path, env=env)
    plan = make_plan(config.tasks, {"admin": [task]}, now=NOW)
    assert plan.empty, plan.changes


BIDI = "Sync \u202eevil\u202c caf\u00e9"
HIDDEN = "zero\u200bwidth \u2066isolate\u2069 line\u2028sep"


def test_hidden_characters_are_written_escaped_and_read_back_the_same(tmp_path: Path) -> None:
    """A portal title with a bidi override and a parameter with zero-width and isolate
    characters: the YAML holds none of them raw (double-quoted escapes), and reads back as the
    same text, through PyYAML and through taskform's own loader."""
    task = live_task(
        title=BIDI,
        parameters={"notebookParameters": json.dumps({"label": HIDDEN, "plain": "café"})},
    )
    text = export_yaml({"admin": [task]}, default_owner="admin")
    for ch in "\u202e\u202c\u200b\u2066\u2069\u2028":
        assert ch not in text, repr(ch)
    assert '- title: "Sync \\u202Eevil\\u202C caf\\xE9"' in text, text
    assert 'label: "zero\\u200Bwidth \\u2066isolate\\u2069 line\\Lsep"' in text, text
    assert "plain: café" in text  # text without hidden characters stays as it is
    loaded = yaml.safe_load(text)["tasks"][0]
    assert loaded["title"] == BIDI
    assert loaded["parameters"]["notebookParameters"]["label"] == HIDDEN
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:  # validate refuses such a title, at its line
        load_config(path, env={})
    line = text.splitlines().index('- title: "Sync \\u202Eevil\\u202C caf\\xE9"') + 1
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (line, "title has an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        (line, "title has an invisible character (U+202C POP DIRECTIONAL FORMATTING)"),
    ]
    # The same task under a clean title: the hidden parameter text reads back exactly.
    clean = live_task(title="Sync", parameters=task.parameters)
    path.write_text(export_yaml({"admin": [clean]}, default_owner="admin"), encoding="utf-8")
    config = load_config(path, env={})
    (declared,) = config.present
    assert declared.parameters["notebookParameters"]["label"] == HIDDEN
    assert make_plan(config.tasks, {"admin": [clean]}, now=NOW).empty
