"""The fast path of yamlpos (config/yamlfast.py) reads every document exactly as the careful
node-by-node path does, and hands every document it does not take (tags, anchors, merges,
duplicate or complex keys, deep nesting, errors, several documents) to the careful path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskform.config import yamlpos

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = sorted(p for p in (FIXTURES / "good_configs").rglob("*.y*ml") if ".drafts" not in p.parts)
BAD = sorted((FIXTURES / "bad_configs").rglob("*.y*ml"))

PLAIN = (
    "version: 1\nportal: https://p.example.com\ntasks:\n"
    "- title: Nightly\n  type: ExecuteNotebook\n  item_id: '029b61ca770e428d9468a2a55f40b9fb'\n"
    '  schedule: "0 2 * * *"\n  max_occurrences: 1_000\n  active: off\n  start_date: 2026-12-01\n'
    "  parameters: {a: [1, 0x1F, 0o17, 1.5e3, .inf, -.nan, ~, null, '', yes, No, 1:30]}\n"
    "  description: |\n    two\n    lines\n  k: >-\n    folded\n    text\n"
    "- {title: 'B', type: ExecuteNotebook, x: [[], {}, [[1]]], 'on': true, 1: one, null: n}\n"
    "nested:\n  - - a\n    - b\n  - c: {d: [e]}\n'<<': quoted merge is a key\nü: é\n"
)

NOT_PLAIN = [
    "a: !!str 1\n",  # a tag
    "a: !local x\n",
    "a: ! x\n",  # the non-specific tag
    "a: &x 1\nb: *x\n",  # an anchor and an alias
    "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",  # a merge
    "m:\n  <<: {x: 1}\n  y: 2\n",  # a merge without an alias
    "m:\n  <<: [{x: 1}, {z: 3}]\n",
    "a: 1\na: 2\n",  # a duplicate key
    "? [a]\n: 1\n",  # a list as a key
    "? {a: 1}\n: 1\n",
    "a: 1\n---\nb: 2\n",  # two documents
    "",  # empty
    "---\n",
    "# only a comment\n",
    "~\n",
    "a: [1, 2\n",  # a syntax error
    "a:\n\tb: 1\n",
    "a: 1\n- b\n",
    "[" * 70 + "]" * 70 + "\n",  # deeper than MAX_DEPTH
    "a: \ud800\n",  # a lone surrogate (libyaml takes UTF-8 only)
    "a: 1\x07\n",  # a character YAML does not allow
]


def _careful(text: str) -> yamlpos.Document | yamlpos.YamlError:
    try:
        return yamlpos._parse_nodes(text, "f.yaml")
    except yamlpos.YamlError as exc:
        return exc


def _fast(text: str) -> yamlpos.Document | None:
    composed = yamlpos._compose_fast(text)
    return None if composed is None else yamlpos.Document("f.yaml", *composed)


def _same(text: str) -> yamlpos.Document | None:
    """The fast result, after checking it is the careful one (or that there is none)."""
    fast = _fast(text)
    if fast is not None:
        assert fast == _careful(text)
    return fast


def test_plain_documents_take_the_fast_path_and_read_the_same(yaml_loader: bool) -> None:
    document = _same(PLAIN)
    assert document is not None
    task = document.data["tasks"][0]
    assert task["max_occurrences"] == 1000 and task["active"] is False
    assert task["start_date"] == "2026-12-01"  # timestamps stay text
    assert document.data["tasks"][1]["1"] == "one" and document.data["<<"].startswith("quoted")
    assert document.line(("tasks", 1, "x", 2, 0)) == 18
    assert document.line(("nested", 1, "c", "d", 0)) == 22


@pytest.mark.parametrize("path", GOOD, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_configs_read_the_same(yaml_loader: bool, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = _same(text)
    if "&" not in text and "!" not in text:
        assert fast is not None, "a plain fixture should take the fast path"


def test_bad_configs_read_the_same_or_go_the_careful_way(yaml_loader: bool) -> None:
    taken = 0
    for path in BAD:
        text = path.read_bytes().decode("utf-8", "replace")
        taken += _same(text) is not None
    assert 0 < taken < len(BAD)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_what_is_not_plain_goes_the_careful_way(yaml_loader: bool, text: str) -> None:
    assert _fast(text) is None
    careful = _careful(text)
    try:
        parsed = yamlpos.parse(text, "f.yaml")
    except yamlpos.YamlError as exc:
        assert isinstance(careful, yamlpos.YamlError) and exc.issues == careful.issues
    else:
        assert parsed == careful


def test_the_node_limit_applies_on_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: [" + ", ".join(["1"] * 50) + "]\n"
    assert _fast(text) is not None
    monkeypatch.setattr(yamlpos, "MAX_NODES", 40)
    assert _fast(text) is None
    with pytest.raises(yamlpos.YamlError, match="more than 40 values"):
        yamlpos.parse(text, "f.yaml")


def test_depth_at_the_limit_is_fast_and_one_more_is_careful(yaml_loader: bool) -> None:
    deepest = "[" * yamlpos.MAX_DEPTH + "]" * yamlpos.MAX_DEPTH + "\n"
    assert _same(deepest) is not None
    deeper = "[" + deepest.strip() + "]\n"
    assert _fast(deeper) is None
    with pytest.raises(yamlpos.YamlError, match="nested more than 64 levels"):
        yamlpos.parse(deeper, "f.yaml")


KEYS = st.one_of(
    st.sampled_from(["title", "type", "<<", "on", "1", "null", "~", "", " a", "a b"]),
    st.text(max_size=6),
)
SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["1_0", "0b101", "0x1g", "1:30", "+.5", "-1e3", ".NaN", "Yes", "~", "2026-12-01"]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=30,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(VALUES, st.booleans(), st.booleans())
def test_generated_documents_read_the_same(
    yaml_loader: bool, value: Any, flow: bool, canonical: bool
) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True, canonical=canonical)
    fast = _same(text)
    if not canonical and value is not None:
        assert fast is not None  # safe_dump writes no tag, anchor or alias without canonical


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.sampled_from(list("ab:- \n[]{},'\"&*!<>|#?~1.")), max_size=60))
def test_random_yaml_like_text(yaml_loader: bool, text: str) -> None:
    _same(text)
