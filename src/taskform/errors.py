"""The one error hierarchy of taskform.

Every error a user can cause or meet derives from :class:`TaskformError`; the CLI prints its
message on stderr and exits 1 without a traceback. Errors about the configuration carry a
:class:`~taskform.model.Position` (file and line) and a hint saying what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in the configuration, with where it is and what to do about it."""

    file: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class TaskformError(Exception):
    """Base of every error taskform reports to the user."""

    exit_code = 1


#: The exit code of an unexpected error: a bug in taskform, not bad input or a portal's answer
#: (70 is EX_SOFTWARE, "internal software error", of BSD's sysexits.h).
BUG_EXIT_CODE = 70


class ConfigError(TaskformError):
    """The configuration is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the configuration:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ScheduleError(ValueError):
    """A schedule cannot be parsed or translated. Raised without a position; callers add it."""


class PortalError(TaskformError):
    """The portal answered with an error, or could not be reached.

    ``request`` names the request ("POST community/users/jo/tasks/createTask") and never
    contains a credential.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        details: Sequence[str] = (),
        request: str = "",
        owner: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.details = tuple(details)
        self.request = request
        self.owner = owner
        super().__init__(self._format())

    def _format(self) -> str:
        text = self.message
        if self.details:
            text += " (" + "; ".join(self.details) + ")"
        if self.code is not None:
            text += f" [code {self.code}]"
        if self.request:
            text = f"{self.request}: {text}"
        return text


class AuthError(PortalError):
    """Sign-in failed, a token was refused, or no credentials were given."""


class PermissionDenied(PortalError):
    """The signed-in user may not act on this owner's tasks (portal code 403)."""


class NotFound(PortalError):
    """The resource does not exist (portal code 404)."""


class TransientError(PortalError):
    """A failure that may pass: connection error, timeout, HTTP 5xx or 429."""


class AmbiguousWriteError(TransientError):
    """A write was sent but no answer came back, so whether it happened is unknown."""


class ForeignHostError(PortalError):
    """A URL on another host than the portal's: taskform never sends the portal's credentials
    there. ``host`` is that URL's host, ``allowed`` the portal's."""

    def __init__(self, host: str, allowed: str) -> None:
        self.host = host
        self.allowed = allowed
        super().__init__(
            f"refusing to send the portal's credentials to another host ({host}); "
            f"only {allowed} is allowed"
        )


class UnknownOwnersError(PortalError):
    """Owners the portal has no user for. The snapshot turns this into a configuration
    problem at the lines that name them."""

    def __init__(self, owners: Sequence[str], *, request: str = "") -> None:
        self.owners = tuple(owners)
        names = ", ".join(repr(o) for o in self.owners)
        super().__init__(f"the portal has no user {names}", request=request)


def user_not_found(exc: PortalError) -> bool:
    """Whether the portal said a user does not exist: 400 "User not found." (the portal's
    envelope for an unknown user; emulator FIDELITY.md)."""
    return exc.code == 400 and "user not found" in exc.message.lower()


class BadResponse(PortalError):
    """The portal answered with something that is not the JSON it should be."""


class PlanError(TaskformError):
    """The plan cannot be made, e.g. two live tasks share a declared (owner, title)."""


class StalePlanError(TaskformError):
    """A saved plan no longer matches the live portal or the configuration."""


class UnsafePlanError(TaskformError):
    """The plan deletes more than the safety threshold allows; ``--force`` overrides."""
