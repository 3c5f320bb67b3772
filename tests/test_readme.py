"""The README stays true: its configuration reference is the schema's, its commands exist."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from taskform.cli import all_commands
from taskform.schemas.reference import END, START, reference

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_configuration_reference_is_generated_from_the_schema() -> None:
    assert START in README and END in README
    block = README.split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == reference().strip(), (
        "README's configuration reference is out of date: "
        "python -m taskform.schemas.reference, and paste it between the markers"
    )


def test_every_documented_command_exists_and_every_command_is_documented() -> None:
    documented = set(re.findall(r"^\| `taskform (\w+)", README, flags=re.M))
    assert documented == set(all_commands()), (documented, set(all_commands()))


def test_the_two_set_up_commands_are_named() -> None:
    assert "./scripts/demo" in README and "./scripts/test" in README


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _block(after: str, fence: str) -> str:
    rest = README.split(after, 1)[1]
    return rest.split(f"```{fence}\n", 1)[1].split("\n```\n", 1)[0]


def test_the_example_file_is_shown_whole() -> None:
    shown = _block("`examples/config/notebooks.yaml`", "yaml")
    assert shown + "\n" == (EXAMPLES / "config" / "notebooks.yaml").read_text(encoding="utf-8")


def _normal(text: str) -> str:
    """Without what differs from run to run: colours, the port, task ids and dates."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\b[0-9a-f]{32}\b(?=\s*$)", "ID", text, flags=re.M)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "DATE", text)


def test_the_demo_prints_what_the_readme_shows() -> None:
    """``./scripts/demo`` run for real (emulator process, the taskform command), its output
    compared with the README's transcript, the repeated plan of apply left out as there."""
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCGIS_", "TASKFORM_"))}
    done = subprocess.run(
        ["./scripts/demo"], cwd=root, env={**env, "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    lines = _normal(done.stdout).rstrip("\n").split("\n")
    start = lines.index("$ .venv/bin/taskform apply -c examples/config --auto-approve")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("result   action"))
    lines[start + 1 : end] = ["(the same plan as above, then)", ""]
    shown = _block("What `./scripts/demo` printed", "text")
    assert "\n".join(lines) == _normal(shown)
