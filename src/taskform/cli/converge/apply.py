"""``taskform apply``: converge the portal, from the configuration or a saved plan."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import click

from taskform import render
from taskform.changes import ApplyReport, Plan, TaskResult
from taskform.cli import common, interrupt
from taskform.cli.collector import building
from taskform.cli.options import (
    OUTPUT,
    common_options,
    config_option,
    emit,
    error,
    out,
    portal_options,
)
from taskform.cli.targets import check_known, only, target_option
from taskform.errors import TaskformError
from taskform.model import Portal
from taskform.plan import planfile
from taskform.plan.safety import check_safety
from taskform.render import escape, views
from taskform.workflow.applier import DEFAULT_PARALLELISM, apply_plan, count_writes
from taskform.workflow.connect import PortalOptions
from taskform.workflow.converge import Replan, heal, recheck
from taskform.workflow.snapshot import Snapshot, snapshot


@click.command()
@config_option
@portal_options
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--parallelism",
    default=DEFAULT_PARALLELISM,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Writes at once.",
)
@click.option(
    "--force", is_flag=True, help="Apply even if the plan deletes more than the safety limit."
)
@target_option
@common_options
def apply(
    config_path: str,
    plan_file: str | None,
    auto_approve: bool,
    parallelism: int,
    force: bool,
    targets: tuple[str, ...],
    portal: PortalOptions,
) -> int:
    """Change the portal to match the configuration (or apply a saved plan)."""
    if plan_file:
        the_plan, client, snap = _saved(plan_file, config_path, targets, portal)
    else:
        the_plan, client, snap = _fresh(config_path, targets, portal)
    started = time.monotonic()
    if the_plan.empty:
        return _blocked(the_plan)
    if not force:
        check_safety(the_plan)
    if not plan_file and not auto_approve and not _confirmed():
        out("Apply cancelled; nothing was changed.")
        return 1

    def replan() -> Snapshot:
        with building():
            return snapshot(snap.config, client)

    early: list[TaskResult] = []
    if time.monotonic() - started > RECHECK_AFTER_S:
        # Time passed since live was read (a person read the plan at the prompt, or the
        # portal is slow): read it again, so that nothing changed since is overwritten.
        the_plan, early = recheck(the_plan, replan().plan)
    code = _run_apply(the_plan, client, parallelism, replan, early)
    return code if code else _blocked(the_plan)


#: Apply re-reads live right before its writes when what it read is older than this (seconds).
RECHECK_AFTER_S = 1.0


def _blocked(the_plan: Plan) -> int:
    """Exit code 1, with the list, when tasks were blocked (everything else was applied)."""
    if not the_plan.blocked:
        return 0
    error(f"{len(the_plan.blocked)} task(s) blocked and left alone:")
    for block in the_plan.blocked:
        error(f"  {escape.text(f'{block.owner}/{block.title}')}: {escape.text(block.message)}")
    return 1


def _saved(
    plan_file: str, config_path: str, targets: tuple[str, ...], portal: PortalOptions
) -> tuple[Plan, Portal, Snapshot]:
    """A saved plan, checked against live (stale: StalePlanError); applied without asking,
    after the same safety check as a fresh plan."""
    saved = planfile.read_plan(plan_file)
    source = config_path
    explicit = click.get_current_context().get_parameter_source("config_path")
    if explicit is click.core.ParameterSource.DEFAULT and saved.config:
        source = saved.config  # the configuration the plan was made from (absolute)
    snap, url, client = common.take_snapshot(source, portal)
    the_plan = planfile.select(
        saved,
        snap.plan,
        portal=url,
        config_digest=snap.config.digest(),
        owners=list(snap.live),
        tasks=snap.config.present,
    )
    if targets:
        keys = [t.key for t in snap.config.tasks]
        check_known(targets, keys + [t.key for ts in snap.live.values() for t in ts])
        the_plan = only(the_plan, targets)
    if the_plan.empty:
        out("No changes. The portal matches the configuration.")
        return the_plan, client, snap
    out(f"Applying the saved plan {plan_file}.")
    out(render.format_summary(the_plan))
    return the_plan, client, snap


def _fresh(
    config_path: str, targets: tuple[str, ...], portal: PortalOptions
) -> tuple[Plan, Portal, Snapshot]:
    """A plan made now, shown before it is applied."""
    snap, _, client = common.take_snapshot(config_path, portal, targets)
    emit(views.PLAN["text"], snap.plan)
    return snap.plan, client, snap


def _confirmed() -> bool:
    """Ask on the terminal; with no terminal, refuse (TaskformError)."""
    if not sys.stdin.isatty():
        raise TaskformError(
            "refusing to apply without confirmation: there is no terminal to ask. "
            "Use --auto-approve, or apply a reviewed plan file (taskform apply PLANFILE)"
        )
    answer = click.prompt(
        "Apply these changes? Only 'yes' will be accepted", default="", show_default=False
    )
    return bool(answer.strip() == "yes")


def _run_apply(
    the_plan: Plan,
    portal: Portal,
    parallelism: int,
    replan: Replan,
    early: list[TaskResult],
) -> int:
    stop = threading.Event()

    def known(so_far: Callable[[], ApplyReport]) -> None:
        # What a second Ctrl-C prints before it exits: the outcome of every change so far.
        describe.append(lambda: render.render_apply_report(so_far()))

    describe: list[Callable[[], str]] = []
    with interrupt.graceful(stop), interrupt.known(lambda: describe[0]() if describe else ""):
        if sys.stderr.isatty():
            # One step per write, so the bar moves as each write completes.
            length = count_writes(the_plan)
            with click.progressbar(length=length, label="Applying", file=sys.stderr) as bar:
                report = apply_plan(
                    the_plan,
                    portal,
                    parallelism=parallelism,
                    advance=bar.update,
                    stop=stop,
                    known=known,
                )
        else:
            report = apply_plan(the_plan, portal, parallelism=parallelism, stop=stop, known=known)
        report = ApplyReport(tuple(early) + report.results, interrupted=report.interrupted)
        # Copies a concurrent apply made are removed, and what others changed is reported.
        report, notes, settled = heal(report, portal, replan, parallelism=parallelism, stop=stop)
    out("")
    emit(views.APPLY["text"], report)
    for note in notes:
        out(f"Note: {escape.text(note)}")
    if OUTPUT.quiet and not report.ok:
        error(views.APPLY["text"].render(report, views.Context()).rstrip("\n"))
    if OUTPUT.quiet and not settled:
        for note in notes:
            error(f"Note: {escape.text(note)}")
    code = report.exit_code
    return code if code or settled else 1
