"""What every taskform command shares: options, error handling, logging and output.

The CLI writes to the terminal only through :func:`out`, which scrubs secrets; errors become one
message on stderr and an exit code (a traceback only with ``--debug``).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from taskform import redact
from taskform.cli import interrupt
from taskform.errors import BUG_EXIT_CODE, ConfigError, TaskformError
from taskform.render import escape
from taskform.render.style import Paint, plain

if TYPE_CHECKING:  # the views load with the command that renders: validate renders none
    from taskform.render.views import Context, View

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

log = logging.getLogger("taskform")


class _Output:
    """How this run writes: set once per command by :func:`common_options`."""

    quiet = False
    no_color = False


OUTPUT = _Output()


def out(text: str, *, err: bool = False, nl: bool = True) -> None:
    """The one way the CLI writes to the terminal: everything is scrubbed of secrets.
    Nothing is written with ``-q/--quiet``; errors go through :func:`error`."""
    if not OUTPUT.quiet:
        click.echo(redact.scrub(text), err=err, nl=nl)


def data(text: str, *, nl: bool = True, scrubbed: bool = False) -> None:
    """Output the user asked for as data (``--format json``, ``export`` to stdout, ...):
    written even with ``-q``, scrubbed like everything else. ``scrubbed``: the document's
    strings were already scrubbed as data (``redact.scrub_data``), so its syntax is left alone
    (a secret ``null`` must not turn a JSON null into ``***``)."""
    click.echo(text if scrubbed else redact.scrub(text), nl=nl)


def error(text: str) -> None:
    """An error message on stderr: written even with ``-q``."""
    click.echo(redact.scrub(text), err=True)


def common_options(func: F) -> F:
    """-q, --no-color, -v/--verbose and --debug for every command, plus the error handling
    they steer."""

    @click.option(
        "-q", "--quiet", is_flag=True, help="Print errors only (output asked for as data stays)."
    )
    @click.option("--no-color", is_flag=True, help="No colour (as does the NO_COLOR variable).")
    @click.option(
        "-v", "--verbose", is_flag=True, help="Log every HTTP request (never a credential)."
    )
    @click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
    @click.option(
        "--annotations/--no-annotations",
        default=None,
        help="Also print configuration errors as GitHub Actions annotations (::error "
        "file=F,line=L::...).  [default: on when GITHUB_ACTIONS=true]",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        quiet: bool,
        no_color: bool,
        verbose: bool,
        debug: bool,
        annotations: bool | None,
        **kwargs: Any,
    ) -> None:
        from taskform.workflow.connect import register_credentials  # not for --help

        OUTPUT.quiet, OUTPUT.no_color = quiet, no_color
        register_credentials()
        setup_logging(verbose or debug, quiet=quiet)
        announce_overrides()
        try:
            with interrupt.handling():
                code = func(*args, **kwargs)
        except TaskformError as exc:
            # An expected error (bad input, a portal's refusal) is its message, even with
            # --debug: its traceback says nothing the message does not.
            if isinstance(exc, ConfigError) and _annotating(annotations):
                annotate(exc)
            error(f"Error: {escape.lines(str(exc))}")
            code = exc.exit_code
        except KeyboardInterrupt:
            error("Interrupted.")
            code = interrupt.EXIT_INTERRUPTED
            interrupt.exit_now_if_threads_remain(code)
        except BrokenPipeError:  # e.g. `taskform show plan.json | head`: the reader left
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 1
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if debug:
                error(traceback.format_exc())
                error(f"Error: unexpected {type(exc).__name__}: {escape.lines(str(exc))}")
            else:
                error(
                    f"Error: unexpected {type(exc).__name__}: {escape.lines(str(exc))}\n"
                    "This is a bug in taskform; run again with --debug for the traceback."
                )
            code = BUG_EXIT_CODE
        sys.exit(code or 0)

    return wrapper  # type: ignore[return-value]


def _annotating(flag: bool | None) -> bool:
    return flag if flag is not None else os.environ.get("GITHUB_ACTIONS") == "true"


def annotate(exc: ConfigError) -> None:
    """Each problem of ``exc`` as a GitHub Actions annotation, on stderr with the other
    errors (the runner reads workflow commands from both streams)."""
    from taskform.render.github import annotation

    ctx = click.get_current_context(silent=True)
    title = f"taskform {ctx.info_name}" if ctx is not None and ctx.info_name else "taskform"
    for problem in exc.problems:
        error(escape.lines(annotation(problem, title=title)))


#: Options that override a safety check: when one is taken from the environment, the command
#: says which variable set it, so a ``TASKFORM_FORCE`` meant for one command never acts unseen
#: on another (``--force`` is apply's delete limit and export's overwrite alike).
ANNOUNCED = ("force",)


def announce_overrides() -> None:
    """Warn on stderr for each :data:`ANNOUNCED` option set by a variable, under ``-q`` too
    (logged as an error so the quiet level lets it through): ``-q`` is common in CI, where a
    stray ``TASKFORM_FORCE`` is most likely and least seen."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    for param in ctx.command.params:
        if param.name not in ANNOUNCED or not isinstance(param, click.Option):
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.ENVIRONMENT:
            continue
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        name = next((n for n in names if os.environ.get(n)), "the environment")
        logging.getLogger("taskform").error(
            "--%s is on for %s: set by %s", param.name, ctx.info_name, name
        )


