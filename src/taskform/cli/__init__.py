"""The ``taskform`` command line: parse options, call the core, render, return an exit code.

One module per command, grouped by concern (``cli/offline/``: validate, schema, show,
calendar; ``cli/converge/``: plan, apply, drift, export, status; ``cli/jobs/``: run, runs;
``cli/access/``: login, logout, probe), loaded only when that command runs, so
``taskform --version`` and ``--help`` import almost nothing. Shared options and error handling
live in :mod:`taskform.cli.options`; helpers several commands use in :mod:`taskform.cli.common`.

Exit codes: 0 success (no changes with --detailed-exitcode), 1 error, 2 changes or drift
(with --detailed-exitcode / drift), 70 an unexpected error (a bug), 130 interrupted.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
import threading
from typing import NoReturn

import click

from taskform import __version__

#: Command name -> "module:attribute" of its click command, imported on first use.
COMMANDS = {
    "validate": "taskform.cli.offline.validate:validate",
    "plan": "taskform.cli.converge.plan:plan",
    "apply": "taskform.cli.converge.apply:apply",
    "show": "taskform.cli.offline.show:show",
    "drift": "taskform.cli.converge.drift:drift",
    "export": "taskform.cli.converge.export:export",
    "status": "taskform.cli.converge.status:status",
    "run": "taskform.cli.jobs.run:run",
    "runs": "taskform.cli.jobs.runs:runs",
    "schema": "taskform.cli.offline.schema:schema",
    "calendar": "taskform.cli.offline.calendar:calendar",
    "emulator": "taskform.emulator.command:emulator",
    "login": "taskform.cli.access.login:login",
    "logout": "taskform.cli.access.logout:logout",
    "probe": "taskform.cli.access.probe:probe",
}

#: One-line help for the command list, so ``taskform --help`` needs no command imported.
SUMMARIES = {
    "validate": "Check the configuration offline (no network).",
    "plan": "Show what apply would change (read-only).",
    "apply": "Change the portal to match the configuration (or apply a saved plan).",
    "show": "Show a saved plan file as text, JSON or Markdown (offline).",
    "drift": "Report how the portal differs from the configuration, each difference classified.",
    "export": "Write the live tasks as a configuration that plan then finds equal.",
    "status": "Show every managed task's state, next run and latest runs; failing tasks first.",
    "run": "Run a declared task now (ExecuteNotebook, GPService) and follow its job.",
    "runs": "Show a task's run history, newest first, with the messages of failed runs.",
    "schema": "Print the JSON Schema of the configuration.",
    "calendar": "Show every run of every declared task in the next N days (HTML, ICS, Markdown).",
    "emulator": "Run the local portal emulator (a stand-in for a real portal).",
    "login": "Sign in through the browser (OAuth, for SAML/MFA orgs); store the refresh token.",
    "logout": "Remove the refresh token 'taskform login' stored.",
    "probe": "Check how the portal behaves where its docs are silent; write a profile.",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they are invoked (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        add_environment_names(cmd_name, command)
        arrange_help(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUMMARIES[name]) for name in COMMANDS])


def environment_names(cmd_name: str, option: click.Option) -> list[str]:
    """``TASKFORM_<COMMAND>_<OPTION>`` then ``TASKFORM_<OPTION>``, from the option's long
    name (``--ca-bundle`` -> ``TASKFORM_CA_BUNDLE``)."""
    longs = [o for o in option.opts if o.startswith("--")]
    stem = (longs[0] if longs else option.opts[0]).lstrip("-").upper().replace("-", "_")
    return [f"TASKFORM_{cmd_name.upper()}_{stem}", f"TASKFORM_{stem}"]


def add_environment_names(cmd_name: str, command: click.Command) -> None:
    """Every option of ``command`` can also be set in the environment (docs/design.md §9).
    Names an option already reads (``ARCGIS_CA_BUNDLE``) come after taskform's own."""
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = environment_names(cmd_name, param)
        if isinstance(param.envvar, str):
            names.append(param.envvar)
        elif param.envvar:
            names.extend(n for n in param.envvar if n not in names)
        param.envvar = list(dict.fromkeys(names))
        _name_the_variable_in_errors(param)


def _name_the_variable_in_errors(option: click.Option) -> None:
    """A bad value taken from the environment is reported under the variable's name
    (``Invalid value for TASKFORM_FORMAT (for '--format')``), not as if ``--format`` had been
    typed. click sets an option's source before it converts the value, so the hint can ask."""
    plain = option.get_error_hint

    def hint(ctx: click.Context) -> str:
        from click.core import ParameterSource

        if option.name and ctx.get_parameter_source(option.name) is ParameterSource.ENVIRONMENT:
            names = [option.envvar] if isinstance(option.envvar, str) else option.envvar or []
            used = next((n for n in names if os.environ.get(n)), None)  # click takes the first set
            if used:
                return f"{used} (for {plain(ctx)})"
        return plain(ctx)

    setattr(option, "get_error_hint", hint)  # noqa: B010  (an instance's own method)


