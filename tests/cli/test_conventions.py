"""CLI conventions (docs/design.md §9): -q, --no-color, TASKFORM_* variables, one -c,
shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from taskform.cli import all_commands, cli, environment_names

GOOD = (
    "version: 1\ntasks:\n  - title: A\n    type: ExecuteReport\n"
    "    schedule: '@daily'\n    parameters: {}\n"
)


def taskform(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TASKFORM_", "ARCGIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "taskform", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_command_takes_quiet_and_no_color(name: str) -> None:
    options = {opt for p in all_commands()[name].params for opt in p.opts}
    assert {"-q", "--quiet", "--no-color"} <= options


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_option_has_a_taskform_variable(name: str) -> None:
    for param in all_commands()[name].params:
        if isinstance(param, click.Option):
            stem = environment_names(name, param)[1]
            assert isinstance(param.envvar, list) and stem in param.envvar, param.opts
            assert f"TASKFORM_{name.upper()}_{stem[9:]}" in param.envvar


def test_environment_names_follow_the_long_option() -> None:
    option = click.Option(["--ca-bundle"])
    assert environment_names("plan", option) == ["TASKFORM_PLAN_CA_BUNDLE", "TASKFORM_CA_BUNDLE"]
    ca = next(p for p in all_commands()["plan"].params if p.name == "ca_bundle")
    assert ca.envvar == ["TASKFORM_PLAN_CA_BUNDLE", "TASKFORM_CA_BUNDLE", "ARCGIS_CA_BUNDLE"]


def test_taskform_config_and_format_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "dir with space").mkdir()
    (tmp_path / "dir with space" / "a.yaml").write_text(GOOD)
    result = taskform(
        "validate", cwd=tmp_path, TASKFORM_CONFIG="dir with space", TASKFORM_FORMAT="json"
    )
    assert result.returncode == 0, result.stderr
    assert '"tasks": 1' in result.stdout
    # the per-command name wins over the general one
    result = taskform(
        "validate",
        cwd=tmp_path,
        TASKFORM_CONFIG="dir with space",
        TASKFORM_FORMAT="json",
        TASKFORM_VALIDATE_FORMAT="text",
    )
    assert result.stdout.startswith("The configuration is valid")


def test_taskform_parallelism_is_read(tmp_path: Path) -> None:
    result = taskform("apply", "--auto-approve", cwd=tmp_path, TASKFORM_PARALLELISM="0")
    assert result.returncode == 1
    assert "TASKFORM_PARALLELISM" in result.stderr or "parallelism" in result.stderr.lower()


def test_config_given_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    result = taskform("validate", "-c", "a.yaml", "-c", "a.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "-c/--config was given more than once" in result.stderr
    assert "put them in one directory" in result.stderr


def test_quiet_prints_errors_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taskform.yaml").write_text(GOOD)
    quiet = CliRunner().invoke(cli, ["validate", "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""
    as_data = CliRunner().invoke(cli, ["validate", "-q", "--format", "json"])
    assert as_data.exit_code == 0 and '"valid": true' in as_data.output
    (tmp_path / "taskform.yaml").write_text("version: 1\ntasks: [1]\n")
    bad = CliRunner().invoke(cli, ["validate", "--quiet"])
    assert bad.exit_code == 1 and "Error: 1 problem" in bad.output


def test_no_color_flag_and_variable() -> None:
    from taskform.cli import options

    class Tty:
        def isatty(self) -> bool:
            return True

    saved = sys.stdout
    try:
        sys.stdout = Tty()
        options.OUTPUT.no_color = False
        env = os.environ.pop("NO_COLOR", None)
        assert options.color()
        options.OUTPUT.no_color = True
        assert not options.color()
        options.OUTPUT.no_color = False
        os.environ["NO_COLOR"] = "1"
        assert not options.color()
    finally:
        sys.stdout = saved
        os.environ.pop("NO_COLOR", None)
        if env is not None:
            os.environ["NO_COLOR"] = env


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, tmp_path: Path) -> None:
    result = taskform(cwd=tmp_path, _TASKFORM_COMPLETE=f"{shell}_source")
    assert result.returncode == 0
    assert "_TASKFORM_COMPLETE" in result.stdout


def test_completion_completes_commands_and_options(tmp_path: Path) -> None:
    result = taskform(
        cwd=tmp_path, _TASKFORM_COMPLETE="bash_complete", COMP_WORDS="taskform pl", COMP_CWORD="1"
    )
    assert result.stdout.split() == ["plain,plan"]
    result = taskform(
        cwd=tmp_path,
        _TASKFORM_COMPLETE="bash_complete",
        COMP_WORDS="taskform plan --det",
        COMP_CWORD="2",
    )
    assert result.stdout.split() == ["plain,--detailed-exitcode"]


def test_emulator_port_in_use_is_one_clear_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = taskform("emulator", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port}: the port is in use by another program; "
        "choose another --port, or --port 0 for a free one"
    )


@pytest.mark.parametrize("name", ["plan", "apply", "drift", "status", "export"])
def test_help_lists_own_options_first_and_names_the_credentials(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = result.output
    options = [p for p in all_commands()[name].params if isinstance(p, click.Option)]
    names = [p.name for p in options]
    assert names.index("portal_url") > max(
        i
        for i, n in enumerate(names)
        if n
        not in {
            "portal_url",
            "ca_bundle",
            "request_timeout",
            "retries",
            "retry_max_time",
            "quiet",
            "no_color",
            "verbose",
            "debug",
            "annotations",
        }
    )
    assert names[-5:] == ["quiet", "no_color", "verbose", "debug", "annotations"]
    assert "ARCGIS_TOKEN, or ARCGIS_API_KEY, or ARCGIS_USERNAME and ARCGIS_PASSWORD" in text


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [("plan", "targets", "TASKFORM_TARGET"), ("export", "owners", "TASKFORM_OWNER")],
)
def test_repeatable_options_from_the_environment_split_at_lines_not_spaces(
    command: str, option: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, "admin/Nightly refresh\n  bob/Weekly report  \n\n")
    cmd = cli.get_command(click.Context(cli), command)
    assert cmd is not None
    ctx = cmd.make_context(command, [])
    assert ctx.params[option] == ("admin/Nightly refresh", "bob/Weekly report")
    monkeypatch.setenv(name, "admin/Nightly refresh")
    assert cmd.make_context(command, []).params[option] == ("admin/Nightly refresh",)


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "taskform.yaml").write_text("version: 1\ntasks: []\n")
    bad = taskform("plan", cwd=tmp_path, TASKFORM_FORMAT="github")
    assert bad.returncode == 1
    assert "Invalid value for TASKFORM_FORMAT (for '--format'): 'github'" in bad.stderr
    own = taskform("plan", cwd=tmp_path, TASKFORM_PLAN_DETAILED_EXITCODE="maybe")
    assert "Invalid value for TASKFORM_PLAN_DETAILED_EXITCODE (for '--detailed-exitcode')" in (
        own.stderr
    )
    typed = taskform("plan", "--format", "github", cwd=tmp_path)
    assert "Invalid value for '--format': 'github'" in typed.stderr


def test_an_empty_config_path_is_an_error_not_this_directory(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\ntasks: []\n")
    empty = taskform("validate", "-c", "", cwd=tmp_path)
    assert empty.returncode == 1
    assert "Invalid value for '-c' / '--config': is empty" in empty.stderr
    assert taskform("validate", "-c", ".", cwd=tmp_path).returncode == 0


def test_force_from_the_environment_is_announced(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("tasks: []\n")
    args = ("export", "-o", "old.yaml", "--portal", "http://127.0.0.1:9")
    shared = taskform(*args, cwd=tmp_path, TASKFORM_FORCE="1")
    assert "--force is on for export: set by TASKFORM_FORCE" in shared.stderr
    own = taskform(*args, cwd=tmp_path, TASKFORM_EXPORT_FORCE="1")
    assert "--force is on for export: set by TASKFORM_EXPORT_FORCE" in own.stderr
    flag = taskform(*args, "--force", cwd=tmp_path)
    assert "--force is on" not in flag.stderr
    quiet = taskform(*args, "-q", cwd=tmp_path, TASKFORM_FORCE="1")
    assert "--force is on for export: set by TASKFORM_FORCE" in quiet.stderr
    refused = taskform(*args, cwd=tmp_path)
    assert "exists; export does not overwrite it" in refused.stderr
