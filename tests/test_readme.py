"""The README stays true: its configuration reference is the schema's, its commands exist."""

from __future__ import annotations

import re
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
