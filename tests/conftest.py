"""Fixtures for every test, and the one golden-file helper.

Golden files hold the exact expected output of a renderer or of a whole scenario. After an
intended change of output, regenerate them with ``UPDATE_GOLDEN=1`` and review the diff::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/render tests/plan/test_scenarios.py \
        tests/config/test_bad_configs.py
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Set: golden files are (re)written from the actual output instead of compared.
UPDATE_GOLDEN = bool(os.environ.get("UPDATE_GOLDEN"))


def check_golden(path: Path, actual: str, *, update: bool = True) -> None:
    """``actual`` must equal the file at ``path``. With ``UPDATE_GOLDEN`` set (and ``update``,
    for tests that write only from one of their variants) the file is written instead."""
    if UPDATE_GOLDEN and update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing; create it with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"output differs from {path}; if intended, regenerate with UPDATE_GOLDEN=1"
    )


@pytest.fixture(autouse=True)
def _restore_taskform_logger() -> Iterator[None]:
    """A command run in-process (CliRunner) points the "taskform" logger at its own stderr and
    stops it propagating; put it back so a later test's ``caplog`` still sees the records."""
    logger = logging.getLogger("taskform")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]
