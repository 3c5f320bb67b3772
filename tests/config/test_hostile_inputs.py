"""Inputs that used to hang or slip through: special files named *.yaml, integers beyond what
the portal stores, GP task URLs with /GPServer/ in the wrong place, --debug on a plain error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from taskform.config.loader import load_config
from taskform.errors import ConfigError
from taskform.tasktypes.gpservice import is_gp_task_url

ITEM = "029b61ca770e428d9468a2a55f40b9fb"
GOOD = f"""\
version: 1
tasks:
  - {{title: A, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
"""


def _validate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCGIS_", "TASKFORM_"))}
    return subprocess.run(
        [sys.executable, "-m", "taskform", "validate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,  # a read from the FIFO would block forever
    )


@pytest.mark.parametrize("where", ["in-directory", "named"])
def test_a_fifo_named_yaml_is_an_error_naming_it(tmp_path: Path, where: str) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "good.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "conf" / "pipe.yaml")
    target = "conf" if where == "in-directory" else "conf/pipe.yaml"
    result = _validate(tmp_path, "-c", target)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "conf/pipe.yaml" in result.stderr
    assert "not a regular file but a named pipe (FIFO)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_device_is_not_read(tmp_path: Path) -> None:
    result = _validate(tmp_path, "-c", "/dev/zero")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "/dev/zero" in result.stderr and "not a regular file but a device" in result.stderr


@pytest.mark.parametrize("value", ["100000000000000000000000000", "2147483648"])
def test_max_occurrences_beyond_what_the_portal_stores_is_refused(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace('"0 2 * * *"', f'"0 2 * * *", max_occurrences: {value}'))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    problem = info.value.problems[0]
    assert problem.line == 3 and "max_occurrences" in str(info.value), str(info.value)


def test_the_largest_max_occurrences_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace('"0 2 * * *"', '"0 2 * * *", max_occurrences: 2147483647'))
    assert load_config(path, env={}).present[0].max_occurrences == 2147483647


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://gis.example.com/server/rest/services/Tools/Clip/GPServer/Clip", True),
        ("https://gis.example.com/server/rest/services/Tools/Clip/GPServer/Clip/", True),
        ("https://gis.example.com/arcgis/rest/services/X/MapServer?next=/GPServer/Clip", False),
        ("https://gis.example.com/rest/services/X/MapServer#/GPServer/Clip", False),
        ("https://gis.example.com/rest/services/X/GPServer/Clip/submitJob", False),
        ("https://gis.example.com/rest/services/X/GPServer/", False),
        ("ftp://gis.example.com/rest/services/X/GPServer/Clip", False),
        ("/rest/services/X/GPServer/Clip", False),
        ("https:///rest/services/X/GPServer/Clip", False),
    ],
)
def test_the_gp_task_url_is_parsed_not_matched(url: str, ok: bool) -> None:
    assert is_gp_task_url(url) is ok


def test_debug_adds_no_traceback_to_an_ordinary_error(tmp_path: Path) -> None:
    (tmp_path / "taskform.yaml").write_text("version: 1\ntasks:\n  - {title: A, typo: 1}\n")
    result = _validate(tmp_path, "--debug")
    assert result.returncode == 1
    assert "taskform.yaml:3" in result.stderr
    assert "Traceback" not in result.stderr
