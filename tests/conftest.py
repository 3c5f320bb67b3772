"""Fixtures for every test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_taskform_logger() -> Iterator[None]:
    """A command run in-process (CliRunner) points the "taskform" logger at its own stderr and
    stops it propagating; put it back so a later test's ``caplog`` still sees the records."""
    logger = logging.getLogger("taskform")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate, logger.level = saved[0], saved[1], saved[2]
