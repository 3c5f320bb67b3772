"""The corpus of invalid configurations: one folder per mistake under tests/fixtures/bad_configs.

Each folder holds the configuration (``taskform.yaml``, or several YAML files that are then
loaded as a directory, or a ``path.txt`` naming the path to pass) and ``expected.txt``: the
exact text of the :class:`ConfigError`, with paths relative to the folder. The folder is
copied to a temporary directory, prepared by ``SETUP`` where a case cannot be committed
(a file over the size limit, a symbolic link), and loaded from inside it, once with libyaml
and once with PyYAML's pure-Python parser: both must give the same text.

To (re)write the expected files after a deliberate change of messages::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/config/test_bad_configs.py

then read every changed ``expected.txt`` (``git diff tests/fixtures/bad_configs``) before
committing: each must say what is wrong, where, and what to do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from taskform.config.loader import load_config
from taskform.config.yamlpos import MAX_BYTES
from taskform.errors import ConfigError
from tests.conftest import check_golden

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "bad_configs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
LIBYAML = yaml.__with_libyaml__

SECRET = "s3cret-Value-42"
ENV = {
    "API_KEY": SECRET,
    "REGION": "west",
    "NOT_AN_ID": "hunter2-not-an-id",
}

#: Cases whose problems concern a whole file or path, so they have no line.
NO_LINE = {
    "empty-dir",
    "empty-file",
    "huge-file",
    "missing-path",
    "only-comments",
    "symlink-outside-tree",
    "utf16-file",
}


def _huge_file(folder: Path) -> None:
    line = "# " + "x" * 1000 + "\n"
    text = "version: 1\ntasks: []\n" + line * (MAX_BYTES // len(line) + 1)
    (folder / "taskform.yaml").write_text(text, encoding="utf-8")


def _symlink_outside(folder: Path) -> None:
    outside = folder.parent / "elsewhere.yaml"
    outside.write_text("version: 1\ntasks: []\n", encoding="utf-8")
    (folder / "linked.yaml").symlink_to(outside)


SETUP: dict[str, Callable[[Path], None]] = {
    "huge-file": _huge_file,
    "symlink-outside-tree": _symlink_outside,
}


def _load(folder: Path) -> ConfigError:
    path_file = folder / "path.txt"
    if path_file.exists():
        target = path_file.read_text(encoding="utf-8").strip()
    elif (folder / "taskform.yaml").exists():
        target = "taskform.yaml"
    else:
        target = "."
    with pytest.raises(ConfigError) as info:
        load_config(target, env=ENV)
    return info.value


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 55
    assert set(SETUP).issubset(CASES)
    assert NO_LINE.issubset(CASES)


@pytest.mark.parametrize("name", CASES)
def test_bad_config(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_loader: bool
) -> None:
    folder = tmp_path / name
    shutil.copytree(CORPUS / name, folder, symlinks=True)
    (folder / "expected.txt").unlink(missing_ok=True)
    SETUP.get(name, lambda _: None)(folder)
    monkeypatch.chdir(folder)

    error = _load(folder)
    text = str(error)

    # Written only from the parser users get (libyaml when PyYAML has it).
    check_golden(CORPUS / name / "expected.txt", text + "\n", update=yaml_loader == LIBYAML)
    assert error.problems
    assert SECRET not in text
    assert ENV["NOT_AN_ID"] not in text
    for problem in error.problems:
        assert problem.message
        if name not in NO_LINE:
            assert problem.line is not None, f"no line for: {problem}"
