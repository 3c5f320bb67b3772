"""The command-line surface fixed by the contract (names, flags, exit codes without network)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from taskform.cli import all_commands, cli


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_command_takes_verbose_and_debug(name: str) -> None:
    options = {opt for p in all_commands()[name].params for opt in p.opts}
    assert {"-v", "--verbose", "--debug"} <= options


def test_contract_flags_exist() -> None:
    def opts(name: str) -> set[str]:
        return {o for p in all_commands()[name].params for o in (*p.opts, *p.secondary_opts)}

    assert {"-c", "--config", "--out", "--format", "--detailed-exitcode"} <= opts("plan")
    assert {"-c", "--auto-approve", "--parallelism", "--force"} <= opts("apply")
    assert {"-c", "--format"} <= opts("drift")
    assert {"--owner", "-o"} <= opts("export")
    emulator = opts("emulator")
    assert {"--host", "--port", "--state", "--user", "--api-key", "--seed"} <= emulator


def test_schema_prints_the_json_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0 and '"$schema"' in result.output


def test_validate_of_a_missing_file_is_exit_1_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "-c", "nope.yaml"])
    assert result.exit_code == 1
    assert "nope.yaml" in result.output and "Traceback" not in result.output


def test_no_portal_url_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taskform.yaml").write_text("version: 1\ntasks: []\n")
    result = CliRunner().invoke(cli, ["plan"], env={"ARCGIS_URL": ""})
    assert result.exit_code == 1 and "portal URL" in result.output


@pytest.mark.parametrize(
    "args",
    [["drift", "--bogus"], ["plan", "--format", "xml"], ["apply", "--parallelism", "0"], ["nope"]],
)
def test_usage_errors_exit_1_never_2(args: list[str]) -> None:
    """Exit 2 means "changes" or "drift"; a typo in a flag must not look like drift."""
    result = subprocess.run(
        [sys.executable, "-m", "taskform", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_help_and_version_exit_0() -> None:
    for args in (["--help"], ["--version"], ["plan", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "taskform", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and result.stdout, args


def test_every_listed_command_loads_and_help_lists_it() -> None:
    from taskform.cli import COMMANDS, SUMMARIES

    assert set(all_commands()) == set(COMMANDS) == set(SUMMARIES)
    listing = CliRunner().invoke(cli, ["--help"]).output
    for name, summary in SUMMARIES.items():
        assert name in listing and summary.split()[0] in listing


def test_version_imports_no_command_module() -> None:
    code = (
        "import sys; from taskform.cli import main; sys.argv = ['taskform', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m.startswith(('taskform.cli.', 'requests',"
        " 'werkzeug', 'deepdiff', 'jsonschema'))], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys; from taskform.cli import main; sys.argv = ['taskform', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert not [m for m in sys.modules if m.startswith(('taskform.cli.', 'requests',"
        " 'werkzeug', 'deepdiff', 'jsonschema', 'yaml'))], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def test_validate_imports_no_network_emulator_or_diff_library(tmp_path: Path) -> None:
    config = tmp_path / "taskform.yaml"
    config.write_text(
        "version: 1\nowner: jo\ntasks:\n  - title: Nightly\n    type: ExecuteNotebook\n"
        "    item_id: 029b61ca770e428d9468a2a55f40b9fb\n    schedule: '0 2 * * *'\n"
    )
    code = (
        f"import sys; from taskform.cli import main; sys.argv = ['taskform', 'validate', '-c', {str(config)!r}]\n"  # noqa: E501
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "assert 'taskform.cli.offline.validate' in sys.modules\n"
        "assert not [m for m in sys.modules if m.startswith(('requests', 'urllib3', 'werkzeug',"
        " 'deepdiff', 'taskform.emulator', 'taskform.portal.'))], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def test_validate_of_a_valid_config_imports_no_schema_library_nor_plan_views(
    tmp_path: Path,
) -> None:
    """A valid file is proven valid without jsonschema (it loads to explain an error), and
    validate renders no plan: the plan views, the planner, the plan model and the task types'
    GP checks stay unloaded (the view registry loads, each view importing its renderer only to
    render)."""
    config = tmp_path / "taskform.yaml"
    config.write_text(
        "version: 1\nowner: jo\nprune: false\ntimezone: UTC\ntasks:\n  - title: Nightly\n"
        "    type: ExecuteNotebook\n    item_id: 029b61ca770e428d9468a2a55f40b9fb\n"
        "    schedule: '0 2 * * *'\n    max_occurrences: 5\n    active: true\n"
        "    parameters: {notebookParameters: {a: 1}}\n"
    )
    code = (
        f"import sys; from taskform.cli import main; sys.argv = ['taskform', 'validate', '-c', {str(config)!r}]\n"  # noqa: E501
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "assert not [m for m in sys.modules if m.startswith(('jsonschema', 'referencing',"
        " 'taskform.render.plan', 'taskform.render.live', 'taskform.render.common',"
        " 'taskform.plan.', 'taskform.changes'))], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def test_validate_of_an_invalid_config_still_explains_with_jsonschema(tmp_path: Path) -> None:
    config = tmp_path / "taskform.yaml"
    config.write_text(
        "version: 1\ntasks:\n  - title: Nightly\n    type: ExecuteNotebook\n"
        "    item_id: 029b61ca770e428d9468a2a55f40b9fb\n    schedule: '0 2 * * *'\n"
        "    max_occurrences: 0\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "taskform", "validate", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "max_occurrences" in result.stderr and "taskform.yaml:7" in result.stderr
