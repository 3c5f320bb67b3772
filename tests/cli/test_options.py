"""The shared options: one PortalOptions value per command, and the exit code of a bug."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from taskform.cli.options import common_options, portal_options
from taskform.errors import BUG_EXIT_CODE, TaskformError
from taskform.workflow.connect import NO_URL, PortalOptions, portal_url


def test_portal_flags_arrive_as_one_frozen_value() -> None:
    seen: list[PortalOptions] = []

    @click.command()
    @portal_options
    @common_options
    def probe(portal: PortalOptions) -> int:
        seen.append(portal)
        return 0

    result = CliRunner().invoke(probe, ["--portal", "http://127.0.0.1:1/", "--retries", "2"])
    assert result.exit_code == 0, result.output
    assert seen == [PortalOptions(url="http://127.0.0.1:1/", retries=2)]
    with pytest.raises(AttributeError):
        seen[0].url = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("flag", "env", "config", "expected"),
    [
        ("http://127.0.0.1:1/", "http://127.0.0.1:2", "http://127.0.0.1:3", "http://127.0.0.1:1"),
        (None, "http://127.0.0.1:2/", "http://127.0.0.1:3", "http://127.0.0.1:2"),
        (None, None, "http://127.0.0.1:3", "http://127.0.0.1:3"),
    ],
)
def test_portal_url_precedence(
    flag: str | None, env: str | None, config: str | None, expected: str
) -> None:
    class Config:
        portal = config

    environ = {"ARCGIS_URL": env} if env else {}
    assert portal_url(PortalOptions(url=flag), Config(), environ) == expected  # type: ignore[arg-type]


def test_no_portal_url_is_an_error_naming_the_three_ways() -> None:
    with pytest.raises(TaskformError, match="--portal URL, set ARCGIS_URL"):
        portal_url(PortalOptions(), None, {})
    assert "portal:" in NO_URL


def _command(error: BaseException) -> click.Command:
    @click.command()
    @common_options
    def boom() -> int:
        raise error

    return boom


def test_a_bug_exits_with_its_own_code() -> None:
    result = CliRunner().invoke(_command(KeyError("oops")), [])
    assert result.exit_code == BUG_EXIT_CODE == 70
    assert "unexpected KeyError" in result.output and "This is a bug" in result.output
    assert "Traceback" not in result.output


def test_an_expected_error_exits_1_without_a_traceback_even_with_debug() -> None:
    result = CliRunner().invoke(_command(TaskformError("bad input")), ["--debug"])
    assert result.exit_code == 1
    assert "Error: bad input" in result.output and "Traceback" not in result.output


def test_debug_shows_the_bugs_traceback() -> None:
    result: Any = CliRunner().invoke(_command(ZeroDivisionError("x")), ["--debug"])
    assert result.exit_code == BUG_EXIT_CODE
    assert "Traceback" in result.output
