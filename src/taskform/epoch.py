"""Epoch milliseconds, the portal's (and the model's) unit of time: the one epoch constant and
the one epoch-to-ISO helper.

Integer arithmetic on timedelta, never float seconds, so a millisecond is never lost to
rounding (``datetime.fromtimestamp(ms / 1000)`` can be off by one for far dates).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import overload

#: 1970-01-01T00:00:00Z.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)


def moment(epoch_ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return EPOCH + timedelta(milliseconds=epoch_ms)


def epoch_ms(when: datetime) -> int:
    """An aware datetime as epoch milliseconds (sub-millisecond parts dropped, floor)."""
    return (when - EPOCH) // ONE_MS


@overload
def iso_utc(epoch_ms: int) -> str: ...
@overload
def iso_utc(epoch_ms: None) -> None: ...
@overload
def iso_utc(epoch_ms: int | None) -> str | None: ...
def iso_utc(epoch_ms: int | None) -> str | None:
    """``2026-12-01T02:00:00Z`` (milliseconds only when there are some); None stays None."""
    if epoch_ms is None:
        return None
    when = moment(epoch_ms)
    spec = "milliseconds" if when.microsecond else "seconds"
    return when.isoformat(timespec=spec).replace("+00:00", "Z")
