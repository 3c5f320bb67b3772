"""How many requests taskform keeps in flight at once, and backing off when the portal says 429.

The page reads after the first page of a list and the writes of ``apply`` go out concurrently
(up to the read concurrency or ``--parallelism``). A portal that answers HTTP 429 (Too Many
Requests) is asking for fewer at once, not only for a pause: every request waiting out its
``Retry-After`` and then coming back at full concurrency would be throttled again. So the
transport passes every request through one :class:`Gate`: unlimited at first (the thread pools
bound it), on a 429 it allows half of what was in flight (at least one), and after each run of
that many successes one more (additive increase, multiplicative decrease, as TCP does). As in
TCP, one round of 429s halves the limit once: a 429 to a request sent before the last cut says
nothing new.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    """A concurrency limit that shrinks on 429 and grows back slowly on success."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._limit: int | None = None  # None: no limit of its own
        self._in_flight = 0
        self._successes = 0
        self._epoch = 0  # bumped at every cut
        self.throttles = 0  # how many 429s lowered (or held) the limit; for logs and tests
        self.max_in_flight = 0

    @property
    def limit(self) -> int | None:
        with self._cond:
            return self._limit

    @contextmanager
    def slot(self) -> Iterator[int]:
        """Hold one of the allowed slots for the duration of one attempt; yields the ticket
        to pass to :meth:`throttled` if the answer is a 429."""
        with self._cond:
            while self._limit is not None and self._in_flight >= self._limit:
                self._cond.wait()
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            ticket = self._epoch
        try:
            yield ticket
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()

    def throttled(self, ticket: int) -> None:
        """The portal answered 429 to the request holding ``ticket`` (it has left its
        slot): allow half as many at once as were in flight, once per round."""
        with self._cond:
            self.throttles += 1
            if ticket != self._epoch:
                return
            self._epoch += 1
            current = self._in_flight + 1
            if self._limit is not None:
                current = min(current, self._limit)
            self._limit = max(1, current // 2)
            self._successes = 0

    def succeeded(self) -> None:
        """One request got an answer that was not a 429."""
        with self._cond:
            if self._limit is None:
                return
            self._successes += 1
            if self._successes >= self._limit:
                self._successes = 0
                self._limit += 1
                self._cond.notify()
