"""``taskform emulator`` / ``python -m taskform.emulator``: run the local portal emulator."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click
from werkzeug.serving import BaseWSGIServer, make_server

from .items import Items
from .oauth import DEFAULT_CLIENTS, DEFAULT_REFRESH_MINUTES, OAuth
from .server.app import EmulatorApp
from .server.faults import Faults
from .server.handler import RequestHandler
from .server.profile import load_profile
from .server.quirks import QUIRKS, Quirks
from .server.store import StateFileError, Store
from .sharing.auth import DEFAULT_EXPIRATION_MAX_MINUTES, Account, Accounts
from .sharing.limits import Limits, parse_setting


def _users(specs: tuple[str, ...], admins: tuple[str, ...]) -> dict[str, Account]:
    if not specs:
        specs, admins = ("admin:admin",), admins or ("admin",)
    users: dict[str, Account] = {}
    for spec in specs:
        name, sep, password = spec.partition(":")
        if not sep or not name or not password:
            raise click.BadParameter(f"{spec!r} is not NAME:PASSWORD", param_hint="--user")
        if any(name.casefold() == known.casefold() for known in users):
            # usernames are matched without regard to case, so these would be one user
            raise click.BadParameter(f"user {name!r} given twice", param_hint="--user")
        users[name] = Account(name, password)
    for given in admins:
        found = next((known for known in users if known.casefold() == given.casefold()), None)
        if found is None:
            raise click.BadParameter(f"{given!r} is not a --user", param_hint="--admin")
        name = found
        users[name] = Account(name, users[name].password, admin=True)
    return users


def _limits(per_user: int | None, settings: tuple[str, ...]) -> Limits:
    try:
        base = Limits.uniform(per_user) if per_user is not None else Limits()
        values = dict(base.values)
        values.update(parse_setting(text) for text in settings)
        return Limits(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None


def _api_keys(specs: tuple[str, ...], users: dict[str, Account]) -> dict[str, str]:
    keys: dict[str, str] = {}
    first = next(iter(users))
    for spec in specs:
        key, _, name = spec.partition(":")
        name = name or first
        if not key:
            raise click.BadParameter(f"{spec!r} is not KEY or KEY:USERNAME", param_hint="--api-key")
        if name not in users:
            raise click.BadParameter(f"{name!r} is not a --user", param_hint="--api-key")
        keys[key] = name
    return keys


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 takes a free port.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file holding tasks and runs; every change is written before replying.",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:PASSWORD",
    help="A portal user (repeatable). Default: admin:admin, an administrator.",
)
@click.option(
    "--admin",
    "admins",
    multiple=True,
    metavar="NAME",
    help="Make this --user an org administrator (repeatable).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY[:USERNAME]",
    help="An API key acting as USERNAME (default: the first user); repeatable.",
)
@click.option("--seed", type=int, default=None, help="Seed for injected faults (repeatable runs).")
@click.option(
    "--active-task-limit",
    default=None,
    type=click.IntRange(0),
    help="Active tasks allowed per user and task type (every *UserLimit); 0 = no limits at "
    "all. Default: the Enterprise defaults (20 per user, 200 per organization).",
)
@click.option(
    "--limit",
    "limit_settings",
    multiple=True,
    metavar="NAME=N",
    help="One ScheduleTask limit, e.g. ExecuteNotebooksOrgLimit=50 (repeatable; 0 = unlimited).",
)
@click.option(
    "--token-expiration-max",
    type=click.IntRange(1),
    default=DEFAULT_EXPIRATION_MAX_MINUTES,
    show_default=True,
    help="Longest generateToken expiration granted, in minutes.",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve HTTPS with this PEM certificate (needs --tls-key). The ArcGIS API "
    "for Python insists on HTTPS until it has read portals/self.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key for --tls-cert.",
)
@click.option(
    "-v",
    "--verbose",
    "--log-requests",
    "log_requests",
    is_flag=True,
    help="Log each request (method, path, status; never a query string or credential).",
)
@click.option(
    "--quirk",
    "quirk_names",
    multiple=True,
    type=click.Choice(list(QUIRKS)),
    help="Behave the other way where the portal's docs are silent (repeatable; FIDELITY.md).",
)
@click.option(
    "--items",
    "items_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Register the items in this JSON file (a list of {id, owner, type, title, access}).",
)
@click.option(
    "--oauth-client",
    "oauth_clients",
    multiple=True,
    metavar="CLIENT_ID",
    help="An OAuth app's client id (repeatable; default: taskform).",
)
@click.option(
    "--refresh-token-minutes",
    type=click.IntRange(1),
    default=DEFAULT_REFRESH_MINUTES,
    show_default=True,
    help="How long an OAuth refresh token lasts.",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Behave as the portal 'taskform probe --out FILE' looked at (its quirks and limits).",
)
@click.option(
    "--strict-items",
    is_flag=True,
    help="Refuse tasks for item ids not registered with POST /__emulator/items.",
)
@click.option("--debug", is_flag=True, help="Also log the emulator's internal errors in full.")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only (the URL line still prints).")
@click.option("--no-color", is_flag=True, help="No colour (the emulator prints none anyway).")
def emulator(
    host: str,
    port: int,
    state_file: Path | None,
    users: tuple[str, ...],
    admins: tuple[str, ...],
    api_keys: tuple[str, ...],
    seed: int | None,
    active_task_limit: int | None,
    limit_settings: tuple[str, ...],
    token_expiration_max: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    log_requests: bool,
    quirk_names: tuple[str, ...],
    oauth_clients: tuple[str, ...],
    refresh_token_minutes: int,
    profile_file: Path | None,
    items_file: Path | None,
    strict_items: bool,
    debug: bool,
    quiet: bool,
    no_color: bool,
) -> None:
    """Run a local ArcGIS portal emulator for scheduled tasks (the Sharing API).

    The first line on stdout ends with the portal URL to give taskform ("taskform emulator
    listening on URL"). Stops cleanly (exit 0) on Ctrl-C or SIGTERM.
    """
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    tls = (str(tls_cert), str(tls_key)) if tls_cert and tls_key else None
    accounts_by_name = _users(users, admins)
    accounts = Accounts(
        users=accounts_by_name,
        api_keys=_api_keys(api_keys, accounts_by_name),
        expiration_max_minutes=token_expiration_max,
    )
    store = Store(state_file)
    try:
        store.load()
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    if state_file is not None and not state_file.exists():
        try:
            store.save()  # fail now, not on the first write, if the file cannot be written
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise click.ClickException(f"cannot write state file {state_file}: {reason}") from None
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING,
        format="taskform emulator: %(message)s",
    )
    names = frozenset(quirk_names)
    if profile_file is not None:
        try:
            from_profile, profile_limits = load_profile(profile_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise click.ClickException(f"cannot read profile {profile_file}: {exc}") from None
        names |= from_profile
        limit_settings = tuple(f"{k}={v}" for k, v in profile_limits.items()) + limit_settings
    quirks = Quirks(names)
    items = Items(strict=strict_items)
    if items_file is not None:
        try:
            items.load(items_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise click.ClickException(f"cannot read items from {items_file}: {exc}") from None
    oauth = OAuth(store, accounts, oauth_clients or DEFAULT_CLIENTS, refresh_token_minutes)
    limits = _limits(active_task_limit, limit_settings)
    app = EmulatorApp(store, accounts, Faults(seed), limits, quirks, items, oauth)
    handler = type("RequestHandler", (RequestHandler,), {"log_requests": log_requests})
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # werkzeug prints its own advice
            server = make_server(
                host, port, app, threaded=True, request_handler=handler, ssl_context=tls
            )
    except SystemExit:  # werkzeug exits (status 1) when the port is taken
        raise click.ClickException(_port_taken(host, port)) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(_port_taken(host, port)) from None
        reason = exc.strerror or str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None
    _serve(server, store, host, "https" if tls else "http")


def _port_taken(host: str, port: int) -> str:
    return (
        f"cannot listen on {host}:{port}: the port is in use by another program; "
        "choose another --port, or --port 0 for a free one"
    )


def _serve(server: BaseWSGIServer, store: Store, host: str, scheme: str) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    # Handlers first: whoever reads the URL line may signal us at once.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"taskform emulator listening on {scheme}://{shown_host}:{server.port}")
    sys.stdout.flush()
    server.serve_forever(poll_interval=0.1)
    with store.lock:  # let a write that is under way reach the disk before exiting
        pass
