"""The ``taskform`` command line: parse options, call the engine, render, return an exit code.

Exit codes: 0 success (no changes with --detailed-exitcode), 1 error, 2 changes or drift
(with --detailed-exitcode / drift), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from taskform import __version__, redact
from taskform.cli_options import (
    color,
    common_options,
    config_option,
    format_option,
    out,
    portal_options,
    write_atomic,
)
from taskform.emulator.command import emulator as emulator_command
from taskform.engine import planfile, render
from taskform.engine.applier import apply_plan
from taskform.engine.config import Config, load_config
from taskform.engine.drift import classify
from taskform.engine.export import duplicates, export_yaml
from taskform.engine.model import Plan, Portal, TaskResult
from taskform.engine.planner import check_safety
from taskform.engine.render_drift import (
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
    render_status_json,
    render_status_text,
    status_rows,
)
from taskform.engine.workflow import Snapshot, read_runs, snapshot
from taskform.errors import TaskformError
from taskform.portal.client import PortalClient
from taskform.portal.retry import RetryPolicy
from taskform.schemas import load_schema_text


def _load(config_path: str) -> Config:
    config = load_config(config_path)
    for task in config.tasks:
        for path in task.secrets:
            value = _lookup(task.parameters, path)
            if isinstance(value, str):
                redact.register(value)
    return config


def _lookup(params: Any, path: str) -> Any:
    """The value at a dotted parameter path (list items by index), or None."""
    for part in path.split("."):
        if isinstance(params, dict) and part in params:
            params = params[part]
        elif isinstance(params, list) and part.isdigit() and int(part) < len(params):
            params = params[int(part)]
        else:
            return None
    return params


def _client(config: Config | None, opts: dict[str, Any]) -> tuple[PortalClient, str]:
    url = opts.get("portal_url") or os.environ.get("ARCGIS_URL") or (config and config.portal)
    if not url:
        raise TaskformError(
            "no portal URL: pass --portal URL, set ARCGIS_URL, or add 'portal:' to the config"
        )
    retry = RetryPolicy(max_attempts=opts["retries"], max_total=opts["retry_max_time"])
    client = PortalClient.from_env(url, verify=opts.get("ca_bundle") or True, retry=retry)
    return client, url.rstrip("/")


def _snapshot(config_path: str, opts: dict[str, Any]) -> tuple[Snapshot, str, PortalClient]:
    config = _load(config_path)
    client, url = _client(config, opts)
    return snapshot(config, client, describe=client.get_json), url, client


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="taskform")
def cli() -> None:
    """Declarative scheduled tasks for ArcGIS Online and ArcGIS Enterprise."""


@cli.command()
@config_option
@common_options
def validate(config_path: str) -> int:
    """Check the configuration offline (no network)."""
    config = _load(config_path)
    count = sum(1 for t in config.tasks if not t.absent)
    out(f"The configuration is valid: {count} task(s) in {len(config.files)} file(s).")
    return 0


@cli.command()
@config_option
@portal_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Save the plan (JSON) for 'apply PLANFILE'.",
)
@format_option("text", "json", "markdown")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes.")
@common_options
def plan(
    config_path: str, out_file: str | None, fmt: str, detailed_exitcode: bool, **opts: Any
) -> int:
    """Show what apply would change (read-only)."""
    snap, url, _ = _snapshot(config_path, opts)
    meta = _meta(snap, url, config_path)
    if out_file:
        write_atomic(
            Path(out_file), render.render_json(snap.plan, meta=meta, clean=redact.scrub_data)
        )
    if fmt == "json":
        click.echo(render.render_json(snap.plan, meta=meta, clean=redact.scrub_data), nl=False)
    elif fmt == "markdown":
        out(render.render_markdown(snap.plan, meta=meta), nl=False)
    else:
        out(render.render_text(snap.plan, color=color()), nl=False)
        if out_file:
            out(f"Saved the plan to {out_file}; apply it with: taskform apply {out_file}")
    if detailed_exitcode and not snap.plan.empty:
        return 2
    return 0


@cli.command()
@config_option
@portal_options
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--parallelism",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Writes at once.",
)
@click.option(
    "--force", is_flag=True, help="Apply even if the plan deletes more than the safety limit."
)
@common_options
def apply(
    config_path: str,
    plan_file: str | None,
    auto_approve: bool,
    parallelism: int,
    force: bool,
    **opts: Any,
) -> int:
    """Change the portal to match the configuration (or apply a saved plan)."""
    if plan_file:
        saved = planfile.read_plan(plan_file)
        source = config_path
        explicit = click.get_current_context().get_parameter_source("config_path")
        if explicit is click.core.ParameterSource.DEFAULT and saved.config:
            source = saved.config  # the configuration the plan was made from (absolute)
        snap, url, client = _snapshot(source, opts)
        the_plan = planfile.select(saved, snap.plan, portal=url, config_digest=snap.config.digest())
    else:
        snap, url, client = _snapshot(config_path, opts)
        the_plan = snap.plan
        out(render.render_text(the_plan, color=color()), nl=False)
    if the_plan.empty:
        if plan_file:
            out("No changes. The portal matches the configuration.")
        return 0
    if plan_file:
        out(f"Applying the saved plan {plan_file}.")
        out(render.format_summary(the_plan))
    if not force:
        check_safety(the_plan)
    if not plan_file and not auto_approve:
        if not sys.stdin.isatty():
            raise TaskformError(
                "refusing to apply without confirmation: there is no terminal to ask. "
                "Use --auto-approve, or apply a reviewed plan file (taskform apply PLANFILE)"
            )
        answer = click.prompt(
            "Apply these changes? Only 'yes' will be accepted", default="", show_default=False
        )
        if answer.strip() != "yes":
            out("Apply cancelled; nothing was changed.")
            return 1
    return _run_apply(the_plan, client, parallelism)


def _run_apply(the_plan: Plan, portal: Portal, parallelism: int) -> int:
    stop = threading.Event()
    total = len(the_plan.changes)
    with _interruptible():
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="Applying", file=sys.stderr) as bar:

                def tick(_: TaskResult) -> None:
                    bar.update(1)

                report = apply_plan(
                    the_plan, portal, parallelism=parallelism, progress=tick, stop=stop
                )
        else:
            report = apply_plan(the_plan, portal, parallelism=parallelism, stop=stop)
    out("")
    out(render.render_apply_report(report, color=color()), nl=False)
    if report.interrupted:
        return 130
    return 0 if report.ok else 1


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """While applying, Ctrl-C (SIGINT) and SIGTERM (a cancelled CI job) both stop the apply the
    same way: in-flight writes finish, nothing new starts. Installed explicitly, because a
    process started in the background inherits SIGINT ignored."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _meta(snap: Snapshot, url: str, config_path: str) -> dict[str, Any]:
    return {
        "taskform_version": __version__,
        "created_at": datetime.now(timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "portal": url,
        "config": os.path.abspath(config_path),
        "config_digest": snap.config.digest(),
    }


@cli.command()
@config_option
@portal_options
@format_option("text", "json", "markdown")
@common_options
def drift(config_path: str, fmt: str, **opts: Any) -> int:
    """Report how the portal differs from the configuration, each difference classified.

    Exit 0 with no drift, 2 with drift, 1 on error. Never writes.
    """
    snap, _, _ = _snapshot(config_path, opts)
    items = classify(snap.plan, snap.config.tasks, snap.live, snap.states)
    renderers = {"json": render_drift_json, "markdown": render_drift_markdown}
    out(renderers.get(fmt, render_drift_text)(items), nl=False)
    return 2 if items else 0


@cli.command()
@portal_options
@click.option(
    "--owner",
    "owners",
    multiple=True,
    help="Export this user's tasks (repeatable; default: the signed-in user).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="Write to FILE instead of stdout.",
)
@common_options
def export(owners: tuple[str, ...], output: str | None, **opts: Any) -> int:
    """Write the live tasks as a configuration that plan then finds equal."""
    client, _ = _client(None, opts)
    user = client.signed_in_user()
    chosen = tuple(dict.fromkeys(owners)) or (user,)
    live = client.list_tasks(chosen)
    default = chosen[0] if len(chosen) == 1 else None
    for owner, title in duplicates([t for tasks in live.values() for t in tasks]):
        out(
            f"Warning: {owner} has several tasks titled {title!r}; taskform identifies tasks "
            "by owner and title, so rename or delete the extra ones before planning.",
            err=True,
        )
    secrets: dict[str, str] = {}
    text = export_yaml(live, default_owner=default, secrets=secrets, clean=redact.scrub_data)
    for where, name in sorted(secrets.items()):
        out(
            f"Note: {where} looks like a credential; it is written as ${{secret:{name}}}. "
            f"Set {name} in the environment before planning.",
            err=True,
        )
    if output:
        write_atomic(Path(output), text)
        count = sum(len(t) for t in live.values())
        out(f"Wrote {count} task(s) of {', '.join(chosen)} to {output}.", err=True)
    else:
        click.echo(text, nl=False)  # already scrubbed, as data
    return 0


@cli.command()
@config_option
@portal_options
@format_option("text", "json")
@click.option(
    "--runs",
    "last",
    default=3,
    show_default=True,
    type=click.IntRange(1, 30),
    help="Latest runs shown per task.",
)
@common_options
def status(config_path: str, fmt: str, last: int, **opts: Any) -> int:
    """Show every managed task's state, next run and latest runs; failing tasks first."""
    snap, _, client = _snapshot(config_path, opts)
    declared = {t.key for t in snap.config.tasks if not t.absent}
    tasks = [t for ts in snap.live.values() for t in ts if t.key in declared]
    rows = status_rows(tasks, read_runs(client, tasks), last=last)
    out((render_status_json if fmt == "json" else render_status_text)(rows), nl=False)
    return 0


@cli.command()
@common_options
def schema() -> int:
    """Print the JSON Schema of the configuration."""
    out(load_schema_text(), nl=False)
    return 0


cli.add_command(emulator_command)


def main() -> None:
    """Run the CLI. Usage errors (unknown flag, bad value) exit 1 like every other error, so
    that exit code 2 always means "changes" or "drift"."""
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
