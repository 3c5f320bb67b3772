"""``taskform export``: write the live tasks as a configuration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from taskform import redact
from taskform.cli.options import Lines, common_options, data, out, portal_options, write_atomic
from taskform.config.export import duplicates, export_yaml, hidden
from taskform.errors import TaskformError
from taskform.model import LiveTask
from taskform.render import escape
from taskform.workflow.connect import PortalOptions, connect


@click.command()
@click.option(
    "--owner",
    "owners",
    multiple=True,
    type=Lines(),
    help="Export this user's tasks (repeatable; default: the signed-in user).",
)
@click.option(
    "--all-owners",
    is_flag=True,
    help="Export every owner's tasks from the organization's list (administrators).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(),
    help="Write to FILE instead of stdout; with --all-owners a directory: one OWNER.yaml each.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--keep-defaults",
    is_flag=True,
    help="Also write values equal to the portal's defaults (max_occurrences -1 or 10, the "
    "type's parameter defaults): for a config that re-creates the tasks elsewhere.",
)
@portal_options
@common_options
def export(
    owners: tuple[str, ...],
    all_owners: bool,
    output: str | None,
    force: bool,
    keep_defaults: bool,
    portal: PortalOptions,
) -> int:
    """Write the live tasks as a configuration that plan then finds equal.

    Values equal to what the portal fills in by itself are left out. A task whose schedule
    has no form validate accepts (a Quartz calendar such as 5C) is left out with a warning.
    """
    if all_owners and owners:
        raise click.UsageError("--all-owners and --owner exclude each other")
    split = bool(all_owners and output and not output.endswith((".yaml", ".yml")))
    if output and not split and Path(output).exists() and not force:
        raise TaskformError(
            f"{output} exists; export does not overwrite it. Choose another -o FILE, "
            "or pass --force to replace it"
        )
    client, _ = connect(portal, None)
    user = client.signed_in_user()
    if all_owners:
        live = client.list_org_tasks()
        chosen = tuple(sorted(live))
    else:
        asked = tuple(dict.fromkeys(owners)) or (user,)
        # Usernames match in any case: write each owner as the portal spells it (`--owner SAM`
        # exports `owner: sam`): from the userId of their live tasks, else one lookup each.
        read = client.list_tasks(asked)
        spelling = {o.casefold(): tasks[0].owner for o, tasks in read.items() if tasks}
        spelling.update(client.usernames([o for o in asked if o.casefold() not in spelling]))
        live = {spelling.get(o.casefold(), o): read.get(o, []) for o in asked}
        chosen = tuple(live)
    for owner, title in duplicates([t for tasks in live.values() for t in tasks]):
        out(
            f"Warning: {escape.text(owner)} has several tasks titled {escape.text(repr(title))}; "
            "taskform identifies tasks "
            "by owner and title, so rename or delete the extra ones before planning.",
            err=True,
        )
    if split:
        assert output is not None
        files = {Path(output) / f"{_file_name(o)}.yaml": {o: live[o]} for o in chosen}
        existing = [str(p) for p in files if p.exists()]
        if existing and not force:
            raise TaskformError(
                f"{', '.join(existing)} exist; export does not overwrite them. "
                "Choose another -o DIR, or pass --force to replace them"
            )
        texts = {
            path: _render(part, default=next(iter(part)), keep=keep_defaults)
            for path, part in files.items()
        }
        Path(output).mkdir(parents=True, exist_ok=True)
        for path, text in texts.items():
            write_atomic(path, text)
        count = sum(len(t) for t in live.values())
        out(f"Wrote {count} task(s) of {len(files)} owner(s) to {output}/.", err=True)
        return 0
    default = chosen[0] if len(chosen) == 1 else None
    text = _render(live, default=default, keep=keep_defaults)
    if output:
        write_atomic(Path(output), text)
        count = sum(len(t) for t in live.values())
        out(f"Wrote {count} task(s) of {', '.join(chosen)} to {output}.", err=True)
    else:
        data(text, nl=False, scrubbed=True)  # scrubbed as data by export_yaml
    return 0


def _render(live: Mapping[str, Sequence[LiveTask]], *, default: str | None, keep: bool) -> str:
    """The YAML for ``live``, with the notes about secrets and left-out tasks on stderr."""
    secrets: dict[str, str] = {}
    skipped: list[str] = []
    text = export_yaml(
        live,
        default_owner=default,
        secrets=secrets,
        clean=redact.scrub_data,
        skipped=skipped,
        keep_defaults=keep,
    )
    for where, name in sorted(secrets.items()):
        out(
            f"Note: {escape.text(where)} looks like a credential; "
            f"it is written as ${{secret:{name}}}. "
            f"Set {name} in the environment before planning.",
            err=True,
        )
    if secrets:
        names = ", ".join(sorted(set(secrets.values())))
        out(f"Set these variables before planning: {names}", err=True)
    for what in skipped:
        out(
            f"Warning: not exported: {escape.text(what)}. Plan lists it as unmanaged (and "
            "prune: true would delete it); give it a Unix-cron schedule in the portal first.",
            err=True,
        )
    for task in sorted((t for ts in live.values() for t in ts), key=lambda t: (t.owner, t.id)):
        if hidden(task.title):
            out(
                f"Warning: {escape.text(f'{task.owner}/{task.title}')} ({escape.text(task.id)}): "
                "the title holds invisible or control characters; it is written escaped "
                '("\\u202E" form, which reads back as the same title), and validate refuses '
                "such a title: rename the task in the portal, then export it again.",
                err=True,
            )
    return text


def _file_name(owner: str) -> str:
    """A file name for an owner's export: usernames may hold '@' and '.', never '/'."""
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in owner) or "owner"
