"""Fuzzing the configuration loader: whatever the input, a Config or a ConfigError, never
another exception (and so never a traceback for the user). Raw text goes through both YAML
parsers (``yaml_loader``: libyaml and PyYAML's own)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskform.config import loader
from taskform.config.loader import Config, load_config
from taskform.errors import ConfigError

GOOD = Path(__file__).resolve().parent.parent / "fixtures" / "good_configs"
ENV = {
    "PORTAL_URL": "https://p.example.com",
    "REGION": "w",
    "X": "1",
    "TOKEN": "t0k3n",
    "PARCELS_API_KEY": "k",
    "REPORT_PASSWORD": "p",
}
SEED_TEXT = (GOOD / "single" / "taskform.yaml").read_text(encoding="utf-8")

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TASK_KEYS = [
    "title", "type", "item_id", "schedule", "max_occurrences", "active", "start_date",
    "end_date", "parameters", "task_url", "owner", "absent", "lifecycle", "description",
]  # fmt: skip
TOP_KEYS = ["version", "portal", "owner", "prune", "tasks"]
PARAM_KEYS = [
    "updatePortalItem", "saveInjectedParameters", "notebookParameters", "service_url",
    "num_of_caching_service_instances", "layer", "update_mode",
]  # fmt: skip
STRINGS = [
    "ExecuteNotebook", "ExecuteSceneCook", "ExecuteReport", "GPService", "RunDataPipeline",
    "0 2 * * 1-5", "@daily", "0 0 31 2 *", "0 2 1 * 1", "* * * * * *", "61 * * * *",
    "2026-12-01T00:00:00Z", "2026-12-01T00:00:00", "2027-01-01T00:00:00+02:00", "2026-02-30",
    "029b61ca770e428d9468a2a55f40b9fb", "https://s.example.com/rest/services/A/GPServer/B",
    "${env:X}", "${env:MISSING}", "${secret:TOKEN}", "$${x}", "${", "${bad}", '{"a": 1}', "[1]",
    "keep", "enable", "PARTIAL_UPDATE_NODES", "", " ", "{}",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(STRINGS),
    st.text(max_size=20),
    st.integers(min_value=-3, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)


def _mappings(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.one_of(st.sampled_from(TASK_KEYS + TOP_KEYS + PARAM_KEYS), st.text(max_size=8))
    return st.dictionaries(keys, children, max_size=6)


values = st.recursive(
    scalars, lambda children: st.one_of(st.lists(children, max_size=4), _mappings(children)),
    max_leaves=25,
)  # fmt: skip
tasks = st.fixed_dictionaries(
    {"title": st.one_of(st.sampled_from(["A", "B", "A"]), scalars)},
    optional={key: values for key in TASK_KEYS[1:]},
)
documents = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 1, 2, "1"]), "tasks": st.lists(tasks, max_size=4)},
    optional={"portal": values, "owner": values, "prune": values},
)


def _load(path: Path) -> Config | ConfigError:
    try:
        return load_config(path, env=ENV)
    except ConfigError as exc:
        for problem in exc.problems:
            assert isinstance(problem.message, str) and problem.message
            assert "t0k3n" not in str(problem)
        return exc


@FUZZ
@given(st.text(max_size=400))
def test_random_text(tmp_path: Path, yaml_loader: bool, text: str) -> None:
    path = tmp_path / "taskform.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load(path)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, yaml_loader: bool, data: bytes) -> None:
    path = tmp_path / "taskform.yaml"
    path.write_bytes(data)
    _load(path)


@FUZZ
@given(documents)
def test_yaml_shaped_documents(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "taskform.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _exercise(_load(path))


BASE_TASK = {
    "title": "Nightly",
    "type": "ExecuteNotebook",
    "item_id": "029b61ca770e428d9468a2a55f40b9fb",
    "schedule": "0 2 * * *",
    "parameters": {"notebookParameters": {"k": "${secret:TOKEN}"}},
}


@FUZZ
@given(
    st.lists(
        st.dictionaries(st.sampled_from(TASK_KEYS), values, max_size=2).map(
            lambda changes: {**BASE_TASK, **changes}
        ),
        max_size=4,
    ),
    st.sampled_from([None, "alice", "someone"]),
)
def test_nearly_valid_documents(tmp_path: Path, task_list: list[Any], owner: str | None) -> None:
    document: dict[str, Any] = {"version": 1, "tasks": task_list}
    if owner:
        document["owner"] = owner
    path = tmp_path / "taskform.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _exercise(_load(path))


def _exercise(result: Config | ConfigError) -> None:
    if isinstance(result, Config):
        result.digest()
        result.owners()
        try:
            result.resolve_owner("someone")
        except ConfigError as exc:
            assert "duplicate task" in str(exc)


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(SEED_TEXT)), st.integers(0, 8), st.text(max_size=6)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_good_config(
    tmp_path: Path, yaml_loader: bool, edits: list[tuple[int, int, str]]
) -> None:
    text = SEED_TEXT
    for where, cut, insert in edits:
        text = text[:where] + insert + text[where + cut :]
    path = tmp_path / "taskform.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _exercise(_load(path))


def _outcome(path: Path) -> object:
    try:
        return load_config(path, env=ENV, now=NOW)
    except ConfigError as exc:
        return [str(problem) for problem in exc.problems]


NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)


@FUZZ
@given(
    st.one_of(
        documents,
        st.lists(
            st.dictionaries(st.sampled_from(TASK_KEYS), values, max_size=2).map(
                lambda changes: {**BASE_TASK, **changes}
            ),
            max_size=4,
        ).map(lambda ts: {"version": 1, "tasks": ts}),
    )
)
def test_values_the_interpolation_skips_change_nothing(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    # The reference walk skips values it would return as they are (loader._untouched); walking
    # into every value instead must give the same configuration and the same problems.
    path = tmp_path / "taskform.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    skipping = _outcome(path)
    with mock.patch.object(loader, "_untouched", lambda value: False):
        walking = _outcome(path)
    assert skipping == walking
