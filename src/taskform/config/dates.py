"""Dates in the configuration (``start_date``, ``end_date``): ISO 8601 with a time and a zone.

Hand-written on purpose: :meth:`datetime.fromisoformat` on Python 3.10 accepts neither ``Z``
nor a comma before the fraction, and accepts dates without a time or a zone, which are
ambiguous for a schedule (whose midnight?). This grammar is the one the README documents.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from taskform.epoch import epoch_ms

_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r" ?(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
EXAMPLE = "e.g. 2026-12-01T00:00:00Z or 2026-12-01T02:00:00+02:00"


class DateError(ValueError):
    """Why a text is not a date taskform accepts: ``what`` completes "<key>: <value> ...",
    ``hint`` says what to write instead."""

    def __init__(self, what: str, hint: str = EXAMPLE) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint


def parse_instant(text: str) -> int:
    """``text`` as epoch milliseconds (UTC), or :class:`DateError`."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise DateError("is not an ISO 8601 date and time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None or zone is None:
        missing = "time and no time zone" if hour is None else "time zone"
        raise DateError(f"has no {missing}", "add Z for UTC, " + EXAMPLE)
    try:
        offset = timedelta()
        if zone not in ("Z", "z"):
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            offset = -offset if zone[0] == "-" else offset
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micros,
            tzinfo=timezone(offset),
        )
    except ValueError:
        raise DateError("is not a valid date and time") from None
    return epoch_ms(moment)
