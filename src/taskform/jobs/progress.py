"""How a job's progress is shown while ``taskform run`` waits.

On a terminal: one line redrawn in place, a bar when the job reports a percent (notebook jobs
do), else a spinner, with the job's state and the time waited::

    [##############----------------]  47%  PROCESSING  0:14  Executing notebook cells.
    [ *                            ]       esriJobExecuting  0:06

Without a terminal (CI logs, pipes): one plain line per change of state, never a redraw::

    0:00  submitted (esriJobSubmitted)
    0:02  running (esriJobExecuting)

Text from the server is escaped (render.escape.text), scrubbed of secrets (redact.scrub) and
cut to the line.
"""

from __future__ import annotations

from typing import TextIO

from taskform import redact
from taskform.jobs.model import JobStatus
from taskform.render.escape import text as printable

BAR = 30


def clock_text(seconds: float) -> str:
    whole = int(max(seconds, 0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    def __init__(self, stream: TextIO, *, tty: bool, width: int = 100) -> None:
        self.stream = stream
        self.tty = tty
        self.width = max(width, 40)
        self._last: tuple[str, str] | None = None
        self._frame = 0
        self._drawn = False

    def __call__(self, status: JobStatus, elapsed: float) -> None:
        if self.tty:
            self._draw(status, elapsed)
        else:
            key = (status.state.value, status.raw)
            if key != self._last:
                self._last = key
                raw = printable(status.raw)
                line = f"{clock_text(elapsed)}  {status.state.value} ({raw})"
                self.stream.write(redact.scrub(line) + "\n")
                self.stream.flush()

    def line(self, status: JobStatus, elapsed: float) -> str:
        """The terminal line for ``status`` (without the carriage return)."""
        if status.percent is None and status.state.final:
            bar, pct = "=" * BAR, "    "  # ended; the server never said how far it was
        elif status.percent is not None:
            filled = BAR * max(0, min(status.percent, 100)) // 100
            bar = "#" * filled + "-" * (BAR - filled)
            pct = f"{status.percent:3d}%"
        else:
            spot = self._frame % (2 * BAR - 2)
            spot = spot if spot < BAR else 2 * BAR - 2 - spot
            bar = " " * spot + "*" + " " * (BAR - spot - 1)
            pct = "    "
            self._frame += 1
        text = f"[{bar}] {pct}  {printable(status.raw)}  {clock_text(elapsed)}"
        if status.progress_message:
            text += f"  {printable(status.progress_message)}"
        return text[: self.width - 1]

    def _draw(self, status: JobStatus, elapsed: float) -> None:
        self.stream.write("\r\x1b[K" + redact.scrub(self.line(status, elapsed)))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the redrawn line (terminal) so what follows starts on a fresh line."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
