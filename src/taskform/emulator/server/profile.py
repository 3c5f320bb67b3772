"""``taskform emulator --profile FILE``: behave as the portal ``taskform probe --out FILE``
looked at did: its quirks (see quirks.py) and its ScheduleTask limits."""

from __future__ import annotations

import json

from ..sharing.limits import DEFAULTS
from .quirks import QUIRKS

PROFILE_FORMAT = "taskform-probe"


def load_profile(text: str) -> tuple[frozenset[str], dict[str, int]]:
    """The quirks and limits (name -> N, 0 = unlimited) of a probe profile."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise ValueError(f'not a probe profile (no "format": "{PROFILE_FORMAT}")')
    quirks = data.get("quirks") or []
    limits = data.get("limits") or {}
    if not isinstance(quirks, list) or not isinstance(limits, dict):
        raise ValueError('"quirks" must be a list and "limits" an object')
    unknown = sorted(str(q) for q in quirks if q not in QUIRKS)
    if unknown:
        raise ValueError(f"unknown quirk {', '.join(unknown)}")
    chosen = {
        name: (0 if int(value) < 0 else int(value))  # the admin API says -1 for unlimited
        for name, value in limits.items()
        if name in DEFAULTS
    }
    return frozenset(str(q) for q in quirks), chosen
