"""Run the taskform portal emulator as a real process, for any test package.

    from tests.support.emulator import EmulatorProcess

    with EmulatorProcess().start("--user", "alice:pw") as emu:
        token = emu.token("alice", "pw")
        requests.get(emu.rest("community/users/alice/tasks"), params={"f": "json"},
                     headers=emu.auth(token))

The process is ``python -m taskform.emulator --port 0 ...``; ``start`` reads the first stdout
line (``taskform emulator listening on http://HOST:PORT``) for ``url``. stderr goes to a temp
file (``stderr_text()``) so a chatty emulator can never block on a full pipe.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import tempfile
from types import TracebackType
from typing import IO, Any

import requests

LISTENING = "taskform emulator listening on "


class EmulatorProcess:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.first_line = ""
        self._stderr: IO[str] | None = None
        self._stderr_text = ""

    # -- process ---------------------------------------------------------------------------------

    def start(self, *args: str, timeout: float = 15.0) -> EmulatorProcess:
        """Start with extra CLI args (``--port 0`` is always passed first); wait for the URL."""
        # Closed in stop(); the emulator may outlive this call by far.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        command = [sys.executable, "-m", "taskform.emulator", "--port", "0", *args]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        self.first_line = line.rstrip("\n")
        if not self.first_line.startswith(LISTENING):
            self.stop(signal.SIGKILL, timeout=5)
            raise RuntimeError(
                f"emulator did not start (exit {self.proc.returncode}); stdout {line!r}; "
                f"stderr {self.stderr_text()!r}"
            )
        self.url = self.first_line[len(LISTENING) :]
        return self

    def run_to_exit(self, *args: str, timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
        """Run the command expecting it to exit by itself (e.g. a bad state file)."""
        command = [sys.executable, "-m", "taskform.emulator", "--port", "0", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send ``sig`` and wait; return the exit code (kills after ``timeout``)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._stderr is not None:  # keep what it said, release the file
            self._stderr_text = self.stderr_text()
            self._stderr.close()
            self._stderr = None
        return self.proc.returncode

    def stderr_text(self) -> str:
        """What the emulator wrote on stderr so far (or in total, once stopped)."""
        if self._stderr is None:
            return self._stderr_text
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- URLs and auth ---------------------------------------------------------------------------

    def rest(self, path: str = "") -> str:
        """URL of a Sharing API resource, e.g. rest("community/users/admin/tasks")."""
        return f"{self.url}/sharing/rest/{path}".rstrip("/")

    def token(self, username: str = "admin", password: str = "admin", **extra: Any) -> str:
        data = {"username": username, "password": password, "client": "requestip", "f": "json"}
        data.update(extra)
        body = requests.post(self.rest("generateToken"), data=data, timeout=10).json()
        if "token" not in body:
            raise RuntimeError(f"generateToken failed: {body}")
        return str(body["token"])

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"X-Esri-Authorization": f"Bearer {token}"}

    # -- control endpoints -----------------------------------------------------------------------

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/__emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("GET", "stats")
        return result

    def reset_stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("POST", "stats/reset")
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("GET", "faults")
        return result

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._control("POST", "faults", settings)
        return result

    def clear_faults(self) -> dict[str, Any]:
        return self.set_faults(
            latency_ms=0,
            error_rate=0.0,
            rate_limit_rate=0.0,
            drop_after_commit_rate=0.0,
            token_ttl_requests=0,
            job_error_count=0,
        )

    def set_outcome(self, **outcome: Any) -> dict[str, Any]:
        """How the next jobs of an item or GP task end (``item_id`` or ``task_url``, ``status``,
        ``messages``, ``duration_s``)."""
        result: dict[str, Any] = self._control("POST", "outcomes", outcome)
        return result

    def advance_clock(self, ms: int) -> dict[str, Any]:
        result: dict[str, Any] = self._control("POST", "clock", {"advance_ms": ms})
        return result

    def jobs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._control("GET", "jobs")["jobs"]
        return result

    def record_run(self, task_id: str, status: str, **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._control(
            "POST", "runs", {"task_id": task_id, "status": status, **extra}
        )
        return result

    def set_clock(self, now_ms: int | None) -> dict[str, Any]:
        result: dict[str, Any] = self._control("POST", "clock", {"now": now_ms})
        return result

    def all_tasks(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._control("GET", "tasks")["tasks"]
        return result

    def reset(self) -> None:
        """Delete every task and run, clear faults, stats and a fixed clock."""
        self._control("POST", "reset")
        self.clear_faults()
        self.set_clock(None)
        self.reset_stats()
