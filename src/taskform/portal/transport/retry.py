"""How often and how long to retry a request that failed in a way that may pass.

Exponential backoff with full jitter (a random wait between 0 and ``base * 2**(n-1)``, capped
at ``backoff_max``), a ``Retry-After`` from the portal taking precedence when it asks for
longer, and two bounds: the number of attempts and the total time spent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

_RNG = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """Retry bounds for one logical request (all its attempts together)."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_total: float = 60.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.backoff_max, self.max_total) < 0:
            raise ValueError("backoff and time limits must not be negative")

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """The wait after the ``failures``-th failed attempt (1-based)."""
        cap = min(self.backoff_max, self.backoff_base * 2.0 ** max(failures - 1, 0))
        if not self.jitter:
            return cap
        return (rng or _RNG).uniform(0.0, cap)

    def start(self, clock: Callable[[], float] = time.monotonic) -> Attempts:
        """A fresh attempt counter for one logical request."""
        return Attempts(self, clock)


@dataclass
class Attempts:
    """Counts the attempts of one logical request and decides whether another is allowed.

    One ``Attempts`` may be shared by layered retry loops (the transport's and createTask's),
    so that together they never exceed the policy's bounds.
    """

    policy: RetryPolicy
    clock: Callable[[], float] = time.monotonic
    count: int = 0
    started: float = field(default=0.0)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def begin(self) -> int:
        """Record that an attempt is being sent; returns its 1-based number."""
        self.count += 1
        return self.count

    def refund(self) -> None:
        """Do not count the last attempt (it was refused for a reason that was then fixed,
        such as an expired token that has been renewed)."""
        self.count = max(self.count - 1, 0)

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """How long to wait before the next attempt, or ``None`` when the budget is spent."""
        if self.count >= self.policy.max_attempts:
            return None
        delay = self.policy.backoff(self.count, self.rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if self.clock() - self.started + delay > self.policy.max_total:
            return None
        return delay


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)