#: Options every portal command shares, in the order help lists them: after the command's own.
PORTAL_OPTIONS = ("portal_url", "ca_bundle", "request_timeout", "retries", "retry_max_time")
#: Options every command shares, listed last.
COMMON_OPTIONS = ("quiet", "no_color", "verbose", "debug", "annotations", "help")

CREDENTIALS_EPILOG = (
    "Credentials come from the environment only: ARCGIS_TOKEN, or ARCGIS_API_KEY, or "
    "ARCGIS_USERNAME and ARCGIS_PASSWORD. The portal: --portal, else ARCGIS_URL, else the "
    "config's portal:. Every option can also be set as TASKFORM_<OPTION>."
)


def arrange_help(command: click.Command) -> None:
    """Help lists the command's own options first, then the portal options, then the ones
    every command has; a command that talks to a portal names the credential variables."""
    if getattr(command, "_taskform_arranged", False):
        return
    shared = {*PORTAL_OPTIONS, *COMMON_OPTIONS}
    own = [p for p in command.params if p.name not in shared]
    portal = sorted(
        (p for p in command.params if p.name in PORTAL_OPTIONS),
        key=lambda p: PORTAL_OPTIONS.index(p.name or ""),
    )
    common = [p for p in command.params if p.name in COMMON_OPTIONS]
    command.params[:] = [*own, *portal, *common]
    if portal and not command.epilog:
        command.epilog = CREDENTIALS_EPILOG
    command._taskform_arranged = True  # type: ignore[attr-defined]


def all_commands() -> dict[str, click.Command]:
    """Every command, imported (for tests and documentation checks)."""
    ctx = click.Context(cli)
    found = {name: cli.get_command(ctx, name) for name in COMMANDS}
    return {name: command for name, command in found.items() if command is not None}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="taskform")
def cli() -> None:
    """Declarative scheduled tasks for ArcGIS Online and ArcGIS Enterprise.

    Credentials come from the environment: ARCGIS_TOKEN, or ARCGIS_API_KEY, or
    ARCGIS_USERNAME and ARCGIS_PASSWORD; the portal from --portal, ARCGIS_URL or the config.
    Every option can also be set as TASKFORM_<OPTION> (e.g. TASKFORM_CONFIG) or
    TASKFORM_<COMMAND>_<OPTION> (e.g. TASKFORM_PLAN_FORMAT). Shell completion: see
    'Shell completion' in the README (_TASKFORM_COMPLETE=bash_source taskform).
    """


#: Objects allocated between two collections of the youngest generation (Python's default: 700).
GC_THRESHOLD = 50_000


def main() -> None:
    """Run the CLI. Usage errors (unknown flag, bad value) exit 1 like every other error, so
    that exit code 2 always means "changes" or "drift".

    The collector runs less often than Python's default (every 700 new objects): a run of a
    few seconds builds a few hundred thousand objects that all live to its end (tasks, their
    fields, their JSON), and collecting them every 700 cost a tenth of a 10,000-task plan.
    While the configuration, the live tasks and the plan are built it does not run at all
    (:mod:`taskform.cli.collector`)."""
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    try:
        code = cli.main(prog_name="taskform", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as exc:
        exc.show()
        code = 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


def run() -> NoReturn:
    """The ``taskform`` program (the console script and ``python -m taskform``): :func:`main`,
    then an exit that does not free the process's objects one by one.

    The interpreter's own exit deallocates everything before the process ends: after a
    10,000-task plan that took 35 to 60 ms, a twentieth of the run, spent on memory the
    operating system takes back at once anyway. So, as mypy does, once the output is flushed
    and the ``atexit`` handlers have run, the process ends with :func:`os._exit` and the same
    exit code. The normal exit is kept whenever it would do more than free memory: another
    non-daemon thread still running (the interpreter waits for it), an exit status that is not
    a number, output that cannot be flushed (the interpreter reports that, as before).
    :func:`main` itself still raises :class:`SystemExit`, for callers in the same process.
    """
    try:
        main()
        code: str | int | None = 0
    except SystemExit as done:
        code = 0 if done.code is None else done.code
    if not isinstance(code, int) or _threads_running():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def _threads_running() -> bool:
    current = threading.current_thread()
    return any(t is not current and t.is_alive() and not t.daemon for t in threading.enumerate())