def setup_logging(verbose: bool, *, quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(redact.ScrubbingFormatter("taskform: %(message)s"))
    root = logging.getLogger("taskform")
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)


class _OnePath(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A path; from the environment taken whole (never split at spaces)."""

    name = "path"
    envvar_list_splitter = "\0"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return str(value)


class Lines(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A text value of a repeatable option; from the environment one value per line.

    click splits a repeatable option's variable at whitespace by default, which would cut
    ``TASKFORM_TARGET="admin/Nightly refresh"`` in two: task titles hold spaces, lines do not.
    """

    name = "text"
    envvar_list_splitter = "\n"

    def split_envvar_value(self, rv: str) -> list[str]:
        return [line.strip() for line in (rv or "").splitlines() if line.strip()]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return str(value)


def _one_config(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str:
    if len(value) > 1:
        raise click.UsageError(
            "-c/--config was given more than once; taskform reads one configuration. "
            "To use several files, put them in one directory and pass that: -c DIR",
            ctx,
        )
    if value and not value[0].strip():
        # An unset variable in a script (-c "$CONFIG") would otherwise read the current
        # directory as the configuration, every YAML file in it.
        raise click.BadParameter(
            "is empty: name a YAML file or a directory of them (-c . for this directory)",
            ctx,
            param,
        )
    return value[0] if value else "taskform.yaml"


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=_OnePath(),
    multiple=True,
    callback=_one_config,
    help="Configuration file, or a directory of *.yaml / *.yml files (merged). Once only.  "
    "[default: taskform.yaml]",
)


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format`` with the given output formats; the first is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def portal_options(func: F) -> F:
    """--portal, --ca-bundle, --retries, --retry-max-time and --request-timeout, handed to the
    command as one ``portal: PortalOptions`` argument
    (:class:`taskform.workflow.connect.PortalOptions`)."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        portal_url: str | None,
        ca_bundle: str | None,
        retries: int,
        retry_max_time: float,
        request_timeout: float,
        **kwargs: Any,
    ) -> Any:
        from taskform.workflow.connect import PortalOptions

        portal = PortalOptions(
            url=portal_url,
            ca_bundle=ca_bundle,
            retries=retries,
            retry_max_time=retry_max_time,
            request_timeout=request_timeout,
        )
        return func(*args, portal=portal, **kwargs)

    command: Any = wrapper
    command = click.option(
        "--portal", "portal_url", help="Portal URL (else $ARCGIS_URL, else config)."
    )(command)
    command = click.option(
        "--ca-bundle",
        type=click.Path(exists=True, dir_okay=False),
        envvar="ARCGIS_CA_BUNDLE",
        help="CA bundle for TLS verification (default: the system's). Also $ARCGIS_CA_BUNDLE.",
    )(command)
    command = click.option(
        "--retries",
        default=5,
        show_default=True,
        type=click.IntRange(1, 20),
        help="Attempts per request on connection errors, HTTP 5xx and 429.",
    )(command)
    command = click.option(
        "--retry-max-time",
        default=120.0,
        show_default=True,
        type=click.FloatRange(0),
        help="Seconds one request may spend retrying in all.",
    )(command)
    command = click.option(
        "--request-timeout",
        default=30.0,
        show_default=True,
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds each HTTP request may take in total (not per read).",
    )(command)
    return command  # type: ignore[no-any-return]


def lint_options(func: F) -> F:
    """``--strict`` and ``--collision-threshold`` for the commands that lint schedules."""
    func = click.option(
        "--strict",
        is_flag=True,
        help="Treat schedule warnings as errors (exit 1).",
    )(func)
    func = click.option(
        "--collision-threshold",
        default=10,
        show_default=True,
        type=click.IntRange(1),
        help="Warn when more than this many tasks of one owner start in the same minute.",
    )(func)
    return func


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (or its pieces, as they come) to ``path`` through a temporary file; a
    failure is a TaskformError."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as stream:
            stream.writelines([text] if isinstance(text, str) else text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TaskformError(f"cannot write {path}: {exc.strerror or exc}") from None


def color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and not OUTPUT.no_color


def terminal_paint(text: str, *, fg: str | None = None, bold: bool = False) -> str:
    """Styling for a terminal, with click (the views take it as a ``Paint``)."""
    return click.style(text, fg=fg, bold=bold or None)


def paint() -> Paint:
    """Colour when the terminal wants it (:func:`color`), else none."""
    return terminal_paint if color() else plain


def emit(view: View[T], value: T, context: Context | None = None) -> None:
    """Render ``value`` with the chosen ``view`` and write it: as data (also with ``-q``) or for
    a person (:func:`out`), as the view says."""
    if context is None:
        from taskform.render.views import Context

        context = Context(paint=paint())
    text = view.render(value, context)
    if view.data:
        data(text, nl=False, scrubbed=view.cleans and context.clean is not None)
    else:
        out(text, nl=False)
